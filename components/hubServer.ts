import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import * as tls from "@pulumi/tls";
import { ClassConfig } from "../lib/config/classConfig";
import { withHostKey } from "../lib/hostKey";
import { renderSyncDocument, renderUserData } from "../lib/userData";

export interface HubServerArgs {
    /**
     * The validated class. Its user-data holds the server files and what is fixed for the
     * Droplet's life (hostname, admin user); class settings and secrets go through HubSettings.
     */
    readonly config: ClassConfig;
    /** The private key (OpenSSH format, no passphrase) the stack uses for SSH. Default: a generated ED25519 key. */
    readonly sshPrivateKey?: pulumi.Input<string>;
}

/** The Droplet of a class that is not paused: what the DNS records and every SSH step reach. */
export interface RunningDroplet {
    readonly dropletId: pulumi.Output<string>;
    readonly ipv4: pulumi.Output<string>;
    readonly ipv6: pulumi.Output<string>;
}

/**
 * The Droplet, its SSH key and host key, the volume with the students' homes, and the firewall.
 * While the class is paused (cfg.droplet.paused) there is no Droplet and everything else stays:
 * the volume with every home, the keys (a resumed server shows the same host key) and the firewall.
 */
export class HubServer extends pulumi.ComponentResource {
    /** The Droplet; undefined while the class is paused. */
    readonly running: RunningDroplet | undefined;
    /** The stack's SSH private key (secret). */
    readonly privateKey: pulumi.Output<string>;
    readonly publicKey: pulumi.Output<string>;
    /** The host key the Droplet's sshd shows (`ssh-ed25519 AAAA…`): every SSH client of the stack pins it. */
    readonly hostPublicKey: pulumi.Output<string>;
    /**
     * The first-boot user-data for a Droplet created now; day-2 tools are left out (lib/userData.ts).
     * Secret: it carries the host key's private half (lib/hostKey.ts).
     */
    readonly userData: pulumi.Output<string>;
    /** Every server file as cloud-config, what HubSync sends to the running Droplet. */
    readonly syncDocument: pulumi.Output<string>;

    constructor(name: string, args: HubServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubServer", name, {}, opts);
        const cfg = args.config;
        const key = sshKeyPair(name, args.sshPrivateKey, this);
        const sshKey = new digitalocean.SshKey(`${name}-ssh-key`, {
            name: `jupyterhub-classroom ${cfg.hostname}`,
            publicKey: key.publicKey,
        }, { parent: this });
        const hostKey = hostKeyPair(name, this);
        const userData = pulumi.secret(pulumi.all([key.publicKey, hostKey.privateKey, hostKey.publicKey]).apply(
            ([publicKey, privateKey, hostPublicKey]) => withHostKey(renderUserData(cfg, [publicKey]), { privateKey, publicKey: hostPublicKey })));
        const syncDocument = key.publicKey.apply((publicKey) => renderSyncDocument(cfg, [publicKey]));
        const tags = dropletTags(pulumi.getStack());
        const firewall = tagFirewall(name, cfg, this);
        // Name and description are fixed at creation (a new one is a new, empty volume): both come
        // from the stack alone, never from a setting an instructor may change.
        const homes = new digitalocean.Volume(`${name}-homes`, {
            name: volumeName(pulumi.getProject(), pulumi.getStack()),
            region: cfg.droplet.region,
            size: cfg.droplet.volumeSizeGb,
            description: `Students' homes of the class ${pulumi.getStack()}`,
            tags,
        }, {
            parent: this,
            // retainOnDelete, not protect: protect makes `pulumi destroy` fail outright, so the
            // class could not be taken down at all; retainOnDelete lets destroy remove everything
            // else and leaves the volume (and the students' work) in the DigitalOcean account.
            retainOnDelete: cfg.droplet.retainVolume,
        });
        this.running = cfg.droplet.paused ? undefined : hubDroplet(name, cfg, {
            userData, sshKeyFingerprint: sshKey.fingerprint, volumeId: homes.id, tags, firewall,
        }, this);
        this.privateKey = key.privateKey;
        this.publicKey = key.publicKey;
        this.hostPublicKey = hostKey.publicKey;
        this.userData = userData;
        this.syncDocument = syncDocument;
        // The sync document holds public keys and no secret; the user-data holds the host key (secret).
        this.registerOutputs({
            dropletId: this.running?.dropletId,
            ipv4: this.running?.ipv4,
            ipv6: this.running?.ipv6,
            privateKey: this.privateKey,
            publicKey: this.publicKey,
            hostPublicKey: this.hostPublicKey,
            userData: this.userData,
            syncDocument: this.syncDocument,
        });
    }
}

/** What the Droplet is made from: the other resources of HubServer. */
interface DropletParts {
    readonly userData: pulumi.Output<string>;
    readonly sshKeyFingerprint: pulumi.Output<string>;
    readonly volumeId: pulumi.Output<string>;
    readonly tags: string[];
    readonly firewall: { readonly tag: pulumi.Output<string>; readonly resource: pulumi.Resource };
}

/**
 * The Droplet, with the students' volume attached. Pausing the class removes it from the program:
 * Pulumi then deletes it as on a destroy, after HubArchive's step (which depends on it) has
 * archived it; resuming creates a new one, which mounts the same volume.
 */
function hubDroplet(name: string, cfg: ClassConfig, parts: DropletParts, parent: pulumi.Resource): RunningDroplet {
    const { userData, sshKeyFingerprint, volumeId, tags, firewall } = parts;
    const droplet = new digitalocean.Droplet(`${name}-droplet`, {
        name: cfg.hostname,
        image: cfg.droplet.image,
        region: cfg.droplet.region,
        size: cfg.droplet.size,
        // Keeps the disk size, so a Droplet sized up for exam week can be sized down again;
        // the students' data lives on the volume, not on the Droplet's disk.
        resizeDisk: false,
        userData,
        sshKeys: [sshKeyFingerprint],
        // Attached at creation, so the homes are there before cloud-init's first boot mounts them.
        volumeIds: [volumeId],
        monitoring: true,
        ipv6: true,
        // The firewall's tag: DigitalOcean applies the firewall from the Droplet's first boot.
        tags: [...tags, firewall.tag],
    }, {
        parent,
        // The firewall exists before the Droplet does, so SSH is never open to all.
        dependsOn: [firewall.resource],
        // A volume is attached to one Droplet at a time: the old Droplet must go before its
        // replacement can be created with the volume.
        deleteBeforeReplace: true,
        // cloud-init reads user-data only at the first boot: changed server files reach the
        // running Droplet through HubSync over SSH instead of replacing it. A replacement (a new
        // image, region or SSH key, or the trigger below) still boots from the current
        // user-data: when the engine replaces a resource it takes every input from the program.
        ignoreChanges: ["userData"],
        replacementTrigger: dropletIdentity(cfg),
    });
    return { dropletId: droplet.id, ipv4: droplet.ipv4Address, ipv6: droplet.ipv6Address };
}

/**
 * What only a new Droplet can change, now that its user-data is ignored: cloud-init creates the
 * admin user and sets the system's hostname at the first boot only (classroom-sync refuses an
 * admin user that does not exist). Any change here replaces the Droplet; the students' volume,
 * named after the stack, not the hostname, stays and the new Droplet mounts it.
 */
export function dropletIdentity(cfg: ClassConfig) {
    return { adminUser: cfg.admin.user, hostname: cfg.hostname };
}

/**
 * The stack's SSH key pair: the instructor's private key when given, else a generated ED25519 key.
 * The public key is not secret; unsecret keeps the sync document (HubSync's stdin) readable in previews.
 */
export function sshKeyPair(name: string, privateKey: pulumi.Input<string> | undefined, parent: pulumi.Resource) {
    if (privateKey === undefined) {
        const generated = new tls.PrivateKey(`${name}-ssh-private-key`, { algorithm: "ED25519" }, { parent });
        return {
            privateKey: pulumi.secret(generated.privateKeyOpenssh),
            publicKey: generated.publicKeyOpenssh.apply((k) => k.trim()),
        };
    }
    const derived = tls.getPublicKeyOutput({ privateKeyOpenssh: privateKey }, { parent });
    return {
        privateKey: pulumi.secret(privateKey),
        publicKey: pulumi.unsecret(derived.publicKeyOpenssh.apply((k) => k.trim())),
    };
}

/**
 * The Droplet's SSH host key, generated once per stack: a replacement Droplet shows the same key,
 * so the pinned connections stay valid. The private half is a secret output of @pulumi/tls.
 */
export function hostKeyPair(name: string, parent: pulumi.Resource) {
    const generated = new tls.PrivateKey(`${name}-ssh-host-key`, { algorithm: "ED25519" }, { parent });
    return {
        privateKey: pulumi.secret(generated.privateKeyOpenssh),
        publicKey: generated.publicKeyOpenssh.apply((k) => k.trim()),
    };
}

/**
 * The class's firewall, applied by a tag of its own rather than to a Droplet id: created (with
 * its tag) before the Droplet, which carries the tag from its creation, so DigitalOcean filters
 * its traffic from the first boot. The tag is named after the project and the stack, so the
 * firewall reaches no other Droplet of the account.
 */
export function tagFirewall(name: string, cfg: ClassConfig, parent: pulumi.Resource) {
    const tag = new digitalocean.Tag(`${name}-firewall-tag`, {
        name: firewallTag(pulumi.getProject(), pulumi.getStack()),
    }, { parent });
    // Not the name of the earlier firewall by Droplet id: a stack that had it gets this one, and
    // the Droplet its tag, before Pulumi deletes the old one (removed resources go last).
    const resource = new digitalocean.Firewall(`${name}-tag-firewall`, {
        name: cfg.hostname,
        tags: [tag.name],
        ...firewallRules(cfg.ssh.allowedCidrs),
    }, { parent });
    return { tag: tag.name, resource };
}

/** The tag that puts a Droplet behind the class's firewall: the volume's name (unique per project and stack) + "-firewall". */
export function firewallTag(project: string, stack: string): string {
    return `${volumeName(project, stack)}-firewall`;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** HTTP(S) and ping from anywhere, SSH only from the given CIDRs; everything outbound. */
export function firewallRules(sshAllowedCidrs: readonly string[]) {
    return {
        inboundRules: [
            { protocol: "tcp", portRange: "80", sourceAddresses: ANYWHERE },
            { protocol: "tcp", portRange: "443", sourceAddresses: ANYWHERE },
            { protocol: "tcp", portRange: "22", sourceAddresses: [...sshAllowedCidrs] },
            { protocol: "icmp", sourceAddresses: ANYWHERE },
        ],
        outboundRules: [
            { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
            { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
            { protocol: "icmp", destinationAddresses: ANYWHERE },
        ],
    };
}

/**
 * The DigitalOcean volume with the students' homes, named after the stack so that nothing in the
 * class config renames (and so replaces) it: lower-case letters, digits and "-", starting with a
 * letter, at most 64 characters. A volume name must be unique in the account's region, so a short
 * hash of the project and the stack (whose name may be longer or hold other characters) follows.
 */
export function volumeName(project: string, stack: string): string {
    const hash = createHash("sha256").update(`${project}/${stack}`).digest("hex").slice(0, 8);
    const label = stack.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
    return ["classroom", label, hash].filter(Boolean).join("-");
}

/** DigitalOcean tags allow letters, digits, ":", "-" and "_"; stack names may also hold ".". */
export function dropletTags(stack: string): string[] {
    return ["jupyterhub-classroom", stack.replace(/[^A-Za-z0-9:_-]/g, "-")];
}
