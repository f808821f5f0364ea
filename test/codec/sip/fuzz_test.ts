// A seeded, bounded fuzz of the SIP codec over RFC 4475 and typical messages (sip_fuzz.ts): every
// mutated input parses or fails with SipParseError, nothing else, and serialization is stable.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSipMessage } from "../../../src/codec/sip/parse_sip_message.ts";
import { serializeSipMessage } from "../../../src/codec/sip/serialize_sip_message.ts";
import { SipParseError } from "../../../src/codec/sip/sip_errors.ts";
import { fuzzSip } from "./sip_fuzz.ts";

// Inputs that once found a bug, kept so it stays fixed (hex): each parses or is refused with
// SipParseError, and serializes stably. 1: a whitespace-only continuation line left a trailing
// space in the value, which the next parse trimmed.
const REGRESSIONS: string[] = [
  "4f5054494f4e53207369703a614062205349502f322e300d0a5669613a205349502f322e302f55445020680d0a200d0a0d0a",
];

test("fuzzSip: 4,000 mutated inputs (seed 20260512) only ever give SipParseError", () => {
  const started = performance.now();
  const report = fuzzSip({ seed: 20260512, iterations: 4_000 });
  const ms = performance.now() - started;
  assert.equal(report.crashes.slice(0, 3), []);
  assert.is(report.parsed + report.refused, report.inputs);
  assert.ok(
    report.refused > report.inputs / 5,
    `refused ${report.refused}: mutations reach checks`,
  );
  assert.ok(report.parsed > report.inputs / 20, `parsed ${report.parsed}: mutations get past them`);
  assert.ok(ms < 30_000, `took ${Math.round(ms)} ms`);
});

test("fuzzSip: a second seed finds no crash either", () => {
  assert.equal(fuzzSip({ seed: 7, iterations: 1_000 }).crashes.slice(0, 3), []);
});

test("kept fuzz crashers parse or are refused with SipParseError, and serialize stably", () => {
  for (const input of REGRESSIONS) {
    const bytes = Uint8Array.from(input.match(/../g)!.map((h) => parseInt(h, 16)));
    try {
      parseSipMessage(bytes);
    } catch (error) {
      assert.instance(error, SipParseError);
    }
    const once = serializeSipMessage(parseSipMessage(bytes, { validate: false }));
    const twice = serializeSipMessage(parseSipMessage(once, { validate: false }));
    assert.equal([...twice], [...once]);
  }
});

test.run();
