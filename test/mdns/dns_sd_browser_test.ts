// DnsSdBrowser over an MdnsQuerier in virtual time, with handcrafted responses (no codec, no
// socket): resolution of an instance from its PTR (RFC 6763 4-6, 12), up / changed / down as the
// cache changes, service type enumeration (9), caps.
import { mdnsMessage } from "./mdns_messages.ts";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DNS_CLASS_IN,
  type DnsMessage,
  type DnsName,
  type DnsRecord,
  DnsType,
} from "../../src/codec/dns/dns_types.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { DnsSdBrowser, type ServiceInstance } from "../../src/mdns/dns_sd_browser.ts";
import { MdnsQuerier } from "../../src/mdns/mdns_querier.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

const SERVICE: DnsName = ["_p2psip", "_udp", "local"];
const INSTANCE: DnsName = ["ap2 kitchen", ...SERVICE];
const HOST: DnsName = ["ap2", "local"];
const utf8 = new TextEncoder();

function record(name: DnsName, ttl: number, cacheFlush: boolean, data: DnsRecord["data"]) {
  return { name, class: DNS_CLASS_IN, cacheFlush, ttl, data } as DnsRecord;
}
const ptr = (target: DnsName, ttl = 4500, name: DnsName = SERVICE) =>
  record(name, ttl, false, { type: DnsType.PTR, target });
const srv = (port: number, ttl = 120, target: DnsName = HOST, name: DnsName = INSTANCE) =>
  record(name, ttl, true, { type: DnsType.SRV, priority: 0, weight: 0, port, target });
const txt = (strings: string[], ttl = 4500, name: DnsName = INSTANCE) =>
  record(name, ttl, true, { type: DnsType.TXT, strings: strings.map((s) => utf8.encode(s)) });
const a = (address: string, ttl = 120) => record(HOST, ttl, true, { type: DnsType.A, address });
const aaaa = (address: string, ttl = 120) =>
  record(HOST, ttl, true, { type: DnsType.AAAA, address });

function response(answers: DnsRecord[], additionals: DnsRecord[] = []): DnsMessage {
  return mdnsMessage(true, { answers, additionals });
}

function setup(init: { maxInstances?: number } = {}) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const sent: Array<{ at: number; message: DnsMessage }> = [];
  const components = { clock, scheduler, random: () => 0, logger: silentLogger(), metrics };
  const querier = new MdnsQuerier({}, {
    ...components,
    output: { send: (message) => sent.push({ at: clock.monotonic(), message }) },
  });
  const browser = new DnsSdBrowser({ interfaceName: "br-lan", ...init }, {
    querier,
    scheduler,
    logger: silentLogger(),
    metrics,
  });
  const events: Array<{ at: number; kind: string; service: ServiceInstance }> = [];
  browser.onServiceUp((service) => events.push({ at: clock.monotonic(), kind: "up", service }));
  browser.onServiceChanged((service) =>
    events.push({ at: clock.monotonic(), kind: "changed", service })
  );
  browser.onServiceDown((service) => events.push({ at: clock.monotonic(), kind: "down", service }));
  querier.start();
  browser.start();
  /** A response from the peer, then the browser's deferred evaluation. */
  const respond = (answers: DnsRecord[], additionals: DnsRecord[] = []) => {
    querier.handleMessage({
      message: response(answers, additionals),
      from: { host: "10.0.0.2", port: 5353 },
    });
    scheduler.runFor(0);
  };
  /** The questions sent since `from` (ms), as "name type" strings. */
  const asked = (from = 0) =>
    sent.filter((s) => s.at >= from).flatMap((s) =>
      s.message.questions.map((q) => `${q.name.join(".")} ${q.type}`)
    );
  return { clock, scheduler, metrics, sent, querier, browser, events, respond, asked };
}

const text = (bytes: readonly Uint8Array[]) => bytes.map((b) => new TextDecoder().decode(b));

test("DnsSdBrowser resolves an instance from a PTR-only answer by asking SRV, TXT, then A and AAAA", () => {
  const { scheduler, browser, querier, events, respond, asked } = setup();
  assert.ok(browser.browse(SERVICE));
  scheduler.runUntil(100);
  assert.equal(asked(), ["_p2psip._udp.local 12"]);

  respond([ptr(INSTANCE)]);
  scheduler.runUntil(300);
  assert.equal(asked(100), [
    "ap2 kitchen._p2psip._udp.local 33",
    "ap2 kitchen._p2psip._udp.local 16",
  ]);

  respond([srv(5060), txt(["txtvers=1", "node=abc"])]);
  scheduler.runUntil(500);
  assert.equal(asked(300), ["ap2.local 1", "ap2.local 28"]);
  assert.equal(events, []); // no address yet

  respond([a("10.0.0.2")]);
  assert.is(events.length, 1);
  const up = events[0]!;
  assert.is(up.kind, "up");
  assert.equal(up.service.name, INSTANCE);
  assert.is(up.service.instance, "ap2 kitchen");
  assert.equal(up.service.type, SERVICE);
  assert.equal(up.service.host, HOST);
  assert.is(up.service.port, 5060);
  assert.equal(text(up.service.txt), ["txtvers=1", "node=abc"]);
  assert.equal(up.service.addresses, { ipv4: ["10.0.0.2"], ipv6: [] });
  assert.is(up.service.interface, "br-lan");
  assert.equal(browser.services(), [up.service]);

  // Resolved: only the PTR question stays continuous.
  assert.not.ok(querier.isQuerying({ ...srvQ(), type: DnsType.SRV }));
  assert.not.ok(querier.isQuerying({ ...srvQ(), type: DnsType.TXT }));
  assert.not.ok(querier.isQuerying({ ...srvQ(), name: HOST, type: DnsType.A }));
  scheduler.runUntil(60_000);
  assert.equal(asked(600).filter((q) => !q.startsWith("_p2psip")), []);
});

function srvQ() {
  return { name: INSTANCE, type: DnsType.SRV, class: DNS_CLASS_IN, unicastResponse: false };
}

test("DnsSdBrowser reports one onServiceUp for a PTR answer carrying SRV, TXT, A and AAAA", () => {
  const { scheduler, browser, events, respond, asked } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060), txt([]), a("10.0.0.2"), aaaa("fe80::2")]);
  scheduler.runUntil(10_000);
  assert.equal(events.map((e) => e.kind), ["up"]);
  assert.equal(events[0]!.service.addresses, { ipv4: ["10.0.0.2"], ipv6: ["fe80::2"] });
  assert.equal(asked().filter((q) => !q.startsWith("_p2psip")), []);
});

test("DnsSdBrowser reports an instance down one second after its PTR goodbye", () => {
  const { scheduler, browser, events, respond } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060), txt([]), a("10.0.0.2")]);
  scheduler.runUntil(5_000);
  respond([ptr(INSTANCE, 0)]);
  scheduler.runUntil(5_999);
  assert.equal(events.map((e) => e.kind), ["up"]);
  scheduler.runUntil(6_000);
  assert.equal(events.map((e) => [e.kind, e.at]), [["up", 100], ["down", 6_000]]);
  assert.is(events[1]!.service.port, 5060);
  assert.equal(browser.services(), []);
});

test("DnsSdBrowser reports an instance down when its SRV expires, and up again when it returns", () => {
  const { scheduler, browser, querier, events, respond } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060, 120), txt([]), a("10.0.0.2", 4500)]);
  scheduler.runUntil(120_099);
  assert.equal(events.map((e) => e.kind), ["up"]);
  scheduler.runUntil(120_100);
  assert.equal(events.map((e) => e.kind), ["up", "down"]);
  assert.ok(querier.isQuerying(srvQ())); // asking for the SRV again
  scheduler.runUntil(125_000);
  respond([srv(5061)]);
  assert.equal(events.map((e) => e.kind), ["up", "down", "up"]);
  assert.is(events[2]!.service.port, 5061);
});

test("DnsSdBrowser reports one onServiceChanged when a cache-flush TXT replaces the old one", () => {
  const { scheduler, browser, events, respond } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060), txt(["v=1"]), a("10.0.0.2")]);
  scheduler.runUntil(10_000);
  respond([txt(["v=2"])]);
  scheduler.runUntil(20_000); // the old TXT is flushed at 11 s
  assert.equal(events.map((e) => [e.kind, e.at, text(e.service.txt)]), [
    ["up", 100, ["v=1"]],
    ["changed", 10_000, ["v=2"]],
  ]);
});

test("DnsSdBrowser ignores a PTR naming an instance of another type", () => {
  const { scheduler, browser, events, respond, asked } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(["x", "_sip", "_udp", "local"]), ptr(["a", "b", ...SERVICE])]);
  scheduler.runUntil(5_000);
  assert.equal(asked().filter((q) => !q.startsWith("_p2psip")), []);
  assert.equal(events, []);
});

test("DnsSdBrowser tracks at most maxInstances instances and counts the others", () => {
  const { scheduler, browser, events, respond, metrics } = setup({ maxInstances: 1 });
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  const other: DnsName = ["ap3", ...SERVICE];
  respond([ptr(INSTANCE), ptr(other)], [
    srv(5060),
    txt([]),
    srv(5062, 120, HOST, other),
    txt([], 4500, other),
    a("10.0.0.2"),
  ]);
  assert.equal(events.map((e) => e.service.instance), ["ap2 kitchen"]);
  assert.is(metrics.value("superpeer_mdns_browser_refused_total", { what: "instances" }), 1);
});

test("DnsSdBrowser.browse() of a subtype reports instances of the base type", () => {
  const { scheduler, browser, events, respond } = setup();
  const subtype: DnsName = ["_relay", "_sub", ...SERVICE];
  browser.browse(subtype);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE, 4500, subtype)], [srv(5060), txt([]), a("10.0.0.2")]);
  assert.equal(events.map((e) => [e.kind, e.service.type]), [["up", SERVICE]]);
});

test("DnsSdBrowser.stopBrowse() reports its instances down and stops their queries", () => {
  const { scheduler, browser, querier, events, respond, asked } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060), txt([]), a("10.0.0.2")]);
  browser.stopBrowse(SERVICE);
  scheduler.runFor(0);
  assert.equal(events.map((e) => e.kind), ["up", "down"]);
  assert.is(querier.activeQuestions, 0);
  scheduler.runUntil(1_000_000);
  assert.equal(asked(200), []); // no refresh either: nobody holds an interest any more
});

test("DnsSdBrowser.stop() reports up instances down and releases every query", () => {
  const { scheduler, browser, querier, events, respond } = setup();
  browser.browse(SERVICE);
  scheduler.runUntil(100);
  respond([ptr(INSTANCE)], [srv(5060), txt([])]); // resolving: waiting for an address
  respond([ptr(["ap3", ...SERVICE])], []);
  const other = { ...srvQ(), name: ["ap3", ...SERVICE] };
  assert.ok(querier.isQuerying(other));
  respond([a("10.0.0.2")]);
  browser.stop();
  browser.stop();
  assert.equal(events.map((e) => e.kind), ["up", "down"]);
  assert.is(querier.activeQuestions, 0);
  assert.equal(browser.services(), []);
});

test("DnsSdBrowser.browseTypes() reports service types from _services._dns-sd._udp.local", () => {
  const { scheduler, browser, respond, asked } = setup();
  const found: string[] = [];
  const lost: string[] = [];
  browser.onServiceTypeUp((type) => found.push(type.join(".")));
  browser.onServiceTypeDown((type) => lost.push(type.join(".")));
  browser.browseTypes();
  scheduler.runUntil(100);
  assert.equal(asked(), ["_services._dns-sd._udp.local 12"]);
  const enumeration: DnsName = ["_services", "_dns-sd", "_udp", "local"];
  respond([
    ptr(SERVICE, 4500, enumeration),
    ptr(["_sip", "_udp", "local"], 4500, enumeration),
  ]);
  assert.equal(found, ["_p2psip._udp.local", "_sip._udp.local"]);
  respond([ptr(["_sip", "_udp", "local"], 0, enumeration)]);
  scheduler.runUntil(2_000);
  assert.equal(lost, ["_sip._udp.local"]);
  assert.equal(browser.serviceTypes().map((t) => t.join(".")), ["_p2psip._udp.local"]);
});

test.run();
