// The load side of `deno task bench --only sip-load`: one bounded SIPp run (a step), its figures
// from SIPp's own statistics and response-time files, and a microsecond latency probe (SIPp times
// responses in whole milliseconds only). Everything goes to 127.0.0.1.
import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The SIPp binary (Debian sip-tester, installed by scripts/setup-interop or setup-bench). */
export const SIPP = "/usr/bin/sipp";
/** The bench's scenarios. */
export const SCENARIOS = new URL("../bench-sipp/", import.meta.url).pathname;

/** One SIPp run at a fixed rate. */
export interface StepOptions {
  readonly port: number;
  readonly scenario: string;
  readonly rate: number;
  readonly seconds: number;
  /** SIPp's local port (the calls' UAC must keep the port it registered from). */
  readonly localPort: number;
  readonly extra: readonly string[];
  /** Called once a second while SIPp runs (e.g. to stop a UAS early); true aborts the step. */
  readonly onTick?: () => boolean;
}

/** What one step measured. */
export interface StepResult {
  readonly rate: number;
  readonly calls: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Calls neither succeeded nor failed: not started or still running when the step stopped. */
  readonly unfinished: number;
  /** Failed calls by SIPp's cause (only the causes that occurred). */
  readonly causes: Readonly<Record<string, number>>;
  readonly retransmissions: number;
  /** Succeeded calls per second of SIPp's run. */
  readonly achieved: number;
  readonly elapsedS: number;
  /** Response times in ms (SIPp's resolution is 1 ms), by rtd number. */
  readonly rtdMs: ReadonlyMap<number, number[]>;
  /** Stopped at the first failed call. */
  readonly aborted: boolean;
  readonly exitCode: number;
  readonly load1: number;
  readonly note: string;
}

const FAILURE_CAUSES = [
  "FailedUnexpectedMessage",
  "FailedMaxUDPRetrans",
  "FailedTimeoutOnRecv",
  "FailedTimeoutOnSend",
  "FailedCannotSendMessage",
  "FailedCallRejected",
  "FailedOutboundCongestion",
];

/** SIPp processes running: SIGKILLed on exit or interrupt, so an aborted bench leaves none. */
const live = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", killAllSipp);

/** SIGKILLs every SIPp this module started that still runs. */
export function killAllSipp(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

function tracked(child: Deno.ChildProcess): Deno.ChildProcess {
  live.add(child);
  child.status.then(() => live.delete(child), () => live.delete(child));
  return child;
}

/** The 1-minute load average of the machine. */
export function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/**
 * Runs SIPp at `rate` calls/s for `seconds` (rate x seconds calls), stopping at the first failed
 * call (SIPp's periodic statistics are read every second) or at a hard deadline.
 */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-sipp-"));
  const calls = Math.max(1, Math.round(options.rate * options.seconds));
  const stats = join(dir, "stats.csv");
  // Every call of a healthy server ends within seconds; a lost request is retransmitted for up
  // to ~11 s (T1 500 ms doubling, 5 retransmissions) before SIPp counts it as failed.
  const deadlineS = options.seconds + 20;
  const child = tracked(new Deno.Command(SIPP, {
    args: [
      `127.0.0.1:${options.port}`,
      "-sf",
      join(SCENARIOS, options.scenario),
      "-i",
      "127.0.0.1",
      "-p",
      String(options.localPort),
      "-r",
      String(options.rate),
      "-m",
      String(calls),
      "-l",
      String(Math.max(200, Math.ceil(options.rate * 3))),
      "-nostdin",
      "-timeout",
      `${deadlineS}s`,
      "-trace_stat",
      "-stf",
      stats,
      "-fd",
      "1",
      "-trace_rtt",
      "-rtt_freq",
      "1",
      // A busy 2-core machine trips SIPp's scheduling watchdog: count it, don't abort on it.
      "-watchdog_major_maxtriggers",
      "1000000",
      "-watchdog_minor_maxtriggers",
      "1000000",
      ...options.extra,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn());
  const stderrText = new Response(child.stderr).text();
  const started = performance.now();
  let aborted = false;
  const watch = setInterval(async () => {
    const last = await lastStats(stats);
    const failedNow = last === undefined ? 0 : Number(last.get("FailedCall(C)") ?? 0);
    const tooLong = performance.now() - started > (deadlineS + 5) * 1000;
    if (failedNow > 0 || tooLong || options.onTick?.() === true) {
      aborted = failedNow > 0 || options.onTick?.() === true;
      try {
        child.kill("SIGKILL");
      } catch {
        // ended meanwhile
      }
    }
  }, 1000);
  const status = await child.status;
  clearInterval(watch);
  const stderr = await stderrText;
  const last = await lastStats(stats);
  const rtdMs = await readRtt(dir);
  await rm(dir, { recursive: true, force: true });
  const n = (key: string) => Number(last?.get(`${key}(C)`) ?? 0);
  const causes: Record<string, number> = {};
  for (const cause of FAILURE_CAUSES) {
    if (n(cause) > 0) causes[cause.replace(/^Failed/, "")] = n(cause);
  }
  const epoch = (key: string) => Number((last?.get(key) ?? "").split("\t")[2] ?? NaN);
  const elapsedS = last === undefined
    ? (performance.now() - started) / 1000
    : epoch("CurrentTime") - epoch("StartTime");
  const succeeded = n("SuccessfulCall");
  const counted = n("FailedCall");
  // SIPp ended badly without counting a failure (killed at the deadline, aborted): every call
  // that did not succeed failed.
  const failed = status.code !== 0 && !aborted && counted === 0 && succeeded < calls
    ? calls - succeeded
    : counted;
  return {
    rate: options.rate,
    calls,
    succeeded,
    failed,
    unfinished: Math.max(0, calls - succeeded - failed),
    causes,
    retransmissions: n("Retransmissions"),
    achieved: elapsedS > 0 ? succeeded / elapsedS : 0,
    elapsedS,
    rtdMs,
    aborted,
    exitCode: status.code,
    load1: loadAverage(),
    note: failed === 0 && status.code === 0 ? "" : failureNote(stderr),
  };
}

/** Runs a one-call SIPp scenario to its end (registrations before a calls step). */
export async function runOnce(
  port: number,
  scenario: string,
  localPort: number,
  extra: readonly string[],
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(SIPP, {
    args: [
      `127.0.0.1:${port}`,
      "-sf",
      join(SCENARIOS, scenario),
      "-i",
      "127.0.0.1",
      "-p",
      String(localPort),
      "-m",
      "1",
      "-nostdin",
      "-timeout",
      "15s",
      "-timeout_error",
      ...extra,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    ok: out.code === 0,
    output: lastLines(decoder.decode(out.stdout) + decoder.decode(out.stderr)),
  };
}

/** A SIPp UAS answering `calls` calls on `localPort` (killed by the caller when done). */
export function startUas(port: number, localPort: number, calls: number, seconds: number) {
  return tracked(new Deno.Command(SIPP, {
    args: [
      `127.0.0.1:${port}`,
      "-sf",
      join(SCENARIOS, "uas.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(localPort),
      "-m",
      String(calls),
      "-nostdin",
      "-timeout",
      `${seconds + 25}s`,
      "-watchdog_major_maxtriggers",
      "1000000",
      "-watchdog_minor_maxtriggers",
      "1000000",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn());
}

/** The first error response SIPp complained about, else its last lines. */
function failureNote(stderr: string): string {
  const response = /SIP\/2\.0 [3-6]\d\d [^\r\n]*/.exec(stderr)?.[0];
  const request = /unexpected message[^\r\n]*|Aborting call[^\r\n]*/i.exec(stderr)?.[0];
  if (response !== undefined) return `first error: ${response}`;
  return request !== undefined ? request.slice(0, 300) : lastLines(stderr);
}

function lastLines(text: string): string {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-6).join(" | ").slice(0, 600);
}

async function lastStats(path: string): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length < 2) return undefined;
  const keys = lines[0]!.split(";");
  const values = lines.at(-1)!.split(";");
  return new Map(keys.map((k, i) => [k, values[i] ?? ""]));
}

/** SIPp's -trace_rtt file: Date_ms;response_time_ms;rtd_no per completed response time. */
async function readRtt(dir: string): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const name of await readdir(dir)) {
    if (!name.endsWith("_rtt.csv")) continue;
    for (const line of (await readFile(join(dir, name), "utf8")).split("\n").slice(1)) {
      const [, ms, rtd] = line.split(";");
      if (ms === undefined || rtd === undefined) continue;
      const key = Number(rtd);
      let list = out.get(key);
      if (list === undefined) out.set(key, list = []);
      list.push(Number(ms));
    }
  }
  return out;
}

/** The value at quantile q (0..1) of unsorted values, undefined when there are none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// ---- the latency probe -----------------------------------------------------------------------

/** What the probe measured: microseconds per REGISTER transaction. */
export interface ProbeResult {
  readonly samplesUs: number[];
  readonly failures: number;
}

/** Credentials for the digest probe. */
export interface ProbeUser {
  readonly user: string;
  readonly password: string;
  readonly domain: string;
}

/**
 * Sends `count` REGISTERs one at a time from one UDP socket and times each final response with
 * performance.now(); with `digest`, the 401 is answered (MD5, qop=auth) and the authenticated
 * REGISTER's round trip is the sample. The first `warmup` are not counted.
 */
export async function probeRegister(
  port: number,
  user: ProbeUser,
  options: { count: number; warmup: number; digest: boolean },
): Promise<ProbeResult> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const local = socket.address().port;
  const samplesUs: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < options.count + options.warmup; i++) {
      const callId = `${randomBytes(8).toString("hex")}@probe`;
      const first = await transact(socket, port, register(user, local, callId, 1, ""));
      let sample = first;
      if (options.digest && first?.status === 401) {
        const header = /^WWW-Authenticate:\s*(.+)$/im.exec(first.text)?.[1] ?? "";
        sample = await transact(
          socket,
          port,
          register(user, local, callId, 2, authorization(user, header)),
        );
      }
      if (sample?.status !== 200) {
        failures++;
        continue;
      }
      if (i >= options.warmup) samplesUs.push(sample.us);
    }
  } finally {
    socket.close();
  }
  return { samplesUs, failures };
}

function register(
  user: ProbeUser,
  local: number,
  callId: string,
  cseq: number,
  auth: string,
): string {
  const branch = `z9hG4bK${randomBytes(8).toString("hex")}`;
  return [
    `REGISTER sip:${user.domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
    "Max-Forwards: 70",
    `From: <sip:${user.user}@${user.domain}>;tag=probe${cseq}`,
    `To: <sip:${user.user}@${user.domain}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user.user}@127.0.0.1:${local}>`,
    ...(auth === "" ? [] : [auth]),
    "Expires: 3600",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

function authorization(user: ProbeUser, challenge: string): string {
  const param = (name: string) =>
    new RegExp(`${name}="?([^",]*)"?`, "i").exec(challenge)?.[1] ?? "";
  const realm = param("realm");
  const nonce = param("nonce");
  const opaque = param("opaque");
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  const uri = `sip:${user.domain}`;
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const ha1 = md5(`${user.user}:${realm}:${user.password}`);
  const ha2 = md5(`REGISTER:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Authorization: Digest username="${user.user}", realm="${realm}", nonce="${nonce}", ` +
    `uri="${uri}", response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=${nc}` +
    (opaque === "" ? "" : `, opaque="${opaque}"`);
}

/** Sends one request and waits (up to 2 s) for a final response with its CSeq. */
function transact(
  socket: Socket,
  port: number,
  request: string,
): Promise<{ status: number; text: string; us: number } | undefined> {
  const cseq = /^CSeq:\s*(.+)$/im.exec(request)![1]!.trim();
  const callId = /^Call-ID:\s*(.+)$/im.exec(request)![1]!.trim();
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (value: { status: number; text: string; us: number } | undefined) => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      resolve(value);
    };
    const onMessage = (data: Uint8Array) => {
      const text = new TextDecoder().decode(data);
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
      if (status < 200) return;
      if (/^Call-ID:\s*(.+)$/im.exec(text)?.[1]?.trim() !== callId) return;
      if (/^CSeq:\s*(.+)$/im.exec(text)?.[1]?.trim() !== cseq) return;
      done({ status, text, us: (performance.now() - started) * 1000 });
    };
    const timer = setTimeout(() => done(undefined), 2_000);
    socket.on("message", onMessage);
    socket.send(new TextEncoder().encode(request), port, "127.0.0.1");
  });
}
