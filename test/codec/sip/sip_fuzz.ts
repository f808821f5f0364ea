// Seeded, bounded fuzzing of the SIP codec: inputs mutated from a corpus (the RFC 4475 messages
// and typical INVITE/REGISTER) at the bytes SIP's grammar turns on. Every parse, structured access
// and stream framing must succeed or throw SipParseError; a parsed message must serialize to bytes
// that parse again and serialize identically.
import { prng } from "../../../scripts/lib/overlay_fuzz.ts";
import { parseSipMessage } from "../../../src/codec/sip/parse_sip_message.ts";
import { serializeSipMessage } from "../../../src/codec/sip/serialize_sip_message.ts";
import { SipParseError } from "../../../src/codec/sip/sip_errors.ts";
import type { SipMessage } from "../../../src/codec/sip/sip_message.ts";
import { SipStreamFramer } from "../../../src/codec/sip/sip_stream_framer.ts";
import { parseSipUri } from "../../../src/codec/sip/sip_uri.ts";
import { RFC4475_MESSAGES, rfc4475Bytes } from "./rfc4475_messages.ts";
import { INVITE, REGISTER } from "./sip_helpers.ts";

export { prng };

/** The corpus the mutations start from: the typical messages, then RFC 4475's in name order. */
export function sipCorpus(): Uint8Array[] {
  const out = [new TextEncoder().encode(INVITE), new TextEncoder().encode(REGISTER)];
  const names = RFC4475_MESSAGES.map((m) => m.name).sort((a, b) => a.localeCompare(b));
  for (const name of names) out.push(rfc4475Bytes(name));
  return out;
}

const SPECIAL = [...'\r\n;,<>"%: \t\\@[]=?/\0'].map((c) => c.charCodeAt(0)).concat([0xc3, 0xff]);

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const bytes = [...input];
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits && bytes.length > 0; e++) {
    const at = Math.floor(random() * bytes.length);
    const r = random();
    if (r < 0.3) bytes[at] = SPECIAL[Math.floor(random() * SPECIAL.length)]!;
    else if (r < 0.45) bytes[at] = Math.floor(random() * 256);
    else if (r < 0.6) bytes.splice(at, 1 + Math.floor(random() * 8));
    else if (r < 0.75) bytes.splice(at, 0, SPECIAL[Math.floor(random() * SPECIAL.length)]!);
    else if (r < 0.85) {
      // repeat a slice (a header line, a parameter)
      const len = 1 + Math.floor(random() * 40);
      bytes.splice(at, 0, ...bytes.slice(at, at + len));
    } else if (r < 0.92) bytes.length = at; // truncate
    else bytes.splice(at, 0, 0x0d, 0x0a, 0x20); // fold here
  }
  return Uint8Array.from(bytes);
}

export interface SipFuzzReport {
  inputs: number;
  parsed: number;
  refused: number;
  accessed: number;
  crashes: { input: string; error: string }[];
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** Reads every structured value an element may read; only SipParseError may escape. */
function touch(m: SipMessage): void {
  const steps: (() => unknown)[] = [
    () => m.via(),
    () => m.from(),
    () => m.to(),
    () => m.cseq(),
    () => m.callId(),
    () => m.maxForwards(),
    () => m.expires(),
    () => m.contacts(),
    () => m.routes(),
    () => m.recordRoutes(),
    () => m.isRequest && parseSipUri(m.uri),
    () => parseSipUri(m.to().uri),
  ];
  for (const step of steps) {
    try {
      step();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
  }
}

/** Runs `iterations` mutated inputs from `seed`; deterministic for a given seed. */
export function fuzzSip(options: { seed: number; iterations: number }): SipFuzzReport {
  const random = prng(options.seed);
  const corpus = sipCorpus();
  const report: SipFuzzReport = { inputs: 0, parsed: 0, refused: 0, accessed: 0, crashes: [] };
  for (let i = 0; i < options.iterations; i++) {
    const input = mutate(corpus[Math.floor(random() * corpus.length)]!, random);
    report.inputs++;
    try {
      let message: SipMessage;
      try {
        message = parseSipMessage(input);
        report.parsed++;
      } catch (error) {
        if (!(error instanceof SipParseError)) throw error;
        report.refused++;
        message = parseSipMessage(input, { validate: false });
      }
      touch(message);
      report.accessed++;
      const once = serializeSipMessage(message);
      const twice = serializeSipMessage(parseSipMessage(once, { validate: false }));
      if (hex(once) !== hex(twice)) throw new Error("serialization is not stable");
    } catch (error) {
      if (!(error instanceof SipParseError)) {
        report.crashes.push({ input: hex(input), error: String(error) });
      }
    }
    try {
      const framer = new SipStreamFramer();
      for (let at = 0; at < input.length;) {
        const size = 1 + Math.floor(random() * 300);
        framer.feed(input.subarray(at, at + size), (m) => {
          try {
            parseSipMessage(m);
          } catch (error) {
            if (!(error instanceof SipParseError)) throw error;
          }
        });
        at += size;
      }
    } catch (error) {
      if (!(error instanceof SipParseError)) {
        report.crashes.push({ input: hex(input), error: `framer: ${error}` });
      }
    }
  }
  return report;
}
