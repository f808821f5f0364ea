import { readdir, readFile } from "node:fs/promises";
import { MAX_MESSAGE_BYTES } from "../../src/codec/overlay/constants.ts";
import { decodeEnvelope } from "../../src/codec/overlay/envelope.ts";
import { decodeFrame } from "../../src/codec/overlay/frame.ts";
import type { FuzzTarget } from "./overlay_fuzz.ts";
import { parseHexFile } from "../overlay_vectors.ts";

const ROOT = new URL("../../test/fixtures/overlay/", import.meta.url).pathname;

/** The fuzz corpus: every vector (valid, invalid, saved crashers) as frames, and the envelopes and bodies inside the valid ones. */
export async function fuzzCorpus(): Promise<Record<FuzzTarget, Uint8Array[]>> {
  const corpus: Record<FuzzTarget, Uint8Array[]> = { frame: [], envelope: [], body: [] };
  // Saved crashers (scripts/fuzz.ts writes them) join the corpus, so every run re-checks them.
  for (const dir of ["valid", "invalid", "crashers"]) {
    const files = await readdir(`${ROOT}${dir}`).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith(".hex"))) {
      const bytes = parseHexFile(await readFile(`${ROOT}${dir}/${file}`, "utf8"));
      corpus.frame.push(bytes);
      if (dir !== "valid") continue;
      const frame = decodeFrame(bytes, MAX_MESSAGE_BYTES);
      if (frame.type !== "message") continue;
      corpus.envelope.push(frame.envelope);
      corpus.body.push(decodeEnvelope(frame.envelope).body);
    }
  }
  return corpus;
}
