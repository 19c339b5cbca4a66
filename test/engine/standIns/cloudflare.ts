/**
 * A stand-in for the parts of the Cloudflare API v4 the stack uses: finding a zone by name, the
 * zone's DNS records, and user API tokens (cloudflareTokens.ts), each issued token then allowed what its
 * policies allow. Bodies are checked against the API's record fields and rules (A holds IPv4,
 * AAAA IPv6, TTL 1 for automatic or 60..86400, names inside the zone, no identical duplicates).
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { IssuedToken, tokenApi } from "./cloudflareTokens";
import { ApiError, Route, startStrictServer, StrictServer } from "./strictServer";

const recordBody = z.object({
    name: z.string().min(1).max(255),
    type: z.enum(["A", "AAAA", "CNAME", "TXT", "MX", "CAA"]),
    content: z.string(),
    ttl: z.number().refine((ttl) => ttl === 1 || (ttl >= 60 && ttl <= 86400), "ttl is 1 (automatic) or 60..86400 seconds"),
    proxied: z.boolean().optional(),
    comment: z.string().max(100, "comments are at most 100 characters on the Free plan").optional(),
    tags: z.array(z.string()).optional(),
    settings: z.object({
        ipv4_only: z.boolean().optional(),
        ipv6_only: z.boolean().optional(),
        flatten_cname: z.boolean().optional(),
    }).strict().optional(),
    priority: z.number().optional(),
    private_routing: z.boolean().optional(),
}).strict();

type RecordBody = z.infer<typeof recordBody>;
export interface DnsRecord extends RecordBody {
    readonly id: string;
    readonly created_on: string;
    modified_on: string;
}

export interface CloudflareStandIn extends StrictServer {
    /** The base URL to give the provider (cloudflare:baseUrl). */
    readonly baseUrl: string;
    readonly zoneId: string;
    readonly records: ReadonlyMap<string, DnsRecord>;
    /** The API tokens it issued, by id. */
    readonly tokens: ReadonlyMap<string, IssuedToken>;
}

export interface CloudflareOptions {
    /** The stack's own API token: it may do everything. */
    readonly token: string;
    /** The one zone that exists in the account. */
    readonly zoneName: string;
    /** The address to listen on. Default: 127.0.0.1. */
    readonly host?: string;
    /**
     * Called after each change to the records, before the API answers: Cloudflare's DNS serves a
     * record as soon as the API has created it.
     */
    readonly onRecordsChanged?: (records: ReadonlyMap<string, DnsRecord>) => Promise<void>;
}

const BASE = "/client/v4";

export async function startCloudflare(options: CloudflareOptions): Promise<CloudflareStandIn> {
    const zoneId = "023e105f4ecef8ad9ca31a8372d0c353";
    const records = new Map<string, DnsRecord>();
    let nextId = 0;
    const now = () => new Date().toISOString();
    const envelope = (result: unknown, extra: Record<string, unknown> = {}) =>
        ({ success: true, errors: [], messages: [], result, ...extra });
    const zone = {
        id: zoneId, name: options.zoneName, status: "active", paused: false, type: "full", development_mode: 0,
        name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"], original_name_servers: [],
        original_registrar: null, original_dnshost: null, vanity_name_servers: [], cname_suffix: null,
        verification_key: null, permissions: ["#zone:read", "#dns_records:edit"],
        created_on: "2024-01-01T00:00:00Z", modified_on: "2024-01-01T00:00:00Z", activated_on: "2024-01-01T00:00:00Z",
        account: { id: "01a7362d577a6c3019a474fd6f485823", name: "Classroom" },
        owner: { id: null, name: null, type: "organization" },
        meta: { cdn_only: false, custom_certificate_quota: 0, dns_only: false, foundation_dns: false, page_rule_quota: 3, phishing_detected: false, step: 2 },
        plan: { id: "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", name: "Free Website", price: 0, currency: "USD", frequency: "", is_subscribed: true, can_subscribe: false, legacy_id: "free", legacy_discount: false, externally_managed: false },
        tenant: { id: null, name: null }, tenant_unit: { id: null },
    };
    const view = (r: DnsRecord) => ({
        settings: {}, tags: [], comment: null, proxied: false, ...r,
        zone_id: zoneId, zone_name: options.zoneName, proxiable: r.type === "A" || r.type === "AAAA" || r.type === "CNAME",
        meta: {}, comment_modified_on: r.comment ? r.modified_on : undefined,
    });
    const validate = (body: RecordBody, except?: string): RecordBody => {
        const fqdn = body.name.endsWith(options.zoneName) ? body.name : `${body.name}.${options.zoneName}`;
        if (fqdn !== options.zoneName && !fqdn.endsWith(`.${options.zoneName}`)) {
            throw new ApiError(400, `record name ${body.name} is not in zone ${options.zoneName}`);
        }
        if (body.type === "A" && !isIPv4(body.content)) throw new ApiError(400, `content for A record is invalid: ${body.content}`);
        if (body.type === "AAAA" && !isIPv6(body.content)) throw new ApiError(400, `content for AAAA record is invalid: ${body.content}`);
        if (body.proxied && !["A", "AAAA", "CNAME"].includes(body.type)) throw new ApiError(400, `${body.type} records cannot be proxied`);
        for (const r of records.values()) {
            if (r.id !== except && r.type === body.type && r.name === fqdn && r.content === body.content) {
                throw new ApiError(400, "an identical record already exists (code 81058)");
            }
        }
        return { ...body, name: fqdn };
    };
    const tokens = tokenApi(BASE, options.token, zoneId, envelope);
    const recordPath = new RegExp(`^${BASE}/zones/${zoneId}/dns_records/([0-9a-f]+)$`);

    const routes: Route[] = [
        {
            method: "GET", path: new RegExp(`^${BASE}/zones$`),
            query: ["name", "match", "direction", "order", "status", "account.id", "account.name", "page", "per_page"],
            handle: ({ query }) => {
                const result = query.get("name") === options.zoneName ? [zone] : [];
                return { status: 200, body: envelope(result, { result_info: { page: 1, per_page: 20, count: result.length, total_count: result.length, total_pages: 1 } }) };
            },
        },
        {
            method: "GET", path: new RegExp(`^${BASE}/zones/([0-9a-f]+)$`),
            handle: ({ params }) => {
                if (params[0] !== zoneId) throw new ApiError(404, `no zone ${params[0]}`);
                return { status: 200, body: envelope(zone) };
            },
        },
        {
            method: "POST", path: new RegExp(`^${BASE}/zones/${zoneId}/dns_records$`), body: recordBody,
            handle: ({ body }) => {
                const record: DnsRecord = { ...validate(body as RecordBody), id: (++nextId).toString(16).padStart(32, "0"), created_on: now(), modified_on: now() };
                records.set(record.id, record);
                return { status: 200, body: envelope(view(record)) };
            },
        },
        {
            method: "GET", path: recordPath,
            handle: ({ params }) => {
                const record = records.get(params[0]);
                return record
                    ? { status: 200, body: envelope(view(record)) }
                    : { status: 404, body: { success: false, errors: [{ code: 81044, message: "Record does not exist." }], messages: [], result: null } };
            },
        },
        {
            method: "PUT", path: recordPath, body: recordBody,
            handle: ({ params, body }) => {
                const existing = records.get(params[0]);
                if (!existing) throw new ApiError(404, `no record ${params[0]}`);
                const record: DnsRecord = { ...validate(body as RecordBody, existing.id), id: existing.id, created_on: existing.created_on, modified_on: now() };
                records.set(record.id, record);
                return { status: 200, body: envelope(view(record)) };
            },
        },
        {
            method: "DELETE", path: recordPath,
            handle: ({ params }) => {
                if (!records.delete(params[0])) throw new ApiError(404, `no record ${params[0]}`);
                return { status: 200, body: envelope({ id: params[0] }) };
            },
        },
    ];

    const changed = options.onRecordsChanged;
    const server = await startStrictServer({
        name: "Cloudflare",
        host: options.host,
        routes: (changed ? routes.map((route): Route => route.method === "GET" ? route : {
            ...route,
            handle: async (request) => {
                const reply = await route.handle(request);
                await changed(records);
                return reply;
            },
        }) : routes).concat(tokens.routes),
        authorization: tokens.authorize,
        errorBody: (status, message) => ({ success: false, errors: [{ code: cloudflareErrorCode(status), message }], messages: [], result: null }),
    });
    return { ...server, baseUrl: `${server.url}${BASE}`, zoneId, records, tokens: tokens.tokens };
}

/** Cloudflare's error codes: 7003 an unknown object, 10000 an authentication error, 1004 a bad request. */
function cloudflareErrorCode(status: number): number {
    if (status === 404) return 7003;
    return status === 401 || status === 403 ? 10000 : 1004;
}
