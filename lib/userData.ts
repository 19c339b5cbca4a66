import { ClassConfig } from "./classConfig";

/**
 * PLACEHOLDER (to be replaced by the server helper): renders the cloud-init user-data document.
 * Depends only on what must be fixed for the Droplet's life (hostname, admin user and keys, image,
 * ACME settings, the server files under cloud-init/): never on the roster, limits, login page,
 * course repo, OAuth settings or any secret.
 */
export function renderUserData(cfg: ClassConfig, sshPublicKeys: readonly string[]): string {
    return `#cloud-config\n# ${cfg.hostname} ${cfg.admin.user} ${sshPublicKeys.length}\n`;
}
