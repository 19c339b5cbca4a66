import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { gzipSync } from "fflate";
import { parse, parseDocument } from "yaml";
import { ClassConfig } from "./config/classConfig";
import { SERVER_ETC, SERVER_LIB } from "./server";
import { tarball } from "./tarball";

/** DigitalOcean refuses a Droplet whose user-data is larger. */
export const USER_DATA_LIMIT = 64 * 1024;

const CLOUD_INIT = join(__dirname, "..", "cloud-init");
const LIB = SERVER_LIB;
const ETC = SERVER_ETC;

/**
 * Files under cloud-init/ that cloud-init writes where they belong (docs/architecture.md), each its
 * own write_files entry so the user-data shows them.
 */
const SYSTEM_FILES: Readonly<Record<string, string>> = {
    "install.sh": `${LIB}/install.sh`,
    "jupyterhub_config.py": `${ETC}/jupyterhub_config.py`,
    "nftables/students.nft": `${ETC}/students.nft`,
    "systemd/traefik.service": "/etc/systemd/system/traefik.service",
    "systemd/jupyterhub.service": "/etc/systemd/system/jupyterhub.service",
    "systemd/jupyterhub-classroom-firewall.service": "/etc/systemd/system/jupyterhub-classroom-firewall.service",
    "systemd/jupyterhub-classroom-firewall-restore.service": "/etc/systemd/system/jupyterhub-classroom-firewall-restore.service",
    "systemd/jupyterhub-classroom-firewall.timer": "/etc/systemd/system/jupyterhub-classroom-firewall.timer",
    "systemd/nftables.service.d/jupyterhub-classroom.conf": "/etc/systemd/system/nftables.service.d/jupyterhub-classroom.conf",
    "ssh/10-jupyterhub-classroom.conf": "/etc/ssh/sshd_config.d/10-jupyterhub-classroom.conf",
    "apt/52jupyterhub-classroom-upgrades": "/etc/apt/apt.conf.d/52jupyterhub-classroom-upgrades",
};

/**
 * The rest of LIB travels as one archive, library.tar, that install.sh unpacks: compressed
 * together these files take a fifth less room than one by one, and user-data has 64 KiB in all.
 */
const LIBRARY_FOLDERS = ["python", "schema", "templates", "jupyter"];
const LIBRARY_FILES = ["requirements/hub.txt", "requirements/user.txt"];
/** Top-level files named classroom-* are the commands the admin runs with sudo. */
const COMMAND_PREFIX = "classroom-";
/**
 * Files needed only once the hub runs: HubSync brings them over SSH before anything uses them, so
 * the first boot's user-data leaves them out and stays under 64 KiB.
 */
const DAY_TWO_SOURCES: ReadonlySet<string> = new Set([
    "classroom-archive", "classroom-health", "classroom-restore",
    "python/classroom_ops/archive.py", "python/classroom_ops/health.py", "python/classroom_ops/restore.py",
    // Read by classroom-apply and the hub, both of which first run after HubSync.
    "schema/class.schema.json", "schema/secrets.schema.json",
    // The students' environment is installed when HubSync brings its lock: students need it only
    // once classroom-apply has started the hub, and its hashes take a sixth of user-data's room.
    "requirements/user.txt", "jupyter/jupyter_server_config.py",
    // The hub first starts once classroom-apply has run, after HubSync: what only the hub's
    // configuration imports (the admission queue, its services, the class warmer, the staff's
    // rights, the pages) can wait for it.
    "classroom-warm", "python/classroom_hub/warmer.py", "python/classroom_hub/admission.py",
    "python/classroom_hub/services.py", "python/classroom_hub/schedule.py", "python/classroom_hub/staff.py",
    // The students' servers and logins, read by the hub alone: the spawner, its pre-spawn hook (the
    // account, the course copy, the shared data link), the sandbox, the authenticators, the proxy.
    "python/classroom_hub/spawner.py", "python/classroom_hub/spawn_hook.py", "python/classroom_hub/sandbox.py",
    "python/classroom_hub/accounts.py", "python/classroom_hub/course_repo.py", "python/classroom_hub/course_mirror.py",
    "python/classroom_hub/student_copy.py", "python/classroom_hub/processes.py", "python/classroom_hub/shared_data.py",
    "python/classroom_hub/authenticators.py", "python/classroom_hub/proxy.py",
    "python/classroom_hub/hub_rights.py", "python/classroom_hub/pages.py", "templates/home.html",
    // Disk quotas: classroom-apply sets them, the hub for a new account, classroom-usage lists them.
    "python/classroom_hub/quotas.py", "classroom-usage",
    // Assignments (grading): classroom-apply prepares them and the hub runs the formgrader.
    "python/classroom_hub/grading.py", "jupyter/grader/jupyter_server_config.py", "jupyter/grader/labconfig/page_config.json",
]);

/** first-boot: the Droplet's user-data; complete: every server file, what HubSync sends. */
export type Layer = "first-boot" | "complete";

/**
 * What server.json holds: the server as the stack made it, for an administrator on the server to
 * read (install.sh only checks that user-data delivered it). A new hostname, admin user or image
 * replaces the Droplet (HubServer), so on a running server it never goes stale.
 */
export interface ServerSettings {
    readonly hostname: string;
    readonly adminUser: string;
    readonly image: ClassConfig["droplet"]["image"];
}

/**
 * The cloud-init user-data of the Droplet: cloud-init/user-data.yaml plus the hostname, the admin
 * user and every server file. It depends only on the hostname, the admin user and SSH keys, the
 * image, the ACME settings and the files under cloud-init/: never on the roster, limits, login
 * page, course, OAuth settings or any secret. cloud-init reads it at the first boot only; later
 * changes reach a running Droplet through HubSync (renderSyncDocument), and only a new hostname,
 * admin user or image replaces the Droplet (HubServer).
 */
export function renderUserData(cfg: ClassConfig, sshPublicKeys: readonly string[]): string {
    const userData = cloudConfig(cfg, sshPublicKeys, "first-boot");
    const size = Buffer.byteLength(userData);
    if (size > USER_DATA_LIMIT) {
        throw new Error(`user-data is ${size} bytes; DigitalOcean allows ${USER_DATA_LIMIT}. Make the files under cloud-init/ smaller.`);
    }
    return userData;
}

/**
 * The same document with every server file, day-2 tools included: HubSync sends it to
 * classroom-sync over SSH, which has no size limit, whenever a file under cloud-init/ changes.
 */
export function renderSyncDocument(cfg: ClassConfig, sshPublicKeys: readonly string[]): string {
    return cloudConfig(cfg, sshPublicKeys, "complete");
}

function cloudConfig(cfg: ClassConfig, sshPublicKeys: readonly string[], layer: Layer): string {
    const doc = parseDocument(readSource("user-data.yaml"));
    doc.set("hostname", cfg.hostname.split(".")[0]);
    doc.set("fqdn", cfg.hostname);
    doc.set("users", [{
        name: cfg.admin.user,
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [...new Set([...sshPublicKeys, ...cfg.admin.sshKeys])],
    }]);
    doc.set("write_files", serverFiles(cfg, layer).map(writeFile));
    const text = doc.toString({ lineWidth: 0 });
    if (!text.startsWith("#cloud-config\n")) throw new Error("user-data must start with #cloud-config");
    parse(text);
    return text;
}

type FileEntry = readonly [path: string, content: string | Buffer];

function serverFiles(cfg: ClassConfig, layer: Layer): FileEntry[] {
    const server: ServerSettings = {
        hostname: cfg.hostname,
        adminUser: cfg.admin.user,
        image: cfg.droplet.image,
    };
    return [
        [`${ETC}/server.json`, `${JSON.stringify(server, null, 2)}\n`],
        ["/etc/traefik/traefik.yaml", traefikStaticConfig(cfg)],
        ["/var/lib/jupyterhub-classroom/traefik-rules/defaults.yaml", traefikDefaults(cfg)],
        ...Object.entries(SYSTEM_FILES).map(([source, path]): FileEntry => [path, readSource(source)]),
        [`${LIB}/library.tar`, library(layer)],
    ];
}

/** The files of the library, at their paths under LIB, in a fixed order. */
export function librarySources(layer: Layer): string[] {
    const commands = readdirSync(CLOUD_INIT).filter((name) => name.startsWith(COMMAND_PREFIX));
    return [...commands, ...LIBRARY_FILES, ...LIBRARY_FOLDERS.flatMap(filesUnder)]
        .filter((source) => layer === "complete" || !DAY_TWO_SOURCES.has(source))
        .sort();
}

function library(layer: Layer): Buffer {
    return tarball(librarySources(layer).map((source) => {
        const content = readFileSync(join(CLOUD_INIT, source));
        return { name: source, content, mode: isScript(content) ? 0o755 : 0o644 };
    }));
}

/**
 * cloud-init/traefik/traefik.yaml with the class's hostname and ACME account filled in; with
 * perStudentOrigins, one certificate for the hostname and *.<hostname>, through DNS-01.
 */
function traefikStaticConfig(cfg: ClassConfig): string {
    const doc = parseDocument(readSource("traefik/traefik.yaml"));
    const domain = cfg.perStudentOrigins ? { main: cfg.hostname, sans: [`*.${cfg.hostname}`] } : { main: cfg.hostname };
    doc.setIn(["entryPoints", "websecure", "http", "tls", "domains"], [domain]);
    if (cfg.perStudentOrigins) {
        doc.deleteIn(["certificatesResolvers", "letsencrypt", "acme", "httpChallenge"]);
        doc.setIn(["certificatesResolvers", "letsencrypt", "acme", "dnsChallenge"], parseDocument(readSource("traefik/dns-challenge.yaml")).contents);
    }
    doc.setIn(["certificatesResolvers", "letsencrypt", "acme", "email"], cfg.tls.email);
    doc.setIn(["certificatesResolvers", "letsencrypt", "acme", "caServer"], cfg.tls.acmeDirectoryUrl);
    return doc.toString({ lineWidth: 0 });
}

/**
 * The Host rule of the names this class answers to: a request for any other name is refused. With
 * perStudentOrigins also each student's own host, one DNS label below the hostname (JupyterHub
 * makes every user name a single label there), as the wildcard certificate covers.
 */
function classHostsRule(cfg: ClassConfig): string {
    const hub = `Host(\`${cfg.hostname}\`)`;
    if (!cfg.perStudentOrigins) return hub;
    return `${hub} || HostRegexp(\`^[a-z0-9-]{1,63}\\.${cfg.hostname.replaceAll(".", "\\.")}$\`)`;
}

/** cloud-init/traefik/defaults.yaml with the other-hosts router's rule: every host but the class's. */
function traefikDefaults(cfg: ClassConfig): string {
    const doc = parseDocument(readSource("traefik/defaults.yaml"));
    doc.setIn(["http", "routers", "other-hosts", "rule"], `!(${classHostsRule(cfg)})`);
    return doc.toString({ lineWidth: 0 });
}

/** Scripts start with #!; judged by content, not file mode, so every checkout renders the same. */
function isScript(content: Buffer): boolean {
    return content.subarray(0, 2).toString() === "#!";
}

/** A write_files entry, compressed where that makes it smaller (fflate's gzip: the same bytes on every platform). */
function writeFile([path, content]: FileEntry) {
    const bytes = Buffer.from(content);
    const entry = { path, permissions: isScript(bytes) ? "0755" : "0644" };
    const packed = Buffer.from(gzipSync(bytes, { level: 9, mtime: 0 })).toString("base64");
    // The library archive is binary: it can only travel encoded.
    const binary = typeof content !== "string";
    return binary || packed.length < bytes.length
        ? { ...entry, encoding: "gz+b64", content: packed }
        : { ...entry, content };
}

function readSource(source: string): string {
    return readFileSync(join(CLOUD_INIT, source), "utf8");
}

/** The files of a folder under cloud-init/, in a fixed order, without caches (__pycache__, .pytest_cache). */
function filesUnder(folder: string): string[] {
    return readdirSync(join(CLOUD_INIT, folder), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(CLOUD_INIT, join(e.parentPath, e.name)).split(sep).join("/"))
        .filter((source) => !source.split("/").some((part) => part.startsWith(".") || part === "__pycache__"))
        .sort();
}
