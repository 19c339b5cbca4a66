// Shared by the test/server-*.test.ts files: example classes, the files a rendered user-data
// puts on the server, and the host tools the tests drive.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import { ClassConfig, parseClassConfig } from "../../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../../lib/config/stack";
import { check, run } from "../../localServer/process";

export const PROJECT = join(__dirname, "..", "..");
export const CLOUD_INIT = join(PROJECT, "cloud-init");
export const LIB = "/usr/local/lib/jupyterhub-classroom";
export const STACK_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfhMKpnpS5nC/6u4Cjd8Q3kAq4CF0T0zSxGmDHVq0Tb pulumi-stack";

/** Pulumi.dev.yaml, the complete example class. */
export function devConfig(): ClassConfig {
    return parseClassConfig(rawClassConfigFromStackFile(readFileSync(join(PROJECT, "Pulumi.dev.yaml"), "utf8")));
}

/** The smallest valid class for a provider; `extra` overrides or adds keys. */
export function providerConfig(provider: "github" | "google" | "oidc", extra: Record<string, unknown> = {}): ClassConfig {
    const byProvider: Record<string, Record<string, unknown>> = {
        github: { githubOrganizations: ["engr101-students"] },
        google: { googleHostedDomains: ["example.edu"], allowedUsers: ["ada@example.edu"] },
        oidc: {
            allowedUsers: ["ada@example.edu"],
            oidcAuthorizeUrl: "https://login.example.edu/oauth2/authorize",
            oidcTokenUrl: "https://login.example.edu/oauth2/token",
            oidcUserdataUrl: "https://login.example.edu/oauth2/userinfo",
        },
    };
    return parseClassConfig({
        dnsZone: "example.edu",
        subdomain: "engr101",
        letsEncryptEmail: "instructor@example.edu",
        authProvider: provider,
        oauthClientId: "client-id",
        oauthClientSecret: "(secret)",
        allowedUsers: ["ada"],
        ...byProvider[provider],
        ...extra,
    });
}

export interface WriteFile {
    readonly path: string;
    readonly permissions: string;
    readonly content: Buffer;
}

/** The write_files entries of a user-data, decoded as cloud-init decodes them. */
export function writeFiles(userData: string): WriteFile[] {
    const doc = parse(userData) as { write_files: { path: string; permissions: string; encoding?: string; content: string }[] };
    return doc.write_files.map((f) => ({
        path: f.path,
        permissions: f.permissions,
        content: f.encoding === "gz+b64" ? gunzipSync(Buffer.from(f.content, "base64")) : Buffer.from(f.content),
    }));
}

/**
 * Every file the user-data puts on the server, by path: the write_files entries, and the files
 * of library.tar unpacked under LIB by the real tar, as install.sh does.
 */
export async function serverFiles(userData: string): Promise<Map<string, { content: Buffer; mode: number }>> {
    const files = new Map<string, { content: Buffer; mode: number }>();
    for (const f of writeFiles(userData)) files.set(f.path, { content: f.content, mode: parseInt(f.permissions, 8) });
    const library = files.get(`${LIB}/library.tar`);
    if (!library) throw new Error(`user-data writes no ${LIB}/library.tar`);
    const dir = temporaryDirectory("library");
    try {
        await check("tar", ["--extract", "--directory", dir], { input: library.content });
        for (const path of listFiles(dir)) {
            files.set(`${LIB}/${relative(dir, path)}`, { content: readFileSync(path), mode: statSync(path).mode & 0o7777 });
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    return files;
}

/** Regular files under a directory, recursively, sorted. */
export function listFiles(dir: string): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
        .sort();
}

export function temporaryDirectory(purpose: string): string {
    return mkdtempSync(join(tmpdir(), `jhc-${purpose}-`));
}

/** A TCP port on loopback that was free a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}

/** Fails, naming the apt package, when a host tool the test drives is missing: never a silent skip. */
export async function requireTools(tools: Readonly<Record<string, string>>): Promise<void> {
    const missing: string[] = [];
    for (const [tool, aptPackage] of Object.entries(tools)) {
        const found = await run("sh", ["-c", 'command -v "$1"', "sh", tool]);
        if (found.code !== 0) missing.push(`${tool} (apt-get install ${aptPackage})`);
    }
    if (missing.length) throw new Error(`missing on this machine: ${missing.join(", ")}; tools/setup.sh installs them`);
}
