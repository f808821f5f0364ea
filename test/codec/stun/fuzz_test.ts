// A seeded, bounded fuzz of the STUN/TURN decoders over a corpus of our own (stun_fuzz.ts), and
// round-trip properties: every mutated input decodes or fails with StunDecodeError, nothing else.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { StunAttribute, StunMessageType } from "../../../src/codec/stun/constants.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { decodeXorAddress, encodeXorPeerAddress } from "../../../src/codec/stun/xor_address.ts";
import { rawMessage, toHex } from "./rfc5769_vectors.ts";
import { fuzzStun, prng, stunCorpus } from "./stun_fuzz.ts";

// Inputs that once found a bug, kept so it stays fixed (hex; empty while none has been found).
const REGRESSIONS: string[] = [];

test("fuzzStun: 20,000 mutated inputs (seed 20260511) only ever give StunDecodeError", () => {
  const started = performance.now();
  const report = fuzzStun({ seed: 20260511, iterations: 20_000 });
  const ms = performance.now() - started;
  assert.equal(report.crashes.slice(0, 5), []);
  assert.is(report.decoded + report.refused, report.inputs);
  assert.ok(
    report.refused > report.inputs / 3,
    `refused ${report.refused}: mutations must reach the checks`,
  );
  assert.ok(
    report.decoded > report.inputs / 10,
    `decoded ${report.decoded}: mutations must get past the header`,
  );
  assert.ok(report.attributesDecoded > 10_000, `attributes decoded ${report.attributesDecoded}`);
  assert.ok(report.attributesRefused > 1_000, `attributes refused ${report.attributesRefused}`);
  assert.ok(ms < 60_000, `took ${Math.round(ms)} ms`);
});

test("fuzzStun: a second seed finds no crash either", () => {
  assert.equal(fuzzStun({ seed: 7, iterations: 3_000 }).crashes.slice(0, 5), []);
});

test("stunCorpus() messages all decode (the fuzz starts from valid inputs)", () => {
  for (const bytes of stunCorpus()) {
    if ((bytes[0]! & 0xc0) === 0) decodeStunMessage(bytes);
  }
  for (const input of REGRESSIONS) decodeStunMessage(new Uint8Array(input.length / 2));
});

test("decodeXorAddress() text of random IPv6 bytes re-encodes to the same bytes and matches URL", () => {
  const random = prng(99);
  const builder = new StunMessageBuilder({ capacity: 64 });
  const tid = new Uint8Array(12);
  for (let i = 0; i < 2_000; i++) {
    const raw = Uint8Array.from({ length: 16 }, () => {
      const r = random();
      return r < 0.5 ? 0 : Math.floor(random() * 256); // many zero runs
    });
    const port = Math.floor(random() * 65536);
    const wire = new Uint8Array(20);
    wire.set([0, 2, (port ^ 0x2112) >>> 8, (port ^ 0x2112) & 0xff]);
    const pad = [0x21, 0x12, 0xa4, 0x42, ...tid];
    for (let j = 0; j < 16; j++) wire[4 + j] = raw[j]! ^ pad[j]!;
    const message = decodeStunMessage(
      rawMessage(StunMessageType.DataIndication, [[StunAttribute.XorPeerAddress, wire]], {
        transactionId: tid,
      }),
    );
    const address = decodeXorAddress(message, 0);
    assert.is(address.port, port);
    builder.begin(StunMessageType.DataIndication, tid);
    encodeXorPeerAddress(builder, address);
    assert.is(toHex(builder.finish().subarray(24)), toHex(wire), address.host);
    if (!address.host.startsWith("::ffff:")) {
      // WHATWG URL serialises IPv6 with RFC 5952 compression (but hex for IPv4-mapped addresses).
      assert.is(new URL(`http://[${address.host}]/`).hostname, `[${address.host}]`);
    }
  }
});

test.run();
