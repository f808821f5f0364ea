// MdnsSockets on real sockets, inside the netns lab (test/helpers/netns_lan.ts): never in this
// machine's own network namespace. Three hosts: 0 and 2 on two links (eth0 on link 0, eth1 on
// link 1), 1 on link 0 only. A small driver (test/interop/mdns/sockets_driver.ts) runs the class
// in a host, on Deno and on Node (an esbuild bundle of the driver): it sends to the groups and
// prints what it receives; tshark in host 1 records TTLs; avahi in host 1 checks that what we send
// is accepted by another stack and that we run beside it on port 5353.
// Skipped with the reason when the lab cannot run here (not root, no `ip netns`, tools missing:
// scripts/setup-interop).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type LabProcess, NetnsLan } from "../helpers/netns_lan.ts";
import { labGuard } from "./mdns/sockets_driver.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = join(ROOT, "node_modules/.bin/deno");
const DRIVER = join(ROOT, "test/interop/mdns/sockets_driver.ts");
const FIXTURES = join(ROOT, "test/fixtures/mdns/");
/** Hop limit of IPv6 multicast as sent: Deno 2.9.6's node:dgram ignores setMulticastTTL on udp6. */
const IPV6_HOP_LIMIT = { deno: 1, node: 255 } as const;

type Runtime = "deno" | "node";

/** What host 0 sends, as `<interface>:<family>[:<n>]`. */
const SENDS = ["eth0:4", "eth1:4", "eth0:4:2", "eth1:4:2", "eth0:6", "eth1:6"];

interface DriverLine {
  readonly event: string;
  readonly [key: string]: unknown;
}

interface PacketLine {
  readonly from: { host: string; port: number };
  readonly interfaceName: string;
  readonly fromSelf: boolean;
  readonly text: string;
  readonly hex: string;
}

function lines(p: LabProcess): DriverLine[] {
  return p.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

function packets(p: LabProcess): PacketLine[] {
  return lines(p).filter((l) => l.event === "packet") as unknown as PacketLine[];
}

async function nodeAvailable(): Promise<boolean> {
  const out = await new Deno.Command("node", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  })
    .output().catch(() => undefined);
  return out?.success === true;
}

/** Bundles the driver for Node 20 (which cannot run .ts) into .cache/mdns-sockets-driver/. */
async function bundleDriver(): Promise<string> {
  const esbuild = await import("esbuild");
  const dir = join(ROOT, ".cache/mdns-sockets-driver");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, "sockets_driver.mjs");
  try {
    await esbuild.build({
      entryPoints: [DRIVER],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      outfile,
      banner: { js: "globalThis.__superpeerDriverMain = true;" },
      logLevel: "warning",
      absWorkingDir: ROOT,
    });
  } finally {
    await esbuild.stop();
  }
  return outfile;
}

const reason = await NetnsLan.available({ tools: ["tshark", "avahi"] });
const haveNode = await nodeAvailable();

test("labGuard() lets a driver multicast only in the lab namespace it was started for", () => {
  const inside = { own: "4:1001", expected: "4:1001", outside: ["4:900"] };
  assert.is(labGuard(inside), undefined);
  assert.match(labGuard({ ...inside, own: "4:900", expected: "4:900" })!, /own network namespace/);
  assert.match(labGuard({ ...inside, own: "4:1002" })!, /not the lab's/);
  assert.match(labGuard({ ...inside, expected: undefined })!, /not set/);
  assert.match(labGuard({ ...inside, outside: [] })!, /not set/);
  assert.match(labGuard({ ...inside, own: undefined })!, /cannot read/);
});

if (reason !== undefined) {
  test.skip(
    `MdnsSockets in the netns lab (skipped: ${reason}; run as root after scripts/setup-interop)`,
    () => {},
  );
} else {
  let lan: NetnsLan | undefined;
  let nodeDriver: string | undefined;

  test.before(async () => {
    lan = await NetnsLan.create({ hosts: 3, links: [[0, 2]] });
    if (haveNode) nodeDriver = await bundleDriver();
  });

  test.after(async () => {
    await lan?.destroy();
  });

  const driver = (runtime: Runtime, host: number, args: string[]): LabProcess => {
    if (runtime === "deno") return lan!.spawn(host, DENO, ["run", "-A", DRIVER, ...args]);
    return lan!.spawn(host, "/usr/bin/node", [nodeDriver!, ...args]);
  };

  const ready = (p: LabProcess) =>
    p.waitFor(/"event":"ready"/, { stream: "stdout", timeoutMs: 20_000 });

  test("the lab refuses to run anything in a namespace it did not create", () => {
    assert.throws(() => lan!.assertInsideLab("splab-1-000000-h0"), /not a namespace of lab/);
    assert.throws(() => lan!.spawn(7, "/bin/true", []), RangeError);
    assert.not.throws(() => lan!.assertInsideLab(lan!.hosts[0]!.netns));
  });

  const runtimes: Runtime[] = haveNode ? ["deno", "node"] : ["deno"];
  if (!haveNode) test.skip("MdnsSockets on node (skipped: node not found)", () => {});
  for (const runtime of runtimes) {
    test(`MdnsSockets on ${runtime}: group packets arrive on the link they were sent on, both families, with our own echo marked fromSelf`, async () => {
      const capture = await lan!.capture(1, { name: `ttl-${runtime}` });
      // Host 1 hears link 0 only; host 2 hears both links on two interfaces.
      const one = driver(runtime, 1, ["--allow", "eth0", "--listen-ms", "15000"]);
      const two = driver(runtime, 2, ["--allow", "*", "--listen-ms", "15000"]);
      try {
        await ready(one);
        await ready(two);
        const tag = `${runtime}-${Date.now()}`;
        const sender = driver(runtime, 0, [
          "--allow",
          "*",
          "--listen-ms",
          "2000",
          // At once after binding, alternating interfaces: Deno sent such IPv4 sends all on the
          // interface set last until MdnsSockets sent them one at a time.
          "--send-after-ms",
          "0",
          ...SENDS.flatMap((s) => ["--send", `${s.split(":").slice(0, 2).join(":")}:${tag} ${s}`]),
        ]);
        await sender.waitFor(/"event":"done"/, { stream: "stdout", timeoutMs: 20_000 });
        await two.waitFor(new RegExp(`${tag} eth1:6`), { stream: "stdout", timeoutMs: 5_000 });
        await one.waitFor(new RegExp(`${tag} eth0:6`), { stream: "stdout", timeoutMs: 5_000 });
        await one.stop();
        await two.stop();
        const h0 = lan!.hosts[0]!;
        const [eth0, eth1] = h0.interfaces;
        const got = (p: LabProcess) =>
          packets(p).filter((x) => x.text.startsWith(tag)).map((x) =>
            `${
              x.text.slice(tag.length + 1)
            } from ${x.from.host}:${x.from.port} on ${x.interfaceName}${x.fromSelf ? " self" : ""}`
          ).sort();
        assert.equal(got(one), [
          `eth0:4 from ${eth0!.ipv4}:5353 on eth0`,
          `eth0:4:2 from ${eth0!.ipv4}:5353 on eth0`,
          `eth0:6 from ${eth0!.ipv6LinkLocal}%eth0:5353 on eth0`,
        ], one.stdout() + one.stderr());
        assert.equal(got(two), [
          `eth0:4 from ${eth0!.ipv4}:5353 on eth0`,
          `eth0:4:2 from ${eth0!.ipv4}:5353 on eth0`,
          `eth0:6 from ${eth0!.ipv6LinkLocal}%eth0:5353 on eth0`,
          `eth1:4 from ${eth1!.ipv4}:5353 on eth1`,
          `eth1:4:2 from ${eth1!.ipv4}:5353 on eth1`,
          `eth1:6 from ${eth1!.ipv6LinkLocal}%eth1:5353 on eth1`,
        ], two.stdout() + two.stderr());
        assert.equal(got(sender), [
          `eth0:4 from ${eth0!.ipv4}:5353 on eth0 self`,
          `eth0:4:2 from ${eth0!.ipv4}:5353 on eth0 self`,
          `eth0:6 from ${eth0!.ipv6LinkLocal}%eth0:5353 on eth0 self`,
          `eth1:4 from ${eth1!.ipv4}:5353 on eth1 self`,
          `eth1:4:2 from ${eth1!.ipv4}:5353 on eth1 self`,
          `eth1:6 from ${eth1!.ipv6LinkLocal}%eth1:5353 on eth1 self`,
        ], sender.stdout() + sender.stderr());
        const metrics = lines(sender).find((l) => l.event === "metrics")!.values as Record<
          string,
          number
        >;
        assert.is(metrics['superpeer_mdns_packets_sent_total{family="4"}'], 4);
        assert.is(metrics['superpeer_mdns_packets_sent_total{family="6"}'], 2);
        assert.is(metrics["superpeer_mdns_interfaces"], 2);
        const seen = (await capture.packets()).filter((p) => {
          const text = new TextDecoder().decode(
            Uint8Array.from(p.payloadHex.match(/../g) ?? [], (h) => parseInt(h, 16)),
          );
          return text.startsWith(tag);
        });
        assert.equal(
          seen.map((p) => `${p.family} ttl ${p.ttl} ${p.dst}`).sort(),
          [
            `4 ttl 255 224.0.0.251`,
            `4 ttl 255 224.0.0.251`,
            `6 ttl ${IPV6_HOP_LIMIT[runtime]} ff02::fb`,
          ],
          `what tshark saw on link 0 (eth1 packets must not be there): ${
            seen.map((p) => p.info).join("; ")
          }`,
        );
      } finally {
        await one.stop();
        await two.stop();
        await capture.stop();
      }
    });

    test(`MdnsSockets on ${runtime}: runs beside avahi on port 5353, hears it (not as fromSelf), and avahi takes our replayed zeroconf announcement`, async () => {
      const avahi = await lan!.startAvahi(1);
      const h1 = lan!.hosts[1]!;
      const beside = driver(runtime, 1, ["--allow", "eth0", "--listen-ms", "20000"]);
      let publish: LabProcess | undefined;
      try {
        await ready(beside);
        const instance = `avahi ${runtime}`;
        publish = lan!.spawn(1, "/usr/bin/avahi-publish-service", [
          instance,
          "_superpeer._udp",
          "5062",
        ], { env: avahi.env });
        await publish.waitFor(/Established under name/, { timeoutMs: 10_000 });
        const label = [...new TextEncoder().encode(instance)].map((b) =>
          b.toString(16).padStart(2, "0")
        ).join("");
        await beside.waitFor(new RegExp(`"hex":"[0-9a-f]*${label}`), {
          stream: "stdout",
          timeoutMs: 5_000,
        });
        const fromAvahi = packets(beside).filter((p) => p.hex.includes(label));
        assert.ok(fromAvahi.length > 0);
        for (const p of fromAvahi) {
          assert.ok(
            p.from.host === h1.ipv4 || p.from.host === `${h1.ipv6LinkLocal}%eth0`,
            `avahi's packet comes from this host's own address: ${p.from.host}`,
          );
          assert.is(p.from.port, 5353);
          assert.is(p.fromSelf, false, "avahi shares our address and port but is not us");
          assert.is(p.interfaceName, "eth0");
        }
        // Replay python-zeroconf's captured announcement (its host is lab-h0.local at host 0's
        // addresses, the same in every lab) from host 0, over both families.
        const fixture = readFileSync(join(FIXTURES, "zeroconf_announce.hex"), "utf8")
          .split("\n").filter((l) => !l.startsWith("#")).join("").trim();
        const sender = driver(runtime, 0, [
          "--allow",
          "eth0",
          "--listen-ms",
          "1500",
          "--send-hex",
          `eth0:4:${fixture}`,
          "--send-hex",
          `eth0:6:${fixture}`,
        ]);
        await sender.waitFor(/"event":"done"/, { stream: "stdout", timeoutMs: 20_000 });
        const browse = await lan!.run(1, "/usr/bin/avahi-browse", ["-rpt", "_superpeer._udp"], {
          env: avahi.env,
          timeoutMs: 15_000,
        });
        const resolved = browse.stdout.split("\n").find((l) =>
          l.startsWith("=;eth0;IPv4;zc\\032one;")
        );
        assert.ok(resolved, `avahi did not resolve the replayed announcement:\n${browse.stdout}`);
        assert.match(resolved!, /;lab-h0\.local;10\.77\.0\.10;5060;/);
      } finally {
        await publish?.stop();
        await beside.stop();
        await avahi.stop();
      }
    });
  }
}

test.run();
