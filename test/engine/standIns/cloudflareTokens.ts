/**
 * User API tokens in the Cloudflare stand-in (API v4: /user/tokens, /user/tokens/permission_groups):
 * the permission groups a token may be given, creating, reading, updating and deleting tokens, and what
 * a token the stand-in issued may then do. The stack's own token may do everything; an issued token
 * only what its policies allow on the one zone: Zone Read reads the zone (and lists it), DNS Read its
 * records, DNS Write reads and changes them. Everything else, such as managing tokens, is refused 403,
 * as Cloudflare refuses a token without the permission.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ApiError, Route } from "./strictServer";

/** Cloudflare's ids for the zone permission groups (https://developers.cloudflare.com/fundamentals/api/reference/permissions/). */
export const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";
export const DNS_READ = "82e64a83756745bbbb1c9c2701bf816b";
export const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";
const ZONE_SCOPE = "com.cloudflare.api.account.zone";

const PERMISSION_GROUPS = [
    { id: ZONE_READ, name: "Zone Read", scopes: [ZONE_SCOPE], category: "dns_and_zones", is_selectable: true },
    { id: DNS_READ, name: "DNS Read", scopes: [ZONE_SCOPE], category: "dns_and_zones", is_selectable: true },
    { id: DNS_WRITE, name: "DNS Write", scopes: [ZONE_SCOPE], category: "dns_and_zones", is_selectable: true },
];

const policyBody = z.object({
    effect: z.enum(["allow", "deny"]),
    permission_groups: z.array(z.object({
        id: z.string(),
        meta: z.object({ key: z.string().optional(), value: z.string().optional() }).strict().optional(),
    }).strict()).min(1),
    resources: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string())])),
}).strict();

const tokenBody = z.object({
    name: z.string().min(1).max(120),
    policies: z.array(policyBody).min(1),
    condition: z.object({
        request_ip: z.object({ in: z.array(z.string()).optional(), not_in: z.array(z.string()).optional() }).strict().optional(),
    }).strict().optional(),
    expires_on: z.string().datetime().optional(),
    not_before: z.string().datetime().optional(),
}).strict();
const tokenUpdateBody = tokenBody.extend({ status: z.enum(["active", "disabled", "expired"]).optional() }).strict();

type TokenBody = z.infer<typeof tokenBody>;

export interface IssuedToken {
    readonly id: string;
    readonly value: string;
    readonly issued_on: string;
    name: string;
    status: "active" | "disabled" | "expired";
    modified_on: string;
    policies: { id: string; effect: "allow" | "deny"; permission_groups: { id: string; name: string }[]; resources: Record<string, unknown> }[];
    condition?: TokenBody["condition"];
    expires_on?: string;
    not_before?: string;
}

export interface TokenApi {
    readonly routes: Route[];
    readonly tokens: ReadonlyMap<string, IssuedToken>;
    /** For StrictServerOptions.authorization: the stack's token may do everything, an issued one what it allows. */
    authorize(header: string | undefined, method: string, path: string): ApiError | undefined;
}

/**
 * BASE is the API's path prefix, STACK_TOKEN the stack's own token, ZONE_ID the one zone; ENVELOPE wraps
 * a result as the API does.
 */
export function tokenApi(base: string, stackToken: string, zoneId: string, envelope: (result: unknown) => unknown): TokenApi {
    const tokens = new Map<string, IssuedToken>();
    const now = () => new Date().toISOString();
    const zoneResource = `${ZONE_SCOPE}.${zoneId}`;

    /** The token's policies, checked as Cloudflare checks them: known groups, on resources of their scope. */
    const policies = (body: TokenBody): IssuedToken["policies"] => body.policies.map((policy) => {
        for (const [resource, value] of Object.entries(policy.resources)) {
            if (resource !== zoneResource && resource !== `${ZONE_SCOPE}.*`) {
                throw new ApiError(400, `policy resource ${resource} is not a zone of this account (the stand-in knows ${zoneResource})`);
            }
            if (value !== "*") throw new ApiError(400, `policy resource ${resource} must map to "*", not ${JSON.stringify(value)}`);
        }
        const groups = policy.permission_groups.map(({ id }) => {
            const group = PERMISSION_GROUPS.find((g) => g.id === id);
            if (!group) throw new ApiError(400, `no permission group ${id}`);
            return { id, name: group.name };
        });
        return { id: randomHex(), effect: policy.effect, permission_groups: groups, resources: policy.resources };
    });
    const view = ({ value: _value, ...token }: IssuedToken) => token;
    const tokenPath = new RegExp(`^${base}/user/tokens/([0-9a-f]{32})$`);
    const existing = (id: string) => {
        const token = tokens.get(id);
        if (!token) throw new ApiError(404, `no token ${id}`);
        return token;
    };

    const routes: Route[] = [
        {
            method: "GET", path: new RegExp(`^${base}/user/tokens/permission_groups$`), query: ["name", "scope"],
            handle: ({ query }) => {
                const name = query.get("name");
                const scope = query.get("scope");
                const groups = PERMISSION_GROUPS.filter((g) => (name === null || g.name === name) && (scope === null || g.scopes.includes(scope)));
                return { status: 200, body: envelope(groups) };
            },
        },
        {
            method: "POST", path: new RegExp(`^${base}/user/tokens$`), body: tokenBody,
            handle: ({ body }) => {
                const request = body as TokenBody;
                const issued = now();
                const token: IssuedToken = {
                    ...request, id: randomHex(), value: randomBytes(30).toString("base64url"), issued_on: issued,
                    modified_on: issued, status: "active", policies: policies(request),
                };
                tokens.set(token.id, token);
                return { status: 200, body: envelope({ ...view(token), value: token.value }) };
            },
        },
        { method: "GET", path: tokenPath, handle: ({ params }) => ({ status: 200, body: envelope(view(existing(params[0]))) }) },
        {
            method: "PUT", path: tokenPath, body: tokenUpdateBody,
            handle: ({ params, body }) => {
                const token = existing(params[0]);
                const request = body as z.infer<typeof tokenUpdateBody>;
                Object.assign(token, { ...request, policies: policies(request), status: request.status ?? token.status, modified_on: now() });
                return { status: 200, body: envelope(view(token)) };
            },
        },
        {
            method: "DELETE", path: tokenPath,
            handle: ({ params }) => {
                tokens.delete(existing(params[0]).id);
                return { status: 200, body: envelope({ id: params[0] }) };
            },
        },
    ];

    /** Whether the token's policies give GROUP on the zone: an allow policy does and no deny policy does. */
    const grants = (token: IssuedToken, group: string) => {
        const matching = token.policies.filter((p) => p.permission_groups.some((g) => g.id === group)
            && Object.keys(p.resources).some((r) => r === zoneResource || r === `${ZONE_SCOPE}.*`));
        return matching.some((p) => p.effect === "allow") && !matching.some((p) => p.effect === "deny");
    };
    /** The permission groups of which a call needs one, for the calls an issued token can be allowed. */
    const needs = (method: string, path: string): string[] => {
        if (method === "GET" && (path === `${base}/zones` || path === `${base}/zones/${zoneId}`)) return [ZONE_READ];
        if (path.startsWith(`${base}/zones/${zoneId}/dns_records`)) return method === "GET" ? [DNS_READ, DNS_WRITE] : [DNS_WRITE];
        return [];
    };
    const authorize = (header: string | undefined, method: string, path: string): ApiError | undefined => {
        if (header === `Bearer ${stackToken}`) return undefined;
        const token = [...tokens.values()].find((t) => header === `Bearer ${t.value}`);
        if (!token || token.status !== "active") return new ApiError(401, "missing, wrong or inactive API token in the Authorization header");
        if (needs(method, path).some((group) => grants(token, group))) return undefined;
        return new ApiError(403, `token ${token.id} (${token.name}) may not ${method} ${path}: Authentication error`);
    };
    return { routes, tokens, authorize };
}

function randomHex(): string {
    return randomBytes(16).toString("hex");
}
