/**
 * The part of a class stack that the tls and random plugins serve, as a program of its own: the
 * generated SSH login and host keys and the hub's own secrets, made by the same functions and
 * component the class stack uses. The engine test runs it with the plugins built from the upstream
 * Terraform providers, so they are exercised even where the DigitalOcean, Cloudflare or command
 * plugin is missing and the class program cannot run.
 */
import * as pulumi from "@pulumi/pulumi";
import { HubSecrets } from "../../components/hubSecrets";
import { hostKeyPair, sshKeyPair } from "../../components/hubServer";

const parent = new pulumi.ComponentResource("jupyterhub-classroom:test:KeysAndSecrets", "class");
const login = sshKeyPair("class", undefined, parent);
const host = hostKeyPair("class", parent);
const secrets = new HubSecrets("class-secrets", { parent });

export const loginPublicKey = login.publicKey;
export const loginPrivateKey = login.privateKey;
export const hostPublicKey = host.publicKey;
export const hostPrivateKey = host.privateKey;
export const cookieSecret = secrets.cookieSecret;
export const traefikApiPassword = secrets.traefikApiPassword;
