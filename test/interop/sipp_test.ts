// SIPp (Debian sip-tester, installed by scripts/setup-interop) against two `superpeer run`
// processes joined in one overlay on 127.0.0.1: REGISTER with Digest for 20 distinct users at
// superpeer A; a UAS registered at B and a UAC registered at A, then a call from the UAC to the
// UAS found through the overlay's SIP-REGISTRATION entries (INVITE/180/200/ACK/BYE through both
// proxies' Record-Routes); an INVITE for a user nobody registered gets 404; an unauthenticated
// INVITE from another domain, from a source a third superpeer's peering policy does not allow,
// gets 403 (sip.peeringSources). Every sipp run is
// bounded (-m, -timeout) and killed at the end; the daemons are stopped whatever happens.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { formatUserLine, makeUserRecord } from "../../src/sip/digest/mod.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";
import {
  type DaemonProcess,
  DENO_BIN,
  get,
  MAIN_TS,
  runToEnd,
  startDaemonProcess,
} from "../../scripts/lib/daemon_process.ts";

const SIPP = "/usr/bin/sipp";
const DOMAIN = "mesh.test";
const USERS = 20;
const SCENARIOS = new URL("./sipp/", import.meta.url).pathname;
const RUN_TIMEOUT_MS = 40_000;

interface Superpeer {
  readonly process: DaemonProcess;
  readonly sip: number;
  readonly overlay: number;
}

async function serviceDetails(process: DaemonProcess, name: string) {
  const status = JSON.parse((await get(`${process.opsUrl}/status`)).body);
  return status.services.find((s: { name: string }) => s.name === name)?.details;
}

async function start(
  usersFile: string,
  bootstrap?: number,
  extra: readonly string[] = [],
): Promise<Superpeer> {
  const process = await startDaemonProcess(DENO_BIN, ["run", "-A", MAIN_TS], [
    "--set",
    "overlay.stabilizeMaxMs=2000",
    "--set",
    "relay.enabled=false",
    "--set",
    `sip.domains=${DOMAIN}`,
    "--set",
    `sip.realm=${DOMAIN}`,
    "--set",
    `sip.usersFile=${usersFile}`,
    // SIPp 3.6 answers only MD5 challenges and reads only the first one
    "--set",
    "sip.digestAlgorithms=MD5",
    // SIPp puts the remote address, not the Request-URI, in the digest uri
    "--set",
    "sip.digestCheckUri=false",
    "--set",
    "sip.overlayRefreshSeconds=5",
    // the UAC scenarios (uac.xml, uac_unknown.xml) do not answer a 407: proxy authentication
    // (sip.proxyAuth, on by default) is tested on a memory network in test/sip/proxy/
    "--set",
    "sip.proxyAuth=false",
    ...(bootstrap === undefined ? [] : ["--set", `overlay.bootstrap=127.0.0.1:${bootstrap}`]),
    ...extra,
  ]);
  const sip = await serviceDetails(process, "sip");
  const overlay = await serviceDetails(process, "overlay");
  return {
    process,
    sip: Number(String(sip.udp).split(":").pop()),
    overlay: Number(String(overlay.udp).split(":").pop()),
  };
}

/** One line of register.xml's injection file: user;[authentication ...];domain. */
function csvLine(user: string, password: string): string {
  return `${user};[authentication username=${user} password=${password}];${DOMAIN}`;
}

/** A free UDP port on 127.0.0.1 (bound and released). */
async function freePort(): Promise<number> {
  const transport = await openUdpTransport({ host: "127.0.0.1", port: 0 }, {
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  const port = transport.local.port;
  await transport.close();
  return port;
}

/** Runs sipp to its end; returns its exit code (0: every call succeeded) and output. */
async function sipp(target: number, scenario: string, args: readonly string[]) {
  return await runToEnd(SIPP, [
    `127.0.0.1:${target}`,
    "-sf",
    join(SCENARIOS, scenario),
    "-i",
    "127.0.0.1",
    "-nostdin",
    "-timeout",
    "30s",
    "-timeout_error",
    ...args,
  ], RUN_TIMEOUT_MS);
}

function summary(result: { stdout: string; stderr: string }): string {
  const lines = (result.stdout + result.stderr).split("\n");
  return lines.filter((l) => /Successful call|Failed call|error|Aborting/i.test(l)).slice(-8)
    .join("\n");
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

if (!existsSync(SIPP)) {
  test.skip(
    `SIPp against superpeer (skipped: ${SIPP} missing; run scripts/setup-interop, which installs Debian sip-tester)`,
    () => {},
  );
} else {
  let dir = "";
  let usersCsv = "";
  let a: Superpeer | undefined;
  let b: Superpeer | undefined;

  test.before(async () => {
    dir = await mkdtemp(join(tmpdir(), "superpeer-sipp-"));
    const usersFile = join(dir, "sip_users");
    const users: Array<readonly [string, string]> = Array.from(
      { length: USERS },
      (_, i) => [`user${i}`, `secret-${i}`] as const,
    );
    users.push(["callee", "callee-secret"], ["caller", "caller-secret"]);
    await writeFile(
      usersFile,
      users.map(([user, password]) => formatUserLine(makeUserRecord(user, DOMAIN, password)))
        .join("\n") + "\n",
    );
    usersCsv = join(dir, "users.csv");
    await writeFile(
      usersCsv,
      "SEQUENTIAL\n" +
        users.slice(0, USERS).map(([user, password]) => csvLine(user, password)).join(
          "\n",
        ) + "\n",
    );
    a = await start(usersFile);
    b = await start(usersFile, a.overlay);
    await waitFor(
      async () => (await serviceDetails(b!.process, "overlay")).joined === true,
      20_000,
      "superpeer B to join A's overlay",
    );
  });

  test.after(async () => {
    a?.process.kill("SIGTERM");
    b?.process.kill("SIGTERM");
    await Promise.allSettled([a?.process.exited, b?.process.exited]);
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  test(`SIPp registers ${USERS} distinct users with Digest at one superpeer, no failed call`, async () => {
    const result = await sipp(a!.sip, "register.xml", [
      "-inf",
      usersCsv,
      "-m",
      String(USERS),
      "-r",
      "20",
      "-l",
      "10",
      "-p",
      String(await freePort()),
    ]);
    assert.is(result.code, 0, summary(result));
    const sip = await serviceDetails(a!.process, "sip");
    assert.is(sip.bindings, USERS, "one binding per user");
  });

  test("SIPp UAC at superpeer A calls a SIPp UAS at superpeer B through the overlay", async () => {
    const uasPort = await freePort();
    const uacPort = await freePort();
    const one = async (user: string, password: string, target: number, port: number) => {
      const csv = join(dir, `${user}.csv`);
      await writeFile(csv, `SEQUENTIAL\n${csvLine(user, password)}\n`);
      const result = await sipp(target, "register.xml", [
        "-inf",
        csv,
        "-m",
        "1",
        "-p",
        String(port),
      ]);
      assert.is(result.code, 0, `${user} registers: ${summary(result)}`);
    };
    await one("callee", "callee-secret", b!.sip, uasPort);
    await one("caller", "caller-secret", a!.sip, uacPort);
    // B publishes callee's entry in the overlay; A must be able to find it
    await waitFor(
      async () => (await serviceDetails(b!.process, "sip")).overlayAors >= 1,
      10_000,
      "B to publish the callee",
    );
    await new Promise((r) => setTimeout(r, 1500));
    const uas = new Deno.Command(SIPP, {
      args: [
        `127.0.0.1:${b!.sip}`,
        "-sf",
        join(SCENARIOS, "uas.xml"),
        "-i",
        "127.0.0.1",
        "-p",
        String(uasPort),
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "30s",
        "-timeout_error",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).spawn();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const uac = await sipp(a!.sip, "uac.xml", [
        "-key",
        "caller",
        "caller",
        "-key",
        "callee",
        "callee",
        "-key",
        "domain",
        DOMAIN,
        "-m",
        "1",
        "-p",
        String(uacPort),
      ]);
      assert.is(uac.code, 0, `UAC: ${summary(uac)}`);
      const ended = await uas.output();
      const decoder = new TextDecoder();
      const uasResult = {
        stdout: decoder.decode(ended.stdout),
        stderr: decoder.decode(ended.stderr),
      };
      assert.is(ended.code, 0, `UAS: ${summary(uasResult)}`);
    } finally {
      try {
        uas.kill("SIGKILL");
      } catch {
        // already ended
      }
    }
  });

  test("SIPp gets 404 for an INVITE to a user nobody registered", async () => {
    const result = await sipp(a!.sip, "uac_unknown.xml", [
      "-key",
      "caller",
      "user0",
      "-key",
      "callee",
      "nobody",
      "-key",
      "domain",
      DOMAIN,
      "-m",
      "1",
      "-p",
      String(await freePort()),
    ]);
    assert.is(result.code, 0, summary(result));
  });

  test("an unauthenticated INVITE from outside the peering policy is refused", async () => {
    // a superpeer of its own whose peering policy allows outside requests from 192.0.2.0/24
    // only: SIPp on 127.0.0.1, From another domain, without credentials, is outside it
    const c = await start(join(dir, "sip_users"), undefined, [
      "--set",
      "sip.peeringSources=192.0.2.0/24",
      "--set",
      "sip.proxyAuth=true",
    ]);
    try {
      const result = await sipp(c.sip, "uac_outside.xml", [
        "-key",
        "caller",
        "spammer",
        "-key",
        "from_domain",
        "elsewhere.test",
        "-key",
        "callee",
        "user0",
        "-key",
        "domain",
        DOMAIN,
        "-m",
        "1",
        "-p",
        String(await freePort()),
      ]);
      assert.is(result.code, 0, summary(result));
      const metrics = (await get(`${c.process.opsUrl}/metrics`)).body;
      assert.match(metrics, /superpeer_sip_policy_refused_total\{reason="source"\} 1\b/);
    } finally {
      c.process.kill("SIGTERM");
      await c.process.exited;
    }
  });
}

test.run();
