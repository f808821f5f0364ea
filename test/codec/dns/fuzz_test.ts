// A seeded, bounded fuzz of the DNS decoder (dns_fuzz.ts): every mutated input decodes or fails
// with DnsDecodeError, and every input that decodes re-encodes to the same message.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkInput, dnsCorpus, fuzzDns } from "./dns_fuzz.ts";
import { hex } from "./dns_vectors.ts";

// Inputs that once found a bug, kept so it stays fixed (hex; empty while none has been found).
const REGRESSIONS: string[] = [];

test("fuzzDns: 20,000 mutated inputs (seed 20261203) only ever give DnsDecodeError", () => {
  const started = performance.now();
  const report = fuzzDns({ seed: 20261203, iterations: 20_000 });
  const ms = performance.now() - started;
  assert.equal(report.crashes.slice(0, 5), []);
  assert.is(report.decoded + report.refused, report.inputs);
  assert.ok(
    report.refused > report.inputs / 4,
    `refused ${report.refused}: mutations must reach the checks`,
  );
  assert.ok(
    report.decoded > report.inputs / 10,
    `decoded ${report.decoded}: mutations must get past the header`,
  );
  assert.ok(report.entries > 10_000, `entries decoded ${report.entries}`);
  assert.ok(ms < 5_000, `took ${Math.round(ms)} ms`);
});

test("fuzzDns: a second seed finds no crash either", () => {
  assert.equal(fuzzDns({ seed: 7, iterations: 3_000 }).crashes.slice(0, 5), []);
});

test("dnsCorpus() messages all decode and round-trip (the fuzz starts from valid inputs)", () => {
  const corpus = dnsCorpus();
  assert.ok(corpus.length >= 4);
  for (const bytes of corpus) assert.ok(checkInput(bytes) !== undefined);
  for (const input of REGRESSIONS) checkInput(hex(input));
});

test.run();
