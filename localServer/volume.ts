import { existsSync, rmSync } from "node:fs";
import { check, run } from "./process";

/** Where DigitalOcean's udev rules put an attached volume; install.sh looks there. */
const DIGITALOCEAN_VOLUMES = "/dev/disk/by-id/scsi-0DO_Volume_";
/** Backing files are <private dir>/volume-<name>.img; a crashed run's loop devices are found by it. */
const BACKING_FILE = /\/jhc-e2e-[^/]+\/volume-[a-z0-9-]+\.img/;

/**
 * A stand-in for a DigitalOcean volume: a sparse file behind a loop device, blank like a new
 * volume. It outlives the guests it is attached to, as a volume outlives Droplets.
 */
export class HostVolume {
    private constructor(readonly name: string, readonly device: string, private readonly file: string) {}

    static async create(dir: string, name: string, sizeGb = 1): Promise<HostVolume> {
        return HostVolume.attach(`${dir}/volume-${name}.img`, name, sizeGb);
    }

    /** The volume in `file`, as an earlier run left it, or blank when there is no such file. */
    static async attach(file: string, name: string, sizeGb = 1): Promise<HostVolume> {
        if (!existsSync(file)) await check("truncate", ["-s", `${sizeGb}G`, file]);
        const device = (await check("losetup", ["--find", "--show", file])).trim();
        return new HostVolume(name, device, file);
    }

    /** The guest sees it where DigitalOcean attaches it, and under its own name, where libblkid looks for a UUID. */
    guestBinds(): [host: string, guest: string][] {
        return [[this.device, this.device], [this.device, `${DIGITALOCEAN_VOLUMES}${this.name}`]];
    }

    /** The file system's UUID, or "" while it has none. */
    async uuid(): Promise<string> {
        return (await run("blkid", ["-p", "-o", "value", "-s", "UUID", this.device])).stdout.trim();
    }

    /** Detaches the loop device; the file, and the students' files in it, stay. */
    async detach(): Promise<void> {
        await run("losetup", ["--detach", this.device]);
    }

    async remove(): Promise<void> {
        await this.detach();
        rmSync(this.file, { force: true });
    }

    /** Loop devices a killed run left behind: on a test's volumes, or on the kept volume `keptFile`. */
    static async removeStale(keptFile?: string): Promise<void> {
        const list = await run("losetup", ["--list", "--noheadings", "--output", "NAME,BACK-FILE"]);
        for (const line of list.stdout.split("\n")) {
            const [device, backing] = line.trim().split(/\s+/, 2);
            if (device && (BACKING_FILE.test(backing ?? "") || (keptFile !== undefined && backing === keptFile))) {
                await run("losetup", ["--detach", device]);
            }
        }
    }
}
