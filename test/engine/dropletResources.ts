/**
 * The class's DigitalOcean resources as a program of their own: the HubServer component (its SSH and
 * host keys, SSH key, volume, firewall with its tag, and Droplet), built from the stack's class config
 * as the class program reads it (lib/config/stack.ts). The engine test runs it with the tls and
 * digitalocean plugins only, where the Cloudflare or command plugin may be missing.
 */
import { HubServer } from "../../components/hubServer";
import { readStackConfig } from "../../lib/config/stack";

const { cfg, secrets } = readStackConfig();
const server = new HubServer("hub", { config: cfg, sshPrivateKey: secrets.sshPrivateKey });

export const dropletId = server.running?.dropletId;
export const ipv4 = server.running?.ipv4;
export const publicKey = server.publicKey;
/** Secret: what the test looks for in the exported state. */
export const privateKey = server.privateKey;
/** Secret: the first-boot user-data, holding the host key's private half. */
export const userData = server.userData;
