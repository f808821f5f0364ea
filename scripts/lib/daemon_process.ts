// Starts superpeer as a child process for tests and benchmarks. Uses Deno.Command: Deno's node:child_process
// reports a child that exits 0 after handling SIGTERM as killed by the signal (seen on 2.9.6).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How a child process ended. */
export interface ExitStatus {
  readonly code: number;
  readonly signal: string | null;
}

/** A superpeer started as a child process, listening on an ephemeral loopback ops port. */
export interface DaemonProcess {
  readonly opsUrl: string;
  readonly dataDir: string;
  stderr(): string;
  /** Resolves when the process exits. */
  readonly exited: Promise<ExitStatus>;
  kill(signal: Deno.Signal): void;
  /** Waits until stderr matches `pattern` (or throws after `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** The deno binary installed by npm ci. */
export const DENO_BIN = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
/** The CLI entry point from source. */
export const MAIN_TS = new URL("../../src/cli/main.ts", import.meta.url).pathname;

/** Any process still running after this long is killed (longer than a test suite may run), so no test can leave one behind. */
const HARD_KILL_MS = 150_000;

/** The log line that says the daemon is up, with its ops URL. */
export const OPS_LISTENING = /msg="Ops endpoint listening" url=(\S+)/;

/** `--set` flags that give ops, relay and every SIP listener a port the kernel picks. */
export const EPHEMERAL_PORT_SETS: readonly string[] = [
  "ops.port=0",
  "relay.port=0",
  "sip.port=0",
  "sip.tlsPort=0",
  "sip.wsPort=0",
  "sip.wssPort=0",
].flatMap((s) => ["--set", s]);

/** Daemons still running; killed when this process exits, so a failed assertion leaks none. */
const running = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `command args... run --set ops.port=0 --set overlay.port=0 --set relay.port=0 --set sip.port=0 --set sip.tlsPort=0 --set sip.wsPort=0
 * --set sip.wssPort=0 --set dataDir=<temp> ...extra` and waits for the
 * ops endpoint's URL in the log.
 */
export async function startDaemonProcess(
  command: string,
  args: readonly string[],
  extra: readonly string[] = [],
  options: { startTimeoutMs?: number } = {},
): Promise<DaemonProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "superpeer-proc-"));
  const child = new Deno.Command(command, {
    args: [
      ...withUnstableNet(command, args),
      "run",
      ...EPHEMERAL_PORT_SETS,
      "--set",
      "overlay.port=0",
      "--set",
      `dataDir=${dataDir}`,
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  running.add(child);
  let stderr = "";
  let done = false;
  const waiters = new Set<() => void>();
  const hardKill = setTimeout(() => child.kill("SIGKILL"), HARD_KILL_MS);
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      for (const w of [...waiters]) w();
    }
  })();
  const exited = child.status.then(async (status) => {
    running.delete(child);
    clearTimeout(hardKill);
    await reading;
    done = true;
    for (const w of [...waiters]) w();
    return { code: status.code, signal: status.signal };
  });
  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for ${pattern}; stderr:\n${stderr}`)),
        timeoutMs,
      );
      const check = () => {
        if (pattern.test(stderr)) finish();
        else if (done) finish(new Error(`process exited before ${pattern}; stderr:\n${stderr}`));
      };
      waiters.add(check);
      check();
    });
  try {
    await waitForLog(OPS_LISTENING, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  return {
    opsUrl: OPS_LISTENING.exec(stderr)![1]!,
    dataDir,
    stderr: () => stderr,
    exited,
    kill: (signal) => {
      if (!done) child.kill(signal);
    },
    waitForLog,
  };
}

/**
 * `deno run ...` gains --unstable-net, as in the start task, so daemons under test use
 * Deno.listenDatagram (without it openDatagramTransport falls back to node:dgram).
 */
function withUnstableNet(command: string, args: readonly string[]): readonly string[] {
  if (command !== DENO_BIN || args[0] !== "run" || args.includes("--unstable-net")) return args;
  return ["run", "--unstable-net", ...args.slice(1)];
}

/** Runs a command to completion (bounded by `timeoutMs`) and returns its exit code and output. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args: [...args],
    stdin: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** GET a URL and return status and body. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}
