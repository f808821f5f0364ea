// deno-lint-ignore-file no-console -- a command-line tool: stdout is its interface
// Test runner: loads every test/**/*_test.ts into uvu, runs them, and ends with the one line
// `N passed, N failed` that CI reads.
// Usage: deno run -A test/run.ts [--with release] [--without interop] [--only interop|release] [filter ...]
// The default run includes the interop suite: each of its files runs when its tools are installed
// (scripts/setup-interop) and is skipped with the reason otherwise.
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** A suite that has not finished after this long is counted as failed and the run goes on. */
const SUITE_TIMEOUT_MS = 120_000;

type SuiteResult = [errors: string | true, ran: number, skipped: number, total: number];
type QueueEntry = string | null | (() => Promise<SuiteResult>);
const uvu = globalThis as unknown as {
  UVU_DEFER: number;
  UVU_QUEUE: QueueEntry[][];
  UVU_INDEX: number;
};

const root = fileURLToPath(new URL(".", import.meta.url));

/** Top-level test folders that form suites of their own (everything else is "default"). */
const NAMED_SUITES = ["interop", "release"];
/** Suites kept out of `npm test`: the release suite needs built artifacts (`npm run build`). */
const OPT_IN_SUITES = ["release"];

const { values, positionals: filters } = parseArgs({
  args: Deno.args,
  options: {
    with: { type: "string", multiple: true },
    without: { type: "string", multiple: true },
    only: { type: "string" },
  },
  allowPositionals: true,
});
const extraSuites = new Set(values.with ?? []);
const leftOut = new Set(values.without ?? []);

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "fixtures") out.push(...await findTests(path));
    } else if (entry.name.endsWith("_test.ts")) {
      out.push(path);
    }
  }
  return out.sort();
}

const suiteOf = (file: string) => {
  const top = relative(root, file).split("/")[0]!;
  return NAMED_SUITES.includes(top) ? top : "default";
};
const inDefaultRun = (suite: string) =>
  !leftOut.has(suite) && (!OPT_IN_SUITES.includes(suite) || extraSuites.has(suite));
const files = (await findTests(root))
  .filter((
    f,
  ) => (values.only ? suiteOf(f) === values.only : inDefaultRun(suiteOf(f))))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
// uvu reads UVU_DEFER when its module is first evaluated, so set it before anything imports uvu.
uvu.UVU_DEFER = 1;
uvu.UVU_QUEUE = [];
const { exec } = await import("uvu");
for (const [index, file] of files.entries()) {
  uvu.UVU_QUEUE.push([relative(root, file)]);
  uvu.UVU_INDEX = index;
  await import(pathToFileURL(file).href);
}

let passed = 0;
let failed = 0;
for (const group of uvu.UVU_QUEUE) {
  for (let i = 1; i < group.length; i++) {
    const run = group[i];
    if (typeof run !== "function") continue;
    group[i] = async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<SuiteResult>((resolve) => {
        timer = setTimeout(
          () => resolve([`  suite timed out after ${SUITE_TIMEOUT_MS} ms\n`, 0, 0, 1]),
          SUITE_TIMEOUT_MS,
        );
      });
      const result = await Promise.race([run(), timeout]);
      clearTimeout(timer);
      const [, ran, , total] = result;
      passed += ran;
      failed += Math.max(total - ran, result[0] === true ? 0 : 1);
      return result;
    };
  }
}

await exec();
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed > 0 || passed === 0 ? 1 : 0);
