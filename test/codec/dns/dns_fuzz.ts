// Seeded, bounded fuzzing of the DNS codec: inputs mutated from a corpus (the hand-assembled
// vectors, the captured avahi and python-zeroconf packets, and messages of our own covering every
// record type and the names RFC 6762 18.14 lets rdata compress) with DNS-aware mutations (counts,
// rdlengths, compression pointers, label lengths). Every decode must succeed or throw
// DnsDecodeError, nothing else; every message that decodes must encode again, and decode from
// that encoding to the same message.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { prng } from "../../../scripts/lib/overlay_fuzz.ts";
import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../../../src/codec/dns/constants.ts";
import { DnsDecodeError } from "../../../src/codec/dns/dns_errors.ts";
import { decodeDnsMessage } from "../../../src/codec/dns/dns_message.ts";
import type { DnsMessage } from "../../../src/codec/dns/dns_types.ts";
import { encodeDnsMessage } from "../../../src/codec/dns/dns_writer.ts";
import { encodeDnsName } from "../../../src/codec/dns/name_wire.ts";
import { ascii, hex, HOST, INSTANCE, record, SAMPLE_RESPONSE, SERVICE } from "./dns_vectors.ts";

export { prng };

export interface DnsFuzzCrash {
  readonly input: string;
  readonly error: string;
}

export interface DnsFuzzReport {
  readonly inputs: number;
  /** Inputs decodeDnsMessage() accepted; each was then re-encoded and decoded again. */
  readonly decoded: number;
  /** Inputs refused with DnsDecodeError. */
  readonly refused: number;
  /** Records (questions included) in the decoded inputs. */
  readonly entries: number;
  readonly crashes: DnsFuzzCrash[];
}

const FIXTURES = fileURLToPath(new URL("../../fixtures/mdns/", import.meta.url));

/** The captured packets, when the fixtures are there. */
export function capturedPackets(): Uint8Array[] {
  try {
    return readdirSync(FIXTURES).filter((f) => f.endsWith(".hex")).sort()
      .map((f) => hex(readFileSync(`${FIXTURES}${f}`, "utf8")));
  } catch {
    return [];
  }
}

/** Valid messages to mutate. */
export function dnsCorpus(): Uint8Array[] {
  const own: DnsMessage[] = [
    {
      id: 0,
      flags: MDNS_QUERY_FLAGS,
      questions: [
        { name: SERVICE, type: 12, class: 1, unicastResponse: true },
        { name: INSTANCE, type: 255, class: 1, unicastResponse: false },
      ],
      answers: [record(SERVICE, { type: 12, target: INSTANCE }, 4500)],
      authorities: [
        record(INSTANCE, { type: 33, priority: 0, weight: 0, port: 5060, target: HOST }),
        record(INSTANCE, { type: 16, strings: [ascii("txtvers=1"), ascii("k"), ascii("")] }),
      ],
      additionals: [],
    },
    {
      id: 0x4242,
      flags: MDNS_RESPONSE_FLAGS,
      questions: [],
      answers: [
        record(HOST, { type: 1, address: "192.0.2.7" }, 120, true),
        record(HOST, { type: 28, address: "2001:db8::7" }, 120, true),
        record(["Ünïcode €", "local"], { type: 12, target: ["x.y", "local"] }),
      ],
      authorities: [],
      additionals: [
        record(HOST, { type: 47, nextName: HOST, types: [1, 28, 33, 1234] }, 120, true),
        record(HOST, { type: 15, raw: Uint8Array.of(0, 10, ...encodeDnsName(HOST)) }),
        record(HOST, {
          type: 6,
          raw: new Uint8Array([
            ...encodeDnsName(HOST),
            ...encodeDnsName(["a", "local"]),
            ...new Uint8Array(20),
          ]),
        }),
        record(HOST, { type: 99, raw: Uint8Array.of(0xc0, 0x0c, 1, 2, 3) }),
      ],
    },
  ];
  const corpus = [SAMPLE_RESPONSE, ...capturedPackets(), ...own.map((m) => encodeDnsMessage(m))];
  // the MX and SOA names compressed by hand: "local" at 18 (HOST's second label in answer 1)
  corpus.push(hex(`
    0000 8400 0000 0002 0000 0000
    05 70686f6e65 05 6c6f63616c 00 0001 0001 00000078 0004 c0000201
    c00c 000f 0001 00000078 0006 000a 01 6d c012
  `));
  return corpus;
}

const INTERESTING = [0x00, 0xff, 0xc0, 0xc1, 0x3f, 0x40, 0x80, 0x01, 0x0c, 0x20, 0x3d, 0x7f];

function mutate(
  input: Uint8Array,
  corpus: readonly Uint8Array[],
  random: () => number,
): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes = input.slice();
  for (let round = 0, rounds = 1 + pick(3); round < rounds; round++) {
    const at = pick(Math.max(1, bytes.length));
    switch (pick(10)) {
      case 0: // flip bits
        for (let i = 0, n = 1 + pick(4); i < n && bytes.length > 0; i++) {
          bytes[pick(bytes.length)]! ^= 1 << pick(8);
        }
        break;
      case 1: // interesting byte values
        if (bytes.length > 0) bytes[at] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, pick(bytes.length + 1));
        break;
      case 3: { // insert random bytes
        const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
        const out = new Uint8Array(bytes.length + extra.length);
        out.set(bytes.subarray(0, at));
        out.set(extra, at);
        out.set(bytes.subarray(at), at + extra.length);
        bytes = out;
        break;
      }
      case 4: // a count in the header
        if (bytes.length >= 12) {
          const field = 4 + 2 * pick(4);
          const value = [0, 1, 2, 3, 255, 0xffff][pick(6)]!;
          bytes[field] = value >>> 8;
          bytes[field + 1] = value & 0xff;
        }
        break;
      case 5: // a compression pointer anywhere, to anywhere (backwards, forwards, to itself)
        if (bytes.length >= 2) {
          const target = random() < 0.3 ? at : pick(bytes.length + 4);
          bytes[at] = 0xc0 | ((target >>> 8) & 0x3f);
          if (at + 1 < bytes.length) bytes[at + 1] = target & 0xff;
        }
        break;
      case 6: // a 16-bit field off by a little (rdlengths, types, label lengths)
        if (at + 1 < bytes.length) {
          const value = (((bytes[at]! << 8) | bytes[at + 1]!) + pick(9) - 4) & 0xffff;
          bytes[at] = value >>> 8;
          bytes[at + 1] = value & 0xff;
        }
        break;
      case 7: { // splice with another corpus entry
        const other = corpus[pick(corpus.length)]!;
        const from = pick(other.length + 1);
        const out = new Uint8Array(at + other.length - from);
        out.set(bytes.subarray(0, at));
        out.set(other.subarray(from), at);
        bytes = out;
        break;
      }
      case 8: // a random byte
        if (bytes.length > 0) bytes[at] = pick(256);
        break;
      default: // duplicate a slice at the end
      {
        const slice = bytes.slice(at, at + pick(40));
        const out = new Uint8Array(bytes.length + slice.length);
        out.set(bytes);
        out.set(slice, bytes.length);
        bytes = out;
      }
    }
  }
  return bytes;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length &&
      keys.every((k) =>
        sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
      );
  }
  return false;
}

/** Decodes one input and checks the round trip; returns the message, undefined if refused. */
export function checkInput(input: Uint8Array): DnsMessage | undefined {
  let message: DnsMessage;
  try {
    message = decodeDnsMessage(input);
  } catch (error) {
    if (error instanceof DnsDecodeError) return undefined;
    throw error;
  }
  const encoded = encodeDnsMessage(message, 65_535);
  const again = decodeDnsMessage(encoded, { trailingBytes: "reject" });
  if (!sameValue(again, message)) throw new Error("round trip changed the message");
  return message;
}

/** Runs `iterations` mutated inputs from the corpus. */
export function fuzzDns(options: { seed: number; iterations: number }): DnsFuzzReport {
  const random = prng(options.seed);
  const corpus = dnsCorpus();
  let decoded = 0;
  let refused = 0;
  let entries = 0;
  const crashes: DnsFuzzCrash[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const input = mutate(corpus[Math.floor(random() * corpus.length)]!, corpus, random);
    try {
      const message = checkInput(input);
      if (message === undefined) refused++;
      else {
        decoded++;
        entries += message.questions.length + message.answers.length +
          message.authorities.length + message.additionals.length;
      }
    } catch (error) {
      crashes.push({
        input: Array.from(input, (b) => b.toString(16).padStart(2, "0")).join(""),
        error: describe(error),
      });
    }
  }
  return { inputs: options.iterations, decoded, refused, entries, crashes };
}
