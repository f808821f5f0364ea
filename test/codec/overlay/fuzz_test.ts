// A seeded, bounded fuzz of the overlay decoders over the test vectors: every mutated input decodes
// or fails with our typed errors. scripts/fuzz.ts runs the same with 100k+ inputs and new seeds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fuzzCorpus } from "../../../scripts/lib/overlay_corpus.ts";
import { fuzzOverlay } from "../../../scripts/lib/overlay_fuzz.ts";

test("fuzzOverlay: 6,000 mutated inputs (seed 20261125) only ever give our typed errors", async () => {
  const report = fuzzOverlay({ seed: 20261125, iterations: 6000, corpus: await fuzzCorpus() });
  assert.equal(report.crashes.map((c) => `${c.target}: ${c.error}`), []);
  assert.is(report.decoded + report.refused, report.inputs);
  assert.ok(
    report.refused > report.inputs / 2,
    "most mutations must be refused, or the fuzz is not reaching the checks",
  );
});

test.run();
