/**
 * A stand-in for the parts of the DigitalOcean API v2 the stack's resources use: SSH keys, volumes
 * (and their attach, detach and resize actions), Droplets (and the power, resize and rename actions a
 * resize or rename runs), tags, firewalls and actions. Request bodies are checked
 * field by field against the API's documented shapes and limits (user-data at most 64 KiB, volume
 * names, tag characters, firewall rules), and references between objects must resolve.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import { ApiError, Reply, Route, startStrictServer, StrictServer } from "./strictServer";

/** The slugs the stand-in offers; the real API refuses unknown ones the same way. */
const REGIONS = ["nyc1", "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1"];
const SIZES: Record<string, { vcpus: number; memory: number; disk: number; price_monthly: number }> = {
    "s-1vcpu-1gb": { vcpus: 1, memory: 1024, disk: 25, price_monthly: 6 },
    "s-1vcpu-2gb": { vcpus: 1, memory: 2048, disk: 50, price_monthly: 12 },
    "s-2vcpu-2gb": { vcpus: 2, memory: 2048, disk: 60, price_monthly: 18 },
    "s-2vcpu-4gb": { vcpus: 2, memory: 4096, disk: 80, price_monthly: 24 },
    "s-4vcpu-8gb": { vcpus: 4, memory: 8192, disk: 160, price_monthly: 48 },
    "s-8vcpu-16gb": { vcpus: 8, memory: 16384, disk: 320, price_monthly: 96 },
};
const IMAGES: Record<string, { id: number; distribution: string; name: string }> = {
    "ubuntu-24-04-x64": { id: 160000001, distribution: "Ubuntu", name: "24.04 (LTS) x64" },
    "debian-12-x64": { id: 160000002, distribution: "Debian", name: "12 x64" },
};
const USER_DATA_LIMIT = 64 * 1024;

const tag = z.string().regex(/^[A-Za-z0-9:_-]{1,255}$/, "tags hold letters, digits, ':', '-' and '_' only");
const tags = z.array(tag).nullable();
const address = z.string().refine((a) => isIP(a.split("/")[0]) !== 0, "expected an IP address or CIDR");
const endpoints = z.object({
    addresses: z.array(address).optional(),
    tags: z.array(tag).optional(),
    droplet_ids: z.array(z.number().int()).optional(),
    load_balancer_uids: z.array(z.string()).optional(),
    kubernetes_ids: z.array(z.string()).optional(),
}).strict();
const ports = z.string().regex(/^(all|[0-9]{1,5}(-[0-9]{1,5})?)$/, "ports are 'all', 'N' or 'N-M'");
const ruleFields = { protocol: z.enum(["tcp", "udp", "icmp"]), ports: ports.optional() };
const portsFitProtocol = (r: { protocol: string; ports?: string }) => (r.protocol === "icmp") === (r.ports === undefined);
const portsMessage = "tcp and udp rules need ports; icmp rules have none";
const inboundRule = z.object({ ...ruleFields, sources: endpoints }).strict().refine(portsFitProtocol, portsMessage);
const outboundRule = z.object({ ...ruleFields, destinations: endpoints }).strict().refine(portsFitProtocol, portsMessage);

const keyCreate = z.object({
    name: z.string().min(1).max(255),
    public_key: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, "expected an OpenSSH public key"),
}).strict();
const keyUpdate = z.object({ name: z.string().min(1).max(255) }).strict();
const volumeCreate = z.object({
    region: z.string(),
    name: z.string().regex(/^[a-z]([-a-z0-9]{0,62}[a-z0-9])?$/, "volume names are lower-case letters, digits and '-', starting with a letter, at most 64 characters"),
    description: z.string().max(1024),
    size_gigabytes: z.number().int().min(1).max(16384),
    snapshot_id: z.literal(""),
    filesystem_type: z.enum(["", "ext4", "xfs"]),
    filesystem_label: z.string().max(16),
    tags,
}).strict();
const volumeAction = z.discriminatedUnion("type", [
    z.object({ type: z.enum(["attach", "detach"]), droplet_id: z.number().int(), region: z.string().optional() }).strict(),
    z.object({ type: z.literal("resize"), size_gigabytes: z.number().int().min(1).max(16384), region: z.string().optional() }).strict(),
]);
/** The Droplet actions a provider runs to resize and rename a Droplet (power off, resize, power on). */
const dropletAction = z.discriminatedUnion("type", [
    z.object({ type: z.enum(["power_off", "power_on"]) }).strict(),
    z.object({ type: z.literal("resize"), size: z.string(), disk: z.boolean().optional() }).strict(),
    z.object({ type: z.literal("rename"), name: z.string().regex(/^[A-Za-z0-9.-]{1,255}$/, "Droplet names are host names: letters, digits, '.' and '-'") }).strict(),
]);
const dropletCreate = z.object({
    name: z.string().regex(/^[A-Za-z0-9.-]{1,255}$/, "Droplet names are host names: letters, digits, '.' and '-'"),
    region: z.string(),
    size: z.string(),
    image: z.union([z.string(), z.number().int()]),
    ssh_keys: z.array(z.union([z.string(), z.number().int()])).nullable(),
    backups: z.boolean(),
    ipv6: z.boolean(),
    private_networking: z.boolean(),
    monitoring: z.boolean(),
    user_data: z.string().optional(),
    volumes: z.array(z.object({ id: z.string() }).strict()).optional(),
    tags,
    vpc_uuid: z.string().optional(),
    with_droplet_agent: z.boolean().optional(),
    public_networking: z.boolean().optional(),
}).strict();
const firewallRequest = z.object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/, "firewall names are letters, digits, '.' and '-'"),
    inbound_rules: z.array(inboundRule).nullable(),
    outbound_rules: z.array(outboundRule).nullable(),
    droplet_ids: z.array(z.number().int()).nullable(),
    tags,
}).strict();

interface Droplet {
    id: number; name: string; region: string; size: string; image: string; tags: string[];
    features: string[]; volume_ids: string[]; user_data?: string; status: "new" | "active" | "off"; created_at: string;
    /** GB: the size's disk when created; a resize keeps it unless asked to grow it (and it never shrinks). */
    disk: number;
    /** Why its server did not boot (machines only). */
    bootFailure?: string;
    ssh_key_ids: number[]; vpc_uuid: string;
}
interface Volume {
    id: string; name: string; region: string; size_gigabytes: number; description: string;
    droplet_ids: number[]; tags: string[]; filesystem_type: string; filesystem_label: string; created_at: string;
}

export interface DigitalOceanStandIn extends StrictServer {
    readonly droplets: ReadonlyMap<number, Droplet>;
    readonly volumes: ReadonlyMap<string, Volume>;
    readonly sshKeys: ReadonlyMap<number, { id: number; name: string; public_key: string; fingerprint: string }>;
    readonly firewalls: ReadonlyMap<string, z.infer<typeof firewallRequest> & { id: string; created_at: string }>;
    readonly tags: ReadonlySet<string>;
}

export interface DigitalOceanOptions {
    /** The bearer token the provider must send. */
    readonly token: string;
    /** The public IPv4 address every new Droplet gets: where the test's SSH server listens. */
    readonly dropletIpv4: string;
    /** The servers behind the Droplets, when they are to be real. Default: records only. */
    readonly machines?: DropletMachines;
}

/**
 * What makes a Droplet real: a local server booted from its user-data (localServer/), one at a time
 * on the one address the stand-in gives Droplets.
 */
export interface DropletMachines {
    /**
     * Boots the server of a new Droplet from its user-data, with the named volumes attached; the
     * Droplet is "active" once this resolves, as a Droplet is once it runs (before cloud-init is done).
     */
    dropletCreated(droplet: { readonly id: number; readonly userData: string; readonly volumeNames: readonly string[] }): Promise<void>;
    /** Powers the deleted Droplet's server off, before the API answers the delete. */
    dropletDeleted(id: number): Promise<void>;
}

export async function startDigitalOcean(options: DigitalOceanOptions): Promise<DigitalOceanStandIn> {
    const droplets = new Map<number, Droplet>();
    const volumes = new Map<string, Volume>();
    const sshKeys = new Map<number, { id: number; name: string; public_key: string; fingerprint: string }>();
    const firewalls = new Map<string, z.infer<typeof firewallRequest> & { id: string; created_at: string }>();
    /** Tag names: made by POST /v2/tags or by a Droplet created with them, as on DigitalOcean. */
    const tagNames = new Set<string>();
    const actions = new Map<number, { id: number; type: string; resource_id: number; resource_type: string; region_slug: string }>();
    let nextId = 1000;
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const uuid = () => `${(++nextId).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;

    const notFound = (what: string): Reply => ({ status: 404, body: { id: "not_found", message: `The ${what} could not be found.` } });
    const requireRegion = (slug: string) => {
        if (!REGIONS.includes(slug)) throw new ApiError(422, `unknown region ${JSON.stringify(slug)}`);
    };
    const action = (type: string, resourceId: number, resourceType: string, region: string) => {
        const a = { id: ++nextId, type, resource_id: resourceId, resource_type: resourceType, region_slug: region };
        actions.set(a.id, a);
        return { ...a, status: "completed", started_at: now(), completed_at: now(), region: regionOf(region) };
    };
    const regionOf = (slug: string) => ({ slug, name: slug, available: true, features: ["metadata"], sizes: Object.keys(SIZES) });

    const dropletView = (d: Droplet) => ({
        id: d.id, name: d.name, memory: SIZES[d.size].memory, vcpus: SIZES[d.size].vcpus, disk: d.disk,
        locked: false, status: d.status, created_at: d.created_at, features: d.features,
        region: regionOf(d.region),
        image: { id: IMAGES[d.image].id, name: IMAGES[d.image].name, distribution: IMAGES[d.image].distribution, slug: d.image, public: true, regions: REGIONS, type: "base" },
        size: { slug: d.size, ...SIZES[d.size], price_hourly: SIZES[d.size].price_monthly / 672, regions: REGIONS, available: true, transfer: 4 },
        size_slug: d.size,
        networks: {
            v4: [
                { ip_address: options.dropletIpv4, netmask: "255.255.255.0", gateway: options.dropletIpv4.replace(/\.\d+$/, ".1"), type: "public" },
                { ip_address: `10.10.0.${d.id % 250}`, netmask: "255.255.0.0", gateway: "10.10.0.1", type: "private" },
            ],
            v6: d.features.includes("ipv6")
                ? [{ ip_address: `2001:db8:101::${d.id.toString(16)}`, netmask: 64, gateway: "2001:db8:101::1", type: "public" }]
                : [],
        },
        tags: d.tags, volume_ids: d.volume_ids, vpc_uuid: d.vpc_uuid, backup_ids: [], snapshot_ids: [],
        kernel: null, next_backup_window: null,
    });
    const volumeView = (v: Volume) => ({ ...v, region: regionOf(v.region) });

    const routes: Route[] = [
        {
            method: "POST", path: /^\/v2\/account\/keys$/, body: keyCreate,
            handle: ({ body }) => {
                const { name, public_key } = body as z.infer<typeof keyCreate>;
                const blob = Buffer.from(public_key.split(" ")[1], "base64");
                const fingerprint = createHash("md5").update(blob).digest("hex").match(/../g)!.join(":");
                if ([...sshKeys.values()].some((k) => k.fingerprint === fingerprint)) {
                    throw new ApiError(422, "SSH Key is already in use on your account");
                }
                const key = { id: ++nextId, name, public_key, fingerprint };
                sshKeys.set(key.id, key);
                return { status: 201, body: { ssh_key: key } };
            },
        },
        {
            method: "GET", path: /^\/v2\/account\/keys\/(\d+)$/,
            handle: ({ params }) => {
                const key = sshKeys.get(Number(params[0]));
                return key ? { status: 200, body: { ssh_key: key } } : notFound("SSH key");
            },
        },
        {
            method: "PUT", path: /^\/v2\/account\/keys\/(\d+)$/, body: keyUpdate,
            handle: ({ params, body }) => {
                const key = sshKeys.get(Number(params[0]));
                if (!key) return notFound("SSH key");
                key.name = (body as z.infer<typeof keyUpdate>).name;
                return { status: 200, body: { ssh_key: key } };
            },
        },
        {
            method: "DELETE", path: /^\/v2\/account\/keys\/(\d+)$/,
            handle: ({ params }) => (sshKeys.delete(Number(params[0])) ? { status: 204 } : notFound("SSH key")),
        },
        {
            method: "POST", path: /^\/v2\/volumes$/, body: volumeCreate,
            handle: ({ body }) => {
                const request = body as z.infer<typeof volumeCreate>;
                requireRegion(request.region);
                if ([...volumes.values()].some((v) => v.name === request.name && v.region === request.region)) {
                    throw new ApiError(409, `a volume named ${request.name} already exists in ${request.region}`);
                }
                const volume: Volume = {
                    id: uuid(), name: request.name, region: request.region, size_gigabytes: request.size_gigabytes,
                    description: request.description, droplet_ids: [], tags: request.tags ?? [],
                    filesystem_type: request.filesystem_type, filesystem_label: request.filesystem_label, created_at: now(),
                };
                volumes.set(volume.id, volume);
                return { status: 201, body: { volume: volumeView(volume) } };
            },
        },
        {
            method: "GET", path: /^\/v2\/volumes\/([0-9a-f-]+)$/,
            handle: ({ params }) => {
                const volume = volumes.get(params[0]);
                return volume ? { status: 200, body: { volume: volumeView(volume) } } : notFound("volume");
            },
        },
        {
            method: "DELETE", path: /^\/v2\/volumes\/([0-9a-f-]+)$/,
            handle: ({ params }) => {
                const volume = volumes.get(params[0]);
                if (!volume) return notFound("volume");
                if (volume.droplet_ids.length) throw new ApiError(409, `volume ${volume.name} is attached to a Droplet; detach it first`);
                volumes.delete(volume.id);
                return { status: 204 };
            },
        },
        {
            method: "POST", path: /^\/v2\/volumes\/([0-9a-f-]+)\/actions$/, body: volumeAction,
            handle: ({ params, body }) => {
                const request = body as z.infer<typeof volumeAction>;
                const volume = volumes.get(params[0]);
                if (request.type === "resize") {
                    if (!volume) return notFound("volume");
                    if (request.size_gigabytes <= volume.size_gigabytes) throw new ApiError(422, `volume ${volume.name} can only grow: it has ${volume.size_gigabytes} GB`);
                    volume.size_gigabytes = request.size_gigabytes;
                    return { status: 202, body: { action: action("resize_volume", 0, "volume", volume.region) } };
                }
                const droplet = droplets.get(request.droplet_id);
                if (!volume || !droplet) throw new ApiError(404, `no volume ${params[0]} or Droplet ${request.droplet_id}`);
                if (request.type === "detach") {
                    if (!volume.droplet_ids.includes(droplet.id)) throw new ApiError(422, `volume ${volume.name} is not attached to Droplet ${droplet.id}`);
                    volume.droplet_ids = volume.droplet_ids.filter((id) => id !== droplet.id);
                    droplet.volume_ids = droplet.volume_ids.filter((id) => id !== volume.id);
                } else {
                    if (volume.droplet_ids.length) throw new ApiError(422, `volume ${volume.name} is already attached`);
                    volume.droplet_ids = [droplet.id];
                    droplet.volume_ids = [...droplet.volume_ids, volume.id];
                }
                return { status: 202, body: { action: action(`${request.type}_volume`, droplet.id, "volume", volume.region) } };
            },
        },
        {
            method: "POST", path: /^\/v2\/droplets$/, body: dropletCreate,
            handle: ({ body }) => {
                const request = body as z.infer<typeof dropletCreate>;
                requireRegion(request.region);
                if (!SIZES[request.size]) throw new ApiError(422, `unknown size ${JSON.stringify(request.size)}`);
                if (typeof request.image !== "string" || !IMAGES[request.image]) throw new ApiError(422, `unknown image ${JSON.stringify(request.image)}`);
                if (request.user_data !== undefined && Buffer.byteLength(request.user_data) > USER_DATA_LIMIT) {
                    throw new ApiError(422, `user_data is ${Buffer.byteLength(request.user_data)} bytes; the limit is ${USER_DATA_LIMIT}`);
                }
                const keyIds = (request.ssh_keys ?? []).map((ref) => {
                    const key = [...sshKeys.values()].find((k) => k.fingerprint === ref || k.id === ref);
                    if (!key) throw new ApiError(422, `unknown SSH key ${JSON.stringify(ref)}`);
                    return key.id;
                });
                const volumeIds = (request.volumes ?? []).map(({ id }) => {
                    const volume = volumes.get(id);
                    if (!volume) throw new ApiError(422, `unknown volume ${id}`);
                    if (volume.region !== request.region) throw new ApiError(422, `volume ${volume.name} is in ${volume.region}, the Droplet in ${request.region}`);
                    if (volume.droplet_ids.length) throw new ApiError(422, `volume ${volume.name} is already attached`);
                    return id;
                });
                const droplet: Droplet = {
                    id: ++nextId, name: request.name, region: request.region, size: request.size, image: request.image,
                    tags: request.tags ?? [], volume_ids: volumeIds, user_data: request.user_data, status: "new",
                    created_at: now(), ssh_key_ids: keyIds, vpc_uuid: request.vpc_uuid ?? uuid(), disk: SIZES[request.size].disk,
                    features: [
                        ...(request.monitoring ? ["monitoring"] : []),
                        ...(request.ipv6 ? ["ipv6"] : []),
                        ...(request.backups ? ["backups"] : []),
                        "private_networking",
                    ],
                };
                droplets.set(droplet.id, droplet);
                for (const name of droplet.tags) tagNames.add(name);
                for (const id of volumeIds) volumes.get(id)!.droplet_ids = [droplet.id];
                options.machines?.dropletCreated({ id: droplet.id, userData: request.user_data ?? "", volumeNames: volumeIds.map((id) => volumes.get(id)!.name) })
                    .then(() => { droplet.status = "active"; }, (err: Error) => { droplet.bootFailure = err.message; });
                return { status: 202, body: { droplet: dropletView(droplet), links: { actions: [action("create", droplet.id, "droplet", droplet.region)] } } };
            },
        },
        {
            method: "GET", path: /^\/v2\/droplets\/(\d+)$/,
            handle: ({ params }) => {
                const droplet = droplets.get(Number(params[0]));
                if (!droplet) return notFound("Droplet");
                if (droplet.bootFailure) throw new ApiError(500, `Droplet ${droplet.id}'s server did not boot: ${droplet.bootFailure}`);
                const view = dropletView(droplet);
                // A new Droplet is reported "new" once, then it has booted; with machines, once its server runs.
                if (droplet.status === "new" && !options.machines) droplet.status = "active";
                return { status: 200, body: { droplet: view } };
            },
        },
        {
            method: "DELETE", path: /^\/v2\/droplets\/(\d+)$/,
            handle: async ({ params }) => {
                const droplet = droplets.get(Number(params[0]));
                if (!droplet) return notFound("Droplet");
                await options.machines?.dropletDeleted(droplet.id);
                // As on DigitalOcean: a deleted Droplet's volumes are detached and it leaves its firewalls.
                for (const volume of volumes.values()) volume.droplet_ids = volume.droplet_ids.filter((id) => id !== droplet.id);
                for (const firewall of firewalls.values()) firewall.droplet_ids = (firewall.droplet_ids ?? []).filter((id) => id !== droplet.id);
                droplets.delete(droplet.id);
                return { status: 204 };
            },
        },
        {
            method: "POST", path: /^\/v2\/droplets\/(\d+)\/actions$/, body: dropletAction,
            handle: ({ params, body }) => {
                const request = body as z.infer<typeof dropletAction>;
                const droplet = droplets.get(Number(params[0]));
                if (!droplet) return notFound("Droplet");
                if (droplet.status === "new") throw new ApiError(422, `Droplet ${droplet.id} is still being created`);
                if (request.type === "power_off") droplet.status = "off";
                if (request.type === "power_on") droplet.status = "active";
                if (request.type === "rename") droplet.name = request.name;
                if (request.type === "resize") {
                    if (droplet.status !== "off") throw new ApiError(422, "Droplet must be powered off before resizing");
                    if (!SIZES[request.size]) throw new ApiError(422, `unknown size ${JSON.stringify(request.size)}`);
                    // A disk never shrinks: a smaller size fits only a Droplet whose disk was never grown beyond it.
                    if (SIZES[request.size].disk < droplet.disk) throw new ApiError(422, `the Droplet's ${droplet.disk} GB disk does not fit ${request.size}'s ${SIZES[request.size].disk} GB`);
                    droplet.size = request.size;
                    if (request.disk) droplet.disk = SIZES[request.size].disk;
                }
                return { status: 201, body: { action: action(request.type, droplet.id, "droplet", droplet.region) } };
            },
        },
        {
            method: "GET", path: /^\/v2\/actions\/(\d+)$/,
            handle: ({ params }) => {
                const a = actions.get(Number(params[0]));
                if (!a) return notFound("action");
                return { status: 200, body: { action: { ...a, status: "completed", started_at: now(), completed_at: now(), region: regionOf(a.region_slug) } } };
            },
        },
        ...(["POST", "PUT"] as const).map((method): Route => ({
            method, path: method === "POST" ? /^\/v2\/firewalls$/ : /^\/v2\/firewalls\/([0-9a-f-]+)$/, body: firewallRequest,
            handle: ({ params, body }) => {
                const request = body as z.infer<typeof firewallRequest>;
                for (const id of request.droplet_ids ?? []) {
                    if (!droplets.has(id)) throw new ApiError(422, `unknown Droplet ${id} in droplet_ids`);
                }
                // A firewall's tags must exist already (unlike a new Droplet's, which are created with it).
                for (const name of request.tags ?? []) {
                    if (!tagNames.has(name)) throw new ApiError(422, `unknown tag ${name}: tag names must exist in order to be referenced`);
                }
                const existing = params[0] === undefined ? undefined : firewalls.get(params[0]);
                if (params[0] !== undefined && !existing) return notFound("firewall");
                const firewall = { ...request, id: existing?.id ?? uuid(), created_at: existing?.created_at ?? now() };
                firewalls.set(firewall.id, firewall);
                return { status: method === "POST" ? 202 : 200, body: { firewall: firewallView(firewall) } };
            },
        })),
        {
            method: "GET", path: /^\/v2\/firewalls\/([0-9a-f-]+)$/,
            handle: ({ params }) => {
                const firewall = firewalls.get(params[0]);
                return firewall ? { status: 200, body: { firewall: firewallView(firewall) } } : notFound("firewall");
            },
        },
        {
            method: "DELETE", path: /^\/v2\/firewalls\/([0-9a-f-]+)$/,
            handle: ({ params }) => (firewalls.delete(params[0]) ? { status: 204 } : notFound("firewall")),
        },
        {
            method: "POST", path: /^\/v2\/tags$/, body: z.object({ name: tag }).strict(),
            handle: ({ body }) => {
                const { name } = body as { name: string };
                tagNames.add(name);
                return { status: 201, body: { tag: tagView(name) } };
            },
        },
        {
            method: "GET", path: /^\/v2\/tags\/([A-Za-z0-9:_-]+)$/,
            handle: ({ params }) => (tagNames.has(params[0]) ? { status: 200, body: { tag: tagView(params[0]) } } : notFound("tag")),
        },
        {
            method: "DELETE", path: /^\/v2\/tags\/([A-Za-z0-9:_-]+)$/,
            handle: ({ params }) => {
                if (!tagNames.delete(params[0])) return notFound("tag");
                // As on DigitalOcean: deleting a tag removes it from everything that carried it.
                for (const droplet of droplets.values()) droplet.tags = droplet.tags.filter((t) => t !== params[0]);
                for (const firewall of firewalls.values()) firewall.tags = (firewall.tags ?? []).filter((t) => t !== params[0]);
                return { status: 204 };
            },
        },
    ];
    const tagView = (name: string) => {
        const droplets_ = [...droplets.values()].filter((d) => d.tags.includes(name));
        return {
            name,
            resources: {
                count: droplets_.length, last_tagged_uri: "",
                droplets: { count: droplets_.length, last_tagged_uri: "" },
                images: { count: 0 }, volumes: { count: 0 }, volume_snapshots: { count: 0 }, databases: { count: 0 },
            },
        };
    };
    const firewallView = (f: z.infer<typeof firewallRequest> & { id: string; created_at: string }) => ({
        ...f, inbound_rules: f.inbound_rules ?? [], outbound_rules: f.outbound_rules ?? [],
        droplet_ids: f.droplet_ids ?? [], tags: f.tags ?? [], status: "succeeded", pending_changes: [],
    });

    const server = await startStrictServer({
        name: "DigitalOcean",
        routes,
        authorization: `Bearer ${options.token}`,
        errorBody: (status, message) => ({ id: status === 404 ? "not_found" : "unprocessable_entity", message }),
    });
    return { ...server, droplets, volumes, sshKeys, firewalls, tags: tagNames };
}
