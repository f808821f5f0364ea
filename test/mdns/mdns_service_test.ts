import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { decodeDnsMessage } from "../../src/codec/dns/dns_message.ts";
import { dnsNameText } from "../../src/codec/dns/dns_name.ts";
import { decodeTxtPairs, encodeTxtPairs } from "../../src/codec/dns/txt_pairs.ts";
import type { ServiceInstance } from "../../src/mdns/dns_sd_browser.ts";
import type { ServiceAdvert } from "../../src/mdns/dns_sd_records.ts";
import { MdnsService } from "../../src/mdns/mdns_service.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";
import { counterValue } from "./responder_harness.ts";
import { MemoryMdnsLan } from "./memory_mdns_lan.ts";

const text = new TextDecoder();

function lan(seed = 1) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return { clock, scheduler, random, lan: new MemoryMdnsLan(scheduler) };
}

function station(
  env: ReturnType<typeof lan>,
  n: number,
  options: { host?: string; instance?: string; adverts?: ServiceAdvert[] } = {},
) {
  const metrics = new MetricsRegistry();
  const found: ServiceInstance[] = [];
  const lost: ServiceInstance[] = [];
  const network = env.lan.attach(`10.77.0.${n}`, `fe80::${n}`);
  const service = new MdnsService({
    hostLabel: options.host ?? `ap${n}`,
    instanceName: options.instance ?? `superpeer ap${n}`,
    browse: [["_p2psip", "_udp"]],
    ipv4: true,
    ipv6: true,
  }, {
    network,
    clock: env.clock,
    scheduler: env.scheduler,
    random: env.random,
    logger: silentLogger(),
    metrics,
    adverts: () =>
      options.adverts ?? [{
        instance: options.instance ?? `superpeer ap${n}`,
        type: ["_p2psip", "_udp"],
        port: 6084,
        txt: encodeTxtPairs({ overlay: "mesh", id: `node${n}` }),
      }],
    onServiceUp: (instance) => found.push(instance),
    onServiceDown: (instance) => lost.push(instance),
  });
  return { service, metrics, found, lost, network };
}

test("MdnsService: two stations find each other's overlay service with its TXT pairs, host and port", async () => {
  const env = lan();
  const a = station(env, 1);
  const b = station(env, 2);
  await a.service.start();
  await b.service.start();
  env.scheduler.runFor(5_000);
  const seen = a.found.find((s) => s.instance === "superpeer ap2");
  assert.ok(seen, `a found ${a.found.map((s) => s.instance)}`);
  assert.is(seen.port, 6084);
  assert.is(dnsNameText(seen.host), "ap2.local");
  assert.equal(seen.addresses.ipv4, ["10.77.0.2"]);
  const pairs = decodeTxtPairs(seen.txt);
  assert.is(text.decode(pairs.get("id") as Uint8Array), "node2");
  assert.ok(b.found.some((s) => s.instance === "superpeer ap1"));
  assert.ok(
    counterValue(a.metrics, "superpeer_mdns_messages_received_total", { kind: "query" }) > 0,
  );
});

test("MdnsService: two stations claiming one host and instance name end up with distinct names", async () => {
  const env = lan(7);
  const a = station(env, 1, { host: "ap", instance: "superpeer" });
  const b = station(env, 2, { host: "ap", instance: "superpeer" });
  await a.service.start();
  env.scheduler.runFor(3_000);
  await b.service.start();
  env.scheduler.runFor(10_000);
  const names = (s: typeof a) => {
    const iface = (s.service.status().interfaces as Array<
      { host: string; records: Array<{ names: string[] }> }
    >)[0]!;
    return { host: iface.host, records: iface.records.flatMap((r) => r.names) };
  };
  assert.is(names(a).host, "ap.local");
  assert.is(names(b).host, "ap-2.local");
  assert.ok(
    names(b).records.includes("superpeer (2)._p2psip._udp.local"),
    JSON.stringify(names(b)),
  );
  assert.ok(
    a.found.some((s) => s.instance === "superpeer (2)" && dnsNameText(s.host) === "ap-2.local"),
  );
  assert.ok(counterValue(b.metrics, "superpeer_mdns_conflicts_total") >= 2);
});

test("MdnsService.stop() says goodbye: the other station sees the service go down within seconds", async () => {
  const env = lan(3);
  const a = station(env, 1);
  const b = station(env, 2);
  await a.service.start();
  await b.service.start();
  env.scheduler.runFor(5_000);
  assert.ok(a.found.some((s) => s.instance === "superpeer ap2"));
  const sentBefore = env.lan.wire.length;
  await b.service.stop();
  const goodbyes = env.lan.wire.slice(sentBefore).map((w) => decodeDnsMessage(w.bytes));
  assert.ok(goodbyes.length > 0 && goodbyes.every((m) => m.answers.every((r) => r.ttl === 0)));
  env.scheduler.runFor(3_000);
  assert.ok(a.lost.some((s) => s.instance === "superpeer ap2"));
});

test("MdnsService drops and counts a malformed packet and keeps answering", async () => {
  const env = lan(5);
  const a = station(env, 1);
  const b = station(env, 2);
  await a.service.start();
  env.scheduler.runFor(10);
  env.lan.inject(new Uint8Array([0, 0, 0x84, 0, 0, 0, 0, 9]), { host: "10.77.0.66", port: 5353 });
  await b.service.start();
  env.scheduler.runFor(5_000);
  assert.is(
    counterValue(a.metrics, "superpeer_mdns_messages_dropped_total", { reason: "malformed" }),
    1,
  );
  assert.ok(b.found.some((s) => s.instance === "superpeer ap1"));
});

test("MdnsService follows its interface: a new address is announced and the old one said goodbye to; an unplugged interface stops", async () => {
  const env = lan(9);
  const a = station(env, 1);
  const b = station(env, 2);
  await a.service.start();
  await b.service.start();
  env.scheduler.runFor(5_000);
  b.network.renumber("10.77.0.42", "fe80::42");
  env.scheduler.runFor(5_000);
  const sent = env.lan.wire.filter((w) => w.from === "10.77.0.42" || w.from === "10.77.0.2")
    .map((w) => decodeDnsMessage(w.bytes));
  const addressTtls = sent.flatMap((m) => m.answers).filter((r) => "address" in r.data)
    .map((r) => `${"address" in r.data ? r.data.address : ""}/${r.ttl}`);
  assert.ok(addressTtls.includes("10.77.0.2/0"), `goodbye for the old address: ${addressTtls}`);
  assert.ok(addressTtls.includes("10.77.0.42/120"), `the new address announced: ${addressTtls}`);
  assert.ok(
    a.found.some((s) => s.instance === "superpeer ap2" && s.addresses.ipv4.includes("10.77.0.42")),
    "the other station's browser sees the new address",
  );
  const status = () => b.service.status().interfaces as Array<{ ipv4: string[] }>;
  assert.equal(status()[0]!.ipv4, ["10.77.0.42"]);
  b.network.unplug();
  assert.equal(status(), []);
});

test.run();
