// deno-lint-ignore-file no-console -- a command-line tool (scripts/netns-lan fixtures)
/**
 * Captures real mDNS packets from avahi and python-zeroconf inside the netns lab and writes their
 * UDP payloads to test/fixtures/mdns/<tool>_<what>.hex (one `#` line saying tool, version, what
 * and how; then the payload as hex, 32 bytes a line). The DNS codec's tests decode them.
 *
 * Scenario, host 2 capturing as a silent observer: avahi starts in host 1 (host-name probes and
 * announcement), publishes "avahi one._superpeer._udp" (service probes and announcement);
 * python-zeroconf in host 0 publishes "zc one._superpeer._udp" (its probes and announcements);
 * avahi-browse runs twice in host 1 (the second query carries known answers from avahi's cache);
 * python-zeroconf browses from host 2 (a QU query, then queries with known answers, and a unicast
 * reply to the QU question); then zeroconf, avahi-publish-service and avahi-daemon stop (goodbyes).
 * Which packet becomes which fixture is chosen by what tshark's DNS dissector reads in it.
 *
 * Usage: scripts/netns-lan fixtures [output directory]   (default test/fixtures/mdns)
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CapturedPacket,
  LAB_PYTHON,
  NetnsLan,
  ZEROCONF_TOOL_PATH,
} from "../../helpers/netns_lan.ts";

const TYPE = "_superpeer._udp";

interface FixtureRule {
  readonly file: string;
  readonly tool: "avahi" | "zeroconf";
  readonly what: string;
  readonly pick: (p: CapturedPacket) => boolean;
}

const has = (p: CapturedPacket, ...types: string[]) =>
  types.every((t) => p.dns?.records.includes(t) ?? false);
const allTtl = (p: CapturedPacket, test: (ttl: number) => boolean) =>
  (p.dns?.ttls.length ?? 0) > 0 && p.dns!.ttls.every(test);
const query = (p: CapturedPacket) => p.dns !== undefined && !p.dns.response;
const response = (p: CapturedPacket) => p.dns !== undefined && p.dns.response;
const asks = (p: CapturedPacket, question: string) =>
  p.dns?.questionList.includes(question) ?? false;

function rules(lan: NetnsLan): FixtureRule[] {
  const [zc, av, observer] = lan.hosts;
  const fromAvahi4 = (p: CapturedPacket) => p.src === av!.ipv4;
  const fromAvahi6 = (p: CapturedPacket) => p.src === av!.ipv6LinkLocal;
  const fromZc4 = (p: CapturedPacket) => p.src === zc!.ipv4;
  const fromBrowser4 = (p: CapturedPacket) => p.src === observer!.ipv4;
  return [
    {
      file: "avahi_probe_host",
      tool: "avahi",
      what:
        "host-name probe (ANY questions for lab-h1.local and its reverse names, A/AAAA/PTR in authority)",
      pick: (p) =>
        fromAvahi4(p) && query(p) && p.dns!.authorities > 0 && asks(p, "lab-h1.local/ANY"),
    },
    {
      file: "avahi_announce_host",
      tool: "avahi",
      what: "host-name announcement (A, AAAA and their reverse PTRs)",
      pick: (p) =>
        fromAvahi4(p) && response(p) && has(p, "A", "AAAA") && !has(p, "SRV") &&
        allTtl(p, (t) => t > 0),
    },
    {
      file: "avahi_probe_service",
      tool: "avahi",
      what: `service probe (ANY question for "avahi one.${TYPE}.local", SRV + TXT in authority)`,
      pick: (p) =>
        fromAvahi4(p) && query(p) && p.dns!.authorities > 0 &&
        asks(p, `avahi one.${TYPE}.local/ANY`),
    },
    {
      file: "avahi_announce_service",
      tool: "avahi",
      what:
        "service announcement over IPv4 (TXT, PTR, SRV, AAAA, A, _services._dns-sd._udp PTR; all answers)",
      pick: (p) =>
        fromAvahi4(p) && response(p) && p.dst === "224.0.0.251" &&
        has(p, "PTR", "SRV", "TXT", "A", "AAAA") && allTtl(p, (t) => t > 0),
    },
    {
      file: "avahi_announce_service_ipv6",
      tool: "avahi",
      what:
        "service announcement over IPv6 to ff02::fb (as over IPv4 but without the A record: avahi sends each family's addresses on its own protocol)",
      pick: (p) =>
        fromAvahi6(p) && response(p) && has(p, "PTR", "SRV", "TXT", "AAAA") &&
        allTtl(p, (t) => t > 0),
    },
    {
      file: "avahi_browse_known_answers",
      tool: "avahi",
      what:
        `browse query (PTR ${TYPE}.local, QM) with known answers from avahi's cache (a second avahi-browse while the cache is warm)`,
      pick: (p) => fromAvahi4(p) && query(p) && p.dns!.answers > 0 && asks(p, `${TYPE}.local/PTR`),
    },
    {
      file: "avahi_goodbye_service",
      tool: "avahi",
      what:
        "service goodbye when avahi-publish-service ends (PTR, PTR, SRV, TXT with TTL 0, yet the host's AAAA and A ride along with TTL 120)",
      pick: (p) =>
        fromAvahi4(p) && response(p) && has(p, "SRV") && (p.dns?.ttls.includes(0) ?? false),
    },
    {
      file: "avahi_goodbye_host",
      tool: "avahi",
      what: "host goodbye when avahi-daemon stops (AAAA, PTR, A, PTR, all TTL 0)",
      pick: (p) => fromAvahi4(p) && response(p) && has(p, "A") && allTtl(p, (t) => t === 0),
    },
    {
      file: "zeroconf_probe",
      tool: "zeroconf",
      what:
        `service probe as python-zeroconf sends it: a QU PTR question for the service type (not ANY for the instance, as RFC 6762 8.1 has it) with the instance's PTR in authority`,
      pick: (p) => fromZc4(p) && query(p) && p.dns!.authorities > 0,
    },
    {
      file: "zeroconf_announce",
      tool: "zeroconf",
      what: "service announcement (PTR, SRV, TXT, A, AAAA, all answers)",
      pick: (p) =>
        fromZc4(p) && response(p) && p.dst === "224.0.0.251" && p.dns!.answers >= 5 &&
        has(p, "PTR", "SRV", "TXT", "A", "AAAA") && allTtl(p, (t) => t > 0),
    },
    {
      file: "zeroconf_response_additionals",
      tool: "zeroconf",
      what:
        "multicast answer to a browse query (1 PTR answer; the SRV, TXT, A and AAAA as additionals)",
      pick: (p) =>
        fromZc4(p) && response(p) && p.dst === "224.0.0.251" && p.dns!.answers === 1 &&
        p.dns!.additionals >= 4,
    },
    {
      file: "zeroconf_response_unicast",
      tool: "zeroconf",
      what:
        "unicast answer (IP TTL 64, to port 5353) to a QU browse question (1 PTR answer; SRV, TXT, A, AAAA as additionals; no cache-flush bits)",
      pick: (p) => fromZc4(p) && response(p) && p.dst === observer!.ipv4,
    },
    {
      file: "zeroconf_browse_query",
      tool: "zeroconf",
      what: `first browse query (PTR ${TYPE}.local with the QU bit, no known answers)`,
      pick: (p) => fromBrowser4(p) && query(p) && p.dns!.answers === 0 && (p.dns!.qu[0] ?? false),
    },
    {
      file: "zeroconf_browse_known_answers",
      tool: "zeroconf",
      what: `later browse query (PTR ${TYPE}.local, QM) with both instances as known answers`,
      pick: (p) => fromBrowser4(p) && query(p) && p.dns!.answers >= 2,
    },
    {
      file: "zeroconf_goodbye",
      tool: "zeroconf",
      what: "goodbye on unregister_service (PTR, SRV, TXT, A, AAAA, all TTL 0)",
      pick: (p) => fromZc4(p) && response(p) && allTtl(p, (t) => t === 0),
    },
  ];
}

async function packageVersion(name: string): Promise<string> {
  const out = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f", "${Version}", name],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim() || "unknown";
}

function wrapHex(hex: string): string {
  return hex.match(/.{1,64}/g)!.join("\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the scenario in a fresh 3-host lab and returns the packets host 2 saw. */
async function captureScenario(lan: NetnsLan): Promise<CapturedPacket[]> {
  const capture = await lan.capture(2, { name: "fixtures" });
  const avahi = await lan.startAvahi(1);
  const publish = lan.spawn(1, "/usr/bin/avahi-publish-service", [
    "avahi one",
    TYPE,
    "5061",
    "from=avahi",
    "flag",
  ], { env: avahi.env });
  const zc = lan.spawn(0, LAB_PYTHON, [
    ZEROCONF_TOOL_PATH,
    "publish",
    `${TYPE}.local.`,
    "zc one",
    "5060",
    "from=zeroconf",
    "flag",
  ]);
  try {
    await publish.waitFor(/Established under name/);
    await sleep(1_500);
    await zc.waitFor(/"event": "registered"/, { stream: "stdout" });
    await sleep(1_500);
    for (const args of [["-rpt", TYPE], ["-pt", TYPE]]) {
      await lan.run(1, "/usr/bin/avahi-browse", args, { env: avahi.env, timeoutMs: 15_000 });
      await sleep(500);
    }
    await lan.run(2, LAB_PYTHON, [ZEROCONF_TOOL_PATH, "browse", `${TYPE}.local.`, "4"]);
    await zc.stop();
    await publish.stop();
    await sleep(500);
    await avahi.stop();
    await sleep(500);
    return await capture.packets();
  } finally {
    await zc.stop();
    await publish.stop();
    await avahi.stop();
    await capture.stop();
  }
}

/** Captures and writes the fixtures; returns the files written. */
export async function captureFixtures(outDir: string): Promise<string[]> {
  const reason = await NetnsLan.available({ tools: ["avahi", "zeroconf", "tshark"] });
  if (reason !== undefined) throw new Error(`Cannot capture fixtures: ${reason}`);
  const versions = {
    avahi: `avahi-daemon ${await packageVersion("avahi-daemon")}`,
    zeroconf: `python3-zeroconf ${await packageVersion("python3-zeroconf")}`,
  };
  const tshark = `tshark ${await packageVersion("tshark")}`;
  const lan = await NetnsLan.create({ hosts: 3 });
  try {
    const packets = await captureScenario(lan);
    mkdirSync(outDir, { recursive: true });
    const written: string[] = [];
    const missing: string[] = [];
    for (const rule of rules(lan)) {
      const p = packets.find(rule.pick);
      if (p === undefined) {
        missing.push(rule.file);
        continue;
      }
      const bytes = p.payloadHex.length / 2;
      const d = p.dns!;
      const header = `# ${versions[rule.tool]} (Debian): ${rule.what}; ` +
        `qd=${d.questions} an=${d.answers} ns=${d.authorities} ar=${d.additionals} ` +
        `qu=${d.qu.map(Number).join(",") || "-"} records=${d.records.join(",") || "-"} ` +
        `ttls=${d.ttls.join(",") || "-"} flush=${d.cacheFlush.map(Number).join(",") || "-"}; ` +
        `${bytes} bytes, UDP ${p.family === 4 ? p.src : `[${p.src}]`}:${p.srcPort} -> ` +
        `${p.family === 4 ? p.dst : `[${p.dst}]`}:${p.dstPort}, IP TTL ${p.ttl}; ` +
        `captured by ${tshark} inside the netns lab (scripts/netns-lan fixtures), frame ${p.frame}`;
      const path = join(outDir, `${rule.file}.hex`);
      writeFileSync(path, `${header}\n${wrapHex(p.payloadHex)}\n`);
      written.push(path);
    }
    if (missing.length > 0) {
      throw new Error(
        `Cannot capture fixtures: no packet matched ${
          missing.join(", ")
        } (wrote ${written.length}); packets:\n${
          packets.map((p) => `${p.frame} ${p.src} -> ${p.dst} ${p.info}`).join("\n")
        }`,
      );
    }
    return written;
  } finally {
    await lan.destroy();
  }
}

if (import.meta.main) {
  const out = Deno.args[0] ?? new URL("../../fixtures/mdns/", import.meta.url).pathname;
  const files = await captureFixtures(out);
  for (const f of files) console.log(f);
}
