import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { formatLogfmt, LogSink } from "../../src/daemon/log_sink.ts";

function sink(
  options: {
    level?: "error" | "warn" | "info" | "debug";
    format?: "logfmt" | "json";
    windowMs?: number;
    max?: number;
  } = {},
) {
  const lines: string[] = [];
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const s = new LogSink({
    level: options.level ?? "info",
    format: options.format ?? "logfmt",
    repeatWindowMs: options.windowMs ?? 10_000,
    write: (l) => lines.push(l),
    clock,
    ...(options.max ? { maxTrackedMessages: options.max } : {}),
  });
  return { s, lines, clock };
}

test("formatLogfmt quotes values with spaces, quotes, equals signs and newlines", () => {
  const line = formatLogfmt(0, "warn", "superpeer:x", "Dropped a datagram", {
    from: "192.0.2.1:5000",
    why: 'bad "magic"',
    eq: "a=b",
    nl: "a\nb",
    n: 3,
    skip: undefined,
  });
  assert.is(
    line,
    'ts=1970-01-01T00:00:00.000Z level=warn logger=superpeer:x msg="Dropped a datagram" from=192.0.2.1:5000 why="bad \\"magic\\"" eq="a=b" nl="a\\nb" n=3\n',
  );
});

test("LogSink writes one line per event and drops levels below the configured one", () => {
  const { s, lines } = sink({ level: "info" });
  const log = s.logger("superpeer:test");
  log.debug("hidden");
  log.info("shown", { k: 1 });
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /level=info logger=superpeer:test msg=shown k=1\n$/);
  assert.is(log.enabled("debug"), false);
  assert.is(log.enabled("error"), true);
});

test("LogSink json format writes parseable JSON lines with bigint as string", () => {
  const { s, lines } = sink({ format: "json" });
  s.logger("superpeer:test").info("hello", { big: 12n, none: null });
  const parsed = JSON.parse(lines[0]!);
  assert.equal(
    {
      level: parsed.level,
      logger: parsed.logger,
      msg: parsed.msg,
      big: parsed.big,
      none: parsed.none,
    },
    { level: "info", logger: "superpeer:test", msg: "hello", big: "12", none: null },
  );
  assert.is(parsed.ts, "2026-11-25T12:00:00.000Z");
});

test("LogSink suppresses identical warnings within the window and reports the count", () => {
  const { s, lines, clock } = sink({ windowMs: 10_000 });
  const log = s.logger("superpeer:relay");
  for (let i = 0; i < 100; i++) {
    log.warn("Dropped a malformed datagram", { from: `198.51.100.${i}` });
  }
  assert.is(lines.length, 1);
  assert.is(s.suppressedTotal, 99);
  clock.advance(10_000);
  log.warn("Dropped a malformed datagram", { from: "198.51.100.200" });
  assert.is(lines.length, 2);
  assert.match(lines[1]!, /suppressed=99\n$/);
});

test("LogSink flushSuppressed writes a summary once the window has passed", () => {
  const { s, lines, clock } = sink({ windowMs: 5_000 });
  const log = s.logger("superpeer:relay");
  log.error("Boom");
  log.error("Boom");
  log.error("Boom");
  s.flushSuppressed();
  assert.is(lines.length, 1, "nothing to flush inside the window");
  clock.advance(5_000);
  s.flushSuppressed();
  assert.is(lines.length, 2);
  assert.match(lines[1]!, /level=error .*msg=Boom suppressed=2/);
  s.flushSuppressed(true);
  assert.is(lines.length, 2, "a summary is written once");
});

test("LogSink never suppresses info lines, and a zero window disables suppression", () => {
  const { s, lines } = sink({ windowMs: 0 });
  const log = s.logger("superpeer:test");
  log.warn("same");
  log.warn("same");
  log.info("same");
  assert.is(lines.length, 3);
});

test("LogSink tracks a bounded number of distinct messages and summarises evicted ones", () => {
  const { s, lines } = sink({ max: 2 });
  const log = s.logger("superpeer:test");
  log.warn("a");
  log.warn("a");
  log.warn("b");
  log.warn("c"); // evicts "a", which had one suppressed repeat
  assert.is(lines.filter((l) => /msg=a suppressed=1/.test(l)).length, 1);
});

test("LogSink reconfigure changes level and format at once", () => {
  const { s, lines } = sink({ level: "warn" });
  const log = s.logger("superpeer:test");
  log.info("before");
  s.reconfigure({ level: "debug", format: "json", repeatWindowMs: 0 });
  log.debug("after");
  assert.is(lines.length, 1);
  assert.is(JSON.parse(lines[0]!).msg, "after");
});

test("LogSink survives a writer that throws", () => {
  const s = new LogSink({
    level: "info",
    format: "logfmt",
    repeatWindowMs: 0,
    write: () => {
      throw new Error("EPIPE");
    },
    clock: new ManualClock(),
  });
  s.logger("x").info("still fine");
});

test.run();
