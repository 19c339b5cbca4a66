/** One regular file of a tar archive. */
export interface TarEntry {
    /** Relative path, at most 100 bytes (the ustar name field). */
    readonly name: string;
    readonly content: Buffer;
    /** Permission bits, such as 0o644. */
    readonly mode: number;
}

const BLOCK = 512;

/**
 * A POSIX ustar archive of regular files, owned by root, dated 1970-01-01: the same entries give
 * the same bytes on every machine, so rendering it twice never looks like a change.
 */
export function tarball(entries: readonly TarEntry[]): Buffer {
    const blocks = entries.flatMap((entry) => {
        const padding = Buffer.alloc((BLOCK - (entry.content.length % BLOCK)) % BLOCK);
        return [header(entry), entry.content, padding];
    });
    return Buffer.concat([...blocks, Buffer.alloc(2 * BLOCK)]);
}

function header({ name, content, mode }: TarEntry): Buffer {
    if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name over 100 bytes: ${name}`);
    const block = Buffer.alloc(BLOCK);
    const field = (offset: number, length: number, value: string) => block.write(value, offset, length, "utf8");
    const octal = (offset: number, length: number, value: number) => field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
    field(0, 100, name);
    octal(100, 8, mode);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, content.length);
    octal(136, 12, 0);
    field(148, 8, " ".repeat(8));
    field(156, 1, "0");
    field(257, 8, "ustar\u000000");
    field(265, 32, "root");
    field(297, 32, "root");
    const checksum = block.reduce((sum, byte) => sum + byte, 0);
    field(148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
    return block;
}
