import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { ensureDataDir } from "../../src/daemon/data_dir.ts";
import { LogSink } from "../../src/daemon/log_sink.ts";
import { loadOrCreateNodeKey, writeNewNodeKey } from "../../src/daemon/node_key_file.ts";

function logs() {
  const lines: string[] = [];
  const sink = new LogSink({
    level: "debug",
    format: "logfmt",
    repeatWindowMs: 0,
    write: (l) => lines.push(l),
    clock: new ManualClock(),
  });
  return { log: sink.logger("superpeer:identity"), lines };
}

test("loadOrCreateNodeKey creates a 0600 key on first start and loads the same one after", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-key-"));
  const path = join(dir, "sub", "node_key.pem");
  const { log, lines } = logs();
  const first = await loadOrCreateNodeKey(path, log);
  assert.is((await stat(path)).mode & 0o777, 0o600);
  assert.match(lines[0]!, /Created node key/);
  const second = await loadOrCreateNodeKey(path, log);
  assert.equal(second.nodeId, first.nodeId);
});

test("loadOrCreateNodeKey warns about a key readable by others", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-key-"));
  const path = join(dir, "k.pem");
  await writeNewNodeKey(path);
  await chmod(path, 0o644);
  const { log, lines } = logs();
  await loadOrCreateNodeKey(path, log);
  assert.ok(lines.some((l) => /level=warn .*readable by other users/.test(l)));
});

test("writeNewNodeKey refuses to replace a key unless forced", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-key-"));
  const path = join(dir, "k.pem");
  const a = await writeNewNodeKey(path);
  try {
    await writeNewNodeKey(path);
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /exists \(use --force/);
  }
  const b = await writeNewNodeKey(path, { force: true });
  assert.not.equal(a.nodeId, b.nodeId);
  assert.match(await readFile(path, "utf8"), /BEGIN PRIVATE KEY/);
});

test("loadOrCreateNodeKey fails with KEY_FILE on a corrupt key file instead of replacing it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-key-"));
  const path = join(dir, "k.pem");
  await writeFile(path, "garbage", { mode: 0o600 });
  try {
    await loadOrCreateNodeKey(path, logs().log);
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, "KEY_FILE");
  }
  assert.is(await readFile(path, "utf8"), "garbage");
});

test("ensureDataDir creates a 0700 directory and rejects a path that is a file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-data-"));
  const data = join(dir, "a", "b");
  await ensureDataDir(data);
  assert.is((await stat(data)).mode & 0o777, 0o700);
  const file = join(dir, "file");
  await writeFile(file, "");
  try {
    await ensureDataDir(file);
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, "DATA_DIR");
  }
});

test.run();
