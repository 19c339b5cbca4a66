import { generateKeyPairSync, randomBytes } from "node:crypto";
import { parseDocument } from "yaml";
import { USER_DATA_LIMIT } from "./userData";

/**
 * The Droplet's SSH host key, made by the stack before the Droplet exists, so every SSH client of
 * the stack (pulumi-command's connection, `npm run archive`) knows which key the server must show
 * before it sends anything. docs/security.md ("Reaching the server") says where the private half travels.
 */
export interface HostKey {
    /** OpenSSH format, no passphrase. */
    readonly privateKey: string;
    /** `ssh-ed25519 AAAA…` as in authorized_keys: the form pulumi-command's `hostKey` parses. */
    readonly publicKey: string;
}

/** `<type> <base64>`, the two fields of a public key line that identify the key; a comment may follow. */
const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|rsa-sha2-(?:256|512)|ssh-rsa) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/;

/** The key's type and base64 blob, refusing anything that is not one public key on one line. */
export function parsePublicKey(publicKey: string): { type: string; blob: string } {
    const match = PUBLIC_KEY.exec(publicKey.trim());
    if (!match) throw new Error(`not an SSH public key line ("ssh-ed25519 AAAA…"): ${JSON.stringify(publicKey.slice(0, 40))}`);
    return { type: match[1], blob: match[2] };
}

/**
 * The known_hosts line that makes OpenSSH accept exactly this key for this address, and no other:
 * `[host]:port` when the port is not 22, as ssh looks it up.
 */
export function knownHostsLine(host: string, port: number, publicKey: string): string {
    if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new Error(`not a host name or address: ${JSON.stringify(host)}`);
    const { type, blob } = parsePublicKey(publicKey);
    return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${blob}\n`;
}

/**
 * The first-boot user-data with the host key in cloud-init's `ssh_keys`: cloud-init deletes the
 * image's host keys (`ssh_deletekeys`), writes this one (0600) before sshd starts and, given keys,
 * generates none of its own, so the first sshd already shows the stack's key.
 */
export function withHostKey(userData: string, hostKey: HostKey): string {
    const { type, blob } = parsePublicKey(hostKey.publicKey);
    if (type !== "ssh-ed25519") throw new Error(`the host key must be ED25519, not ${type}`);
    const doc = parseDocument(userData);
    doc.set("ssh_deletekeys", true);
    doc.set("ssh_keys", { ed25519_private: hostKey.privateKey, ed25519_public: `${type} ${blob}` });
    const text = doc.toString({ lineWidth: 0 });
    const size = Buffer.byteLength(text);
    if (size > USER_DATA_LIMIT) {
        throw new Error(`user-data is ${size} bytes with the host key; DigitalOcean allows ${USER_DATA_LIMIT}. Make the files under cloud-init/ smaller.`);
    }
    return text;
}

/** An SSH string: its length (uint32, big-endian), then its bytes. */
function sshString(bytes: Buffer | string): Buffer {
    const data = Buffer.from(bytes);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
}

/**
 * A fresh ED25519 host key in the formats @pulumi/tls's PrivateKey gives the stack (OpenSSH
 * private key, authorized_keys public key), for `npm run render`, which runs without Pulumi.
 * The private key is OpenSSH's unencrypted "openssh-key-v1" container (PROTOCOL.key in OpenSSH).
 */
export function generateHostKey(comment = "jupyterhub-classroom host key"): HostKey {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const pub = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
    const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
    const check = randomBytes(4);
    const secret = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub),
        sshString(Buffer.concat([seed, pub])), sshString(comment)]);
    // Padded with 1, 2, 3… to the block size of the "none" cipher, 8.
    const padding = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, i) => i + 1));
    const container = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""),
        Buffer.from([0, 0, 0, 1]), sshString(publicBlob), sshString(Buffer.concat([secret, padding]))]);
    const lines = container.toString("base64").match(/.{1,70}/g)!;
    return {
        privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
        publicKey: `ssh-ed25519 ${publicBlob.toString("base64")}`,
    };
}
