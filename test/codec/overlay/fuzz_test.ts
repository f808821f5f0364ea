// A seeded, bounded fuzz of the overlay decoders over the test vectors: every mutated input decodes
// or fails with our typed errors. scripts/fuzz.ts runs the same with 100k+ inputs and new seeds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdir, readFile } from "node:fs/promises";
import { fuzzCorpus } from "../../../scripts/lib/overlay_corpus.ts";
import { fuzzOverlay } from "../../../scripts/lib/overlay_fuzz.ts";
import { parseHexFile } from "../../../scripts/overlay_vectors.ts";
import { decodeFrame } from "../../../src/codec/overlay/frame.ts";
import { OverlayDecodeError } from "../../../src/codec/overlay/overlay_errors.ts";
import { MAX_MESSAGE_BYTES } from "../../../src/codec/overlay/constants.ts";

const CRASHERS = new URL("../../fixtures/overlay/crashers/", import.meta.url).pathname;

test("fuzzOverlay: 6,000 mutated inputs (seed 20261125) only ever give our typed errors", async () => {
  const report = fuzzOverlay({ seed: 20261125, iterations: 6000, corpus: await fuzzCorpus() });
  assert.equal(report.crashes.map((c) => `${c.target}: ${c.error}`), []);
  assert.is(report.decoded + report.refused, report.inputs);
  assert.ok(
    report.refused > report.inputs / 2,
    "most mutations must be refused, or the fuzz is not reaching the checks",
  );
});

test("saved fuzz crashers stay fixed", async () => {
  const files = await readdir(CRASHERS).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith(".hex"))) {
    const bytes = parseHexFile(await readFile(`${CRASHERS}${file}`, "utf8"));
    try {
      decodeFrame(bytes, MAX_MESSAGE_BYTES);
    } catch (error) {
      assert.instance(error, OverlayDecodeError, file);
    }
  }
});

test.run();
