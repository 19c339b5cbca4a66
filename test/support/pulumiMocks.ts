import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { DNS_WRITE, ZONE_READ } from "../../components/hubAcmeToken";

/** A resource as the program registered it: its type token, name and inputs. */
export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** A real OpenSSH ED25519 public key, built from a fresh key pair. */
export function openSshPublicKey(comment = "test"): string {
    const der = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
    const raw = der.subarray(der.length - 32);
    const withLength = (bytes: Buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        return Buffer.concat([length, bytes]);
    };
    const blob = Buffer.concat([withLength(Buffer.from("ssh-ed25519")), withLength(raw)]);
    return `ssh-ed25519 ${blob.toString("base64")} ${comment}`;
}

/** What the mocked providers hand back: addresses, fingerprints and "generated" secrets. */
export interface MockWorld {
    readonly generatedPrivateKey: string;
    readonly generatedPublicKey: string;
    readonly derivedPublicKey: string;
    /** The Droplet's host key (HubServer's `-ssh-host-key`), distinct from the stack's login key. */
    readonly hostPrivateKey: string;
    readonly hostPublicKey: string;
    readonly cookieSecret: string;
    readonly traefikApiPassword: string;
    readonly ipv4: string;
    readonly ipv6: string;
    readonly zoneId: string;
    /** platform kubernetes: the cluster's kubeconfig and the proxy's load balancer address. */
    readonly kubeconfig: string;
    readonly loadBalancerIp: string;
    /** The value Cloudflare gives a new API token. */
    readonly cloudflareToken: string;
    /**
     * What Cloudflare answers the stack's credentials when they list API token permission groups:
     * the ids it lists, or its refusal (credentials without API Tokens Read or Edit).
     */
    readonly tokenPermissionGroups: readonly string[] | Error;
}

export function mockWorld(): MockWorld {
    return {
        generatedPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-generated-private-key\n-----END OPENSSH PRIVATE KEY-----\n",
        generatedPublicKey: openSshPublicKey("generated"),
        derivedPublicKey: openSshPublicKey("derived"),
        hostPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-host-private-key\n-----END OPENSSH PRIVATE KEY-----\n",
        hostPublicKey: openSshPublicKey("host"),
        cookieSecret: "c0".repeat(32),
        traefikApiPassword: "plantedTraefikApiPassword0123456",
        ipv4: "203.0.113.10",
        ipv6: "2001:db8::10",
        zoneId: "zone-0123456789",
        kubeconfig: "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: planted-cluster-token-7a41\n",
        loadBalancerIp: "203.0.113.80",
        cloudflareToken: "plantedCloudflareToken0123456789abcdefAB",
        tokenPermissionGroups: [ZONE_READ, DNS_WRITE, "82e64a83756745bbbb1c9c2701bf816b"],
    };
}

function outputsOf(type: string, name: string, inputs: Record<string, any>, world: MockWorld): Record<string, any> {
    if (type === "tls:index/privateKey:PrivateKey" && name.endsWith("-ssh-host-key")) {
        return { ...inputs, privateKeyOpenssh: world.hostPrivateKey, publicKeyOpenssh: `${world.hostPublicKey}\n` };
    }
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyOpenssh: world.generatedPrivateKey, publicKeyOpenssh: `${world.generatedPublicKey}\n` };
        case "digitalocean:index/sshKey:SshKey":
            return { ...inputs, fingerprint: "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa" };
        case "digitalocean:index/droplet:Droplet":
            return { ...inputs, ipv4Address: world.ipv4, ipv6Address: world.ipv6 };
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: name.endsWith("-cookie-secret") ? world.cookieSecret : world.traefikApiPassword };
        case "digitalocean:index/kubernetesCluster:KubernetesCluster":
            return { ...inputs, kubeConfigs: [{ rawConfig: world.kubeconfig }] };
        case "kubernetes:helm.sh/v3:Release":
            return { ...inputs, status: { name: inputs.name, namespace: inputs.namespace, status: "deployed" } };
        case "kubernetes:core/v1:Service":
            return { ...inputs, status: { loadBalancer: { ingress: [{ ip: world.loadBalancerIp }] } } };
        case "cloudflare:index/apiToken:ApiToken":
            return { ...inputs, value: world.cloudflareToken, status: "active" };
        default:
            return inputs;
    }
}

/** What the engine is asked for one resource: the options that decide its order, diff and deletion. */
interface EngineRequest {
    readonly type: string;
    /** The names of the resources it depends on: it is created after them and deleted before them. */
    readonly dependencies: readonly string[];
    readonly ignoreChanges: readonly string[];
    /** The replacementTrigger option's value: any change replaces the resource. */
    readonly replacementTrigger?: unknown;
    readonly retainOnDelete?: boolean;
    readonly protect?: boolean;
    readonly timeouts: { create: string; update: string; delete: string };
}

/** Records every RegisterResource request the mocked engine receives, by resource name. */
function recordRequests(): Map<string, EngineRequest> {
    const requests = new Map<string, EngineRequest>();
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        requests.set(req.getName(), {
            type: req.getType(),
            dependencies: req.getDependenciesList().map((urn: string) => urn.split("::").at(-1)),
            ignoreChanges: req.getIgnorechangesList(),
            replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
            retainOnDelete: req.getRetainondelete(),
            protect: req.getProtect(),
            timeouts: (({ create, update, pb_delete }) => ({ create, update, delete: pb_delete }))(req.getCustomtimeouts().toObject()),
        });
        return register(req, callback);
    };
    return requests;
}

/**
 * Installs Pulumi mocks that record every registered resource and the engine's requests, and
 * answer the invokes. Call it before the program or the components are loaded; `config` is the
 * stack config (namespaced keys).
 */
export function installMocks(config: Record<string, string>, secretKeys: string[] = [], world = mockWorld()) {
    const registered: Registered[] = [];
    pulumi.runtime.setAllConfig(config, secretKeys);
    pulumi.runtime.setMocks({
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            // The firewall takes the Droplet's id as a number, as DigitalOcean's are.
            const id = args.type === "digitalocean:index/droplet:Droplet" ? "412345678" : `${args.name}-id`;
            return { id, state: outputsOf(args.type, args.name, args.inputs, world) };
        },
        call(args) {
            if (args.token === "cloudflare:index/getZone:getZone") return { id: world.zoneId, name: args.inputs.filter?.name };
            if (args.token === "tls:index/getPublicKey:getPublicKey") return { publicKeyOpenssh: `${world.derivedPublicKey}\n` };
            if (args.token === "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList") {
                if (world.tokenPermissionGroups instanceof Error) throw world.tokenPermissionGroups;
                return { scope: args.inputs.scope, results: world.tokenPermissionGroups.map((id) => ({ id, name: id, scopes: [args.inputs.scope] })) };
            }
            throw new Error(`unexpected invoke ${args.token}`);
        },
    }, "jupyterhub-classroom", "engr101", false);
    const requests = recordRequests();
    const request = (name: string) => {
        const found = requests.get(name);
        if (!found) throw new Error(`no resource named ${name}; registered: ${[...requests.keys()].join(", ")}`);
        return found;
    };
    const ofType = (type: string) => registered.filter((r) => r.type === type);
    const named = (name: string, type: string) => {
        const found = ofType(type).filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, got ${found.length}`);
        return found[0];
    };
    return { registered, world, ofType, named, requests, request };
}

/** Waits until the program has registered every resource, then returns their URNs. */
export async function registeredUrns(): Promise<string[]> {
    const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
    await pulumi.runtime.disconnect();
    return [...monitor.getRegisteredResources().keys()];
}

/** The value of an Output, known under mocks (they run as an update, not a preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

export const namespaced = (raw: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [`jupyterhub-classroom:${k}`, v]));

/**
 * Runs the Pulumi program (index.ts) under fresh mocks with the given stack config (plain keys;
 * secretKeys name the ones set with --secret). require, not import(): the program runs again for
 * each config, and only require's cache can be cleared.
 */
export async function runProgram(raw: Record<string, string>, secretKeys: string[] = [], world = mockWorld()) {
    const mocks = installMocks(namespaced(raw), secretKeys.map((k) => `jupyterhub-classroom:${k}`), world);
    const programPath = require.resolve("../../index");
    delete require.cache[programPath];
    let program: typeof import("../../index") | undefined;
    let error: unknown;
    try {
        program = require(programPath);
    } catch (err) {
        error = err;
    }
    const urns = await registeredUrns();
    return { ...mocks, program, error, urns };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as they would show in plain text: values Pulumi keeps secret become "[secret]". */
export function plainText(inputs: unknown): string {
    return JSON.stringify(inputs, (_key, value) =>
        value && typeof value === "object" && SECRET_SIG in value ? "[secret]" : value);
}

/** Whether a registered input value is marked secret. */
export const isSecretInput = (value: unknown): boolean =>
    typeof value === "object" && value !== null && SECRET_SIG in value;

/** A registered input's value, unwrapped when it is marked secret. */
export const unwrap = (value: any): any => (isSecretInput(value) ? value.value : value);
