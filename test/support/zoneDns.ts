/**
 * The class zone's DNS as resolvers on the internet see it, for lego (Traefik's ACME client) in
 * DNS-01: it finds the zone by its SOA, then waits until the resolvers return the _acme-challenge
 * TXT record it created through Cloudflare's API. A small UDP server (RFC 1035 wire format):
 * SOA at the zone's apex, TXT from the Cloudflare stand-in's records, NOERROR with no answer for
 * other names in the zone, REFUSED outside it. pebble-challtestsrv cannot play this part: it does
 * not answer SOA queries.
 */
import { createSocket, RemoteInfo, Socket } from "node:dgram";

const TYPE = { A: 1, SOA: 6, TXT: 16 } as const;
const CLASS_IN = 1;
const RCODE = { NOERROR: 0, FORMERR: 1, NOTIMP: 4, REFUSED: 5 } as const;

export interface ZoneDns {
    /** One line per query: `name TYPE -> rcode answers`. */
    readonly log: string[];
    close(): Promise<void>;
}

export interface ZoneDnsOptions {
    readonly host: string;
    readonly port: number;
    /** The zone's apex, such as example.edu. */
    readonly zone: string;
    /** The TXT values at a name (lower case, no trailing dot), read at each query. */
    readonly txt: (name: string) => readonly string[];
}

export async function startZoneDns(options: ZoneDnsOptions): Promise<ZoneDns> {
    const log: string[] = [];
    const socket = createSocket("udp4");
    socket.on("message", (message: Buffer, peer: RemoteInfo) => answer(socket, message, peer, options, log));
    await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(options.port, options.host, () => { socket.off("error", reject); resolve(); });
    });
    return { log, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

function answer(socket: Socket, message: Buffer, peer: RemoteInfo, options: ZoneDnsOptions, log: string[]): void {
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    const reply = (rcode: number, question: Buffer, answers: Buffer[] = []) => {
        const header = Buffer.alloc(12);
        header.writeUInt16BE(id, 0);
        // QR, the query's opcode and RD, AA (this is the zone's own answer), RA (as a resolver would).
        header.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | rcode, 2);
        header.writeUInt16BE(question.length ? 1 : 0, 4);
        header.writeUInt16BE(answers.length, 6);
        socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
    };
    const opcode = (flags >> 11) & 0xf;
    if (message.readUInt16BE(4) !== 1 || opcode !== 0) { reply(opcode === 0 ? RCODE.FORMERR : RCODE.NOTIMP, Buffer.alloc(0)); return; }
    let parsed: { name: string; end: number };
    try { parsed = readName(message, 12); } catch { reply(RCODE.FORMERR, Buffer.alloc(0)); return; }
    const question = message.subarray(12, parsed.end + 4);
    const qtype = message.readUInt16BE(parsed.end);
    const name = parsed.name.toLowerCase();
    const zone = options.zone.toLowerCase();
    const line = (what: string) => log.push(`${name} ${typeName(qtype)} -> ${what}`);
    if (name !== zone && !name.endsWith(`.${zone}`)) { line("REFUSED"); reply(RCODE.REFUSED, question); return; }
    const answers: Buffer[] = [];
    if (qtype === TYPE.SOA && name === zone) {
        answers.push(record(TYPE.SOA, 300, Buffer.concat([
            encodeName(`ns1.${zone}`), encodeName(`hostmaster.${zone}`),
            ...[2026120101, 10000, 2400, 604800, 60].map((n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }),
        ])));
    } else if (qtype === TYPE.TXT) {
        for (const value of options.txt(name)) {
            const text = Buffer.from(value);
            answers.push(record(TYPE.TXT, 60, Buffer.concat([Buffer.from([text.length]), text])));
        }
    }
    line(`NOERROR ${answers.length}`);
    reply(RCODE.NOERROR, question, answers);
}

/** A resource record whose owner is the question's name (a pointer to offset 12). */
function record(type: number, ttl: number, data: Buffer): Buffer {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(type, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(ttl, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
}

function readName(message: Buffer, offset: number): { name: string; end: number } {
    const labels: string[] = [];
    for (;;) {
        const length = message[offset];
        if (length === undefined || length > 63) throw new Error("bad name");
        offset += 1;
        if (length === 0) break;
        labels.push(message.subarray(offset, offset + length).toString("latin1"));
        offset += length;
    }
    return { name: labels.join("."), end: offset };
}

function encodeName(name: string): Buffer {
    return Buffer.concat([...name.split(".").map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])), Buffer.from([0])]);
}

function typeName(type: number): string {
    return Object.entries(TYPE).find(([, value]) => value === type)?.[0] ?? `TYPE${type}`;
}
