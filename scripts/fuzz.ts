// deno-lint-ignore-file no-console -- a command-line tool: stdout is its interface
// Fuzzes the overlay decoders with many inputs (bounded by --iterations; stops by itself) and keeps
// any crasher as a fixture in test/fixtures/overlay/crashers/ (then fix it and keep the file).
// Usage: deno run -A scripts/fuzz.ts [--iterations N] [--seed S]
import { mkdir, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { fuzzCorpus } from "./lib/overlay_corpus.ts";
import { fuzzOverlay } from "./lib/overlay_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { iterations: { type: "string" }, seed: { type: "string" } },
});
const iterations = Number(values.iterations ?? 200_000);
const seed = Number(values.seed ?? Date.now() % 2 ** 31);
const heapBefore = Deno.memoryUsage().heapUsed;
const started = performance.now();
const report = fuzzOverlay({ seed, iterations, corpus: await fuzzCorpus() });
const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz seed ${seed}: ${report.inputs} inputs in ${seconds.toFixed(1)} s (${
    Math.round(report.inputs / seconds)
  }/s), ` +
    `${report.decoded} decoded, ${report.refused} refused with typed errors, ${report.crashes.length} crashes, ` +
    `slowest input ${report.slowestMs.toFixed(2)} ms, heap ${
      ((Deno.memoryUsage().heapUsed - heapBefore) / 1048576).toFixed(1)
    } MiB over the run`,
);
if (report.crashes.length > 0) {
  const dir = new URL("../test/fixtures/overlay/crashers/", import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  for (const [i, crash] of report.crashes.slice(0, 20).entries()) {
    const hex = Buffer.from(crash.input).toString("hex").match(/.{1,64}/g)?.join("\n") ?? "";
    await writeFile(`${dir}seed${seed}_${i}.hex`, `# ${crash.target}: ${crash.error}\n${hex}\n`);
    console.log(`crash ${i} (${crash.target}): ${crash.error}`);
  }
  Deno.exit(1);
}
