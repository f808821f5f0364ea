// A seeded, bounded fuzz of WebSocketFrameParser: mutated client streams fed in random chunk sizes
// only ever give messages within the cap or WebSocketProtocolError, and the buffer never outgrows
// the cap. isUtf8() is checked against TextDecoder's fatal mode on random bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { prng } from "../../../scripts/lib/overlay_fuzz.ts";
import { isValidCloseCode, WebSocketOpcode } from "../../../src/codec/websocket/constants.ts";
import {
  encodeWebSocketClose,
  encodeWebSocketFrame,
} from "../../../src/codec/websocket/frame_encoder.ts";
import { WebSocketFrameParser } from "../../../src/codec/websocket/frame_parser.ts";
import { isUtf8 } from "../../../src/codec/websocket/utf8.ts";
import { WebSocketProtocolError } from "../../../src/codec/websocket/websocket_errors.ts";

// Inputs that once found a bug, kept so it stays fixed (hex; empty while none has been found).
const REGRESSIONS: string[] = [];

const strict = new TextDecoder("utf-8", { fatal: true });

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Valid client streams (masked frames) the mutations start from. */
function corpus(random: () => number): Uint8Array[] {
  const key = () => Uint8Array.from({ length: 4 }, () => Math.floor(random() * 256));
  const frame = (opcode: WebSocketOpcode, payload: Uint8Array | string, fin = true) =>
    encodeWebSocketFrame(opcode, payload, { fin, maskKey: key() });
  const sip =
    "REGISTER sip:ap.example.net SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid\r\n\r\n";
  return [
    frame(WebSocketOpcode.Text, sip),
    frame(WebSocketOpcode.Binary, new Uint8Array(126).fill(0x41)),
    frame(WebSocketOpcode.Binary, new Uint8Array(300).fill(0x42)),
    frame(WebSocketOpcode.Text, "é€😀".repeat(20)),
    concat([
      frame(WebSocketOpcode.Text, "INVITE ", false),
      frame(WebSocketOpcode.Ping, "p"),
      frame(WebSocketOpcode.Continuation, "sip:bob", false),
      frame(WebSocketOpcode.Pong, ""),
      frame(WebSocketOpcode.Continuation, " SIP/2.0\r\n\r\n"),
    ]),
    concat([
      frame(WebSocketOpcode.Text, "\r\n\r\n"),
      encodeWebSocketClose(1000, "bye", { maskKey: key() }),
    ]),
    frame(WebSocketOpcode.Binary, new Uint8Array(2000).fill(0x43)),
  ];
}

function mutate(input: Uint8Array, all: readonly Uint8Array[], random: () => number): Uint8Array {
  const out = Uint8Array.from(input);
  const pick = (n: number) => Math.floor(random() * n);
  switch (pick(6)) {
    case 0: // flip bits, mostly in the first header
      for (let i = 0, n = 1 + pick(4); i < n; i++) {
        const at = random() < 0.7 ? pick(Math.min(out.length, 14)) : pick(out.length);
        out[at]! ^= 1 << pick(8);
      }
      return out;
    case 1: // random bytes over a random span
      for (let i = pick(out.length), end = Math.min(out.length, i + 1 + pick(8)); i < end; i++) {
        out[i] = pick(256);
      }
      return out;
    case 2: // truncate
      return out.subarray(0, pick(out.length));
    case 3: // splice another stream in
      return concat([out.subarray(0, pick(out.length)), all[pick(all.length)]!]);
    case 4: { // extreme lengths
      const lengths = [[0xfe, 0, 0], [0xfe, 0xff, 0xff], [0xff, 0x7f, 0xff], [0xff, 0, 0], [0x7d]];
      const bytes = lengths[pick(lengths.length)]!;
      if (out.length > 1) out.set(bytes.slice(0, out.length - 1), 1);
      return out;
    }
    default: // a random prefix before a valid stream
      return concat([Uint8Array.from({ length: 1 + pick(20) }, () => pick(256)), out]);
  }
}

interface Report {
  inputs: number;
  messages: number;
  refused: number;
  crashes: string[];
}

function fuzzParser(seed: number, iterations: number): Report {
  const random = prng(seed);
  const all = corpus(random);
  const report: Report = { inputs: 0, messages: 0, refused: 0, crashes: [] };
  for (let n = 0; n < iterations; n++) {
    const base = all[Math.floor(random() * all.length)]!;
    let input = mutate(base, all, random);
    if (random() < 0.3) input = mutate(input, all, random);
    const cap = [64, 1000, 65536][Math.floor(random() * 3)]!;
    const parser = new WebSocketFrameParser({ maxMessageBytes: cap });
    const fail = (what: string) => report.crashes.push(`${what} (cap ${cap}): ${hex(input)}`);
    const handlers = {
      message: (payload: Uint8Array, kind: "text" | "binary") => {
        report.messages++;
        if (payload.length > cap) fail(`message of ${payload.length} bytes`);
        if (kind === "text") {
          try {
            strict.decode(payload);
          } catch {
            fail("text that TextDecoder refuses");
          }
        }
      },
      ping: (payload: Uint8Array) => payload.length > 125 && fail("long ping"),
      pong: (payload: Uint8Array) => payload.length > 125 && fail("long pong"),
      close: (code: number | undefined) =>
        code !== undefined && !isValidCloseCode(code) && fail("close code"),
    };
    report.inputs++;
    try {
      for (let at = 0; at < input.length;) {
        const size = 1 + Math.floor(random() * (random() < 0.5 ? 16 : input.length));
        parser.feed(input.subarray(at, at + size), handlers);
        at += size;
        if (parser.capacity > cap) fail(`buffer of ${parser.capacity} bytes`);
      }
    } catch (error) {
      if (error instanceof WebSocketProtocolError) report.refused++;
      else fail(`threw ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return report;
}

function hex(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 64)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

test("WebSocketFrameParser fuzz: 20,000 mutated streams (seed 20260512) give messages within the cap or WebSocketProtocolError", () => {
  const started = performance.now();
  const report = fuzzParser(20260512, 20_000);
  assert.equal(report.crashes.slice(0, 5), []);
  assert.ok(
    report.refused > report.inputs / 4,
    `refused ${report.refused}: mutations must reach the checks`,
  );
  assert.ok(
    report.messages > report.inputs / 10,
    `messages ${report.messages}: mutations must pass too`,
  );
  assert.ok(performance.now() - started < 30_000);
});

test("WebSocketFrameParser fuzz: a second seed finds no crash either", () => {
  assert.equal(fuzzParser(7, 3_000).crashes.slice(0, 5), []);
  for (const input of REGRESSIONS) {
    const bytes = Uint8Array.from(input.match(/../g) ?? [], (h) => parseInt(h, 16));
    try {
      new WebSocketFrameParser().feed(bytes, {
        message: () => {},
        ping: () => {},
        pong: () => {},
        close: () => {},
      });
    } catch (error) {
      assert.instance(error, WebSocketProtocolError);
    }
  }
});

test("isUtf8() agrees with TextDecoder's fatal mode on 50,000 random byte strings (seed 11)", () => {
  const random = prng(11);
  let valid = 0;
  for (let n = 0; n < 50_000; n++) {
    // Mostly high bytes and continuation bytes, so that multi-byte forms (and their faults) are common.
    const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 8) }, () => {
      const r = random();
      return r < 0.3
        ? Math.floor(random() * 128)
        : r < 0.6
        ? 0x80 + Math.floor(random() * 64)
        : 0xc0 + Math.floor(random() * 64);
    });
    let expected = true;
    try {
      strict.decode(bytes);
    } catch {
      expected = false;
    }
    if (expected) valid++;
    if (isUtf8(bytes) !== expected) assert.unreachable(`isUtf8 is ${!expected} for ${hex(bytes)}`);
  }
  assert.ok(valid > 2_000 && valid < 48_000, `valid ${valid}: both outcomes must be common`);
});

test("isUtf8() edge cases: boundaries of RFC 3629 section 4", () => {
  const cases: [number[], boolean][] = [
    [[], true],
    [[0x7f], true],
    [[0xc2, 0x80], true],
    [[0xc1, 0xbf], false], // overlong
    [[0xe0, 0xa0, 0x80], true],
    [[0xe0, 0x9f, 0xbf], false], // overlong
    [[0xed, 0x9f, 0xbf], true],
    [[0xed, 0xa0, 0x80], false], // surrogate
    [[0xf0, 0x90, 0x80, 0x80], true],
    [[0xf0, 0x8f, 0xbf, 0xbf], false], // overlong
    [[0xf4, 0x8f, 0xbf, 0xbf], true], // U+10FFFF
    [[0xf4, 0x90, 0x80, 0x80], false], // past U+10FFFF
    [[0xf5, 0x80, 0x80, 0x80], false],
    [[0xe2, 0x82], false], // truncated
    [[0x80], false], // lone continuation
  ];
  for (const [bytes, valid] of cases) {
    assert.is(isUtf8(new Uint8Array(bytes)), valid, hex(new Uint8Array(bytes)));
  }
});

test.run();
