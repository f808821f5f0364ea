// RFC 3263 resolution with a fake DNS (no network): literal addresses, ports, NAPTR order and
// services, SRV priority and RFC 2782 weights, A/AAAA fallbacks, transport filtering, the cache
// and its TTLs; OutboundRouter's static routes, default route and DNS errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSipUri, type SipUri } from "../../../src/codec/sip/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import {
  OutboundRouteError,
  OutboundRouter,
  parseRoute,
} from "../../../src/sip/peering/outbound_router.ts";
import {
  type AddressRecord,
  type NaptrRecord,
  orderSrv,
  Rfc3263Resolver,
  type Rfc3263ResolverInit,
  type SipDnsLookup,
  type SrvRecord,
} from "../../../src/sip/peering/rfc3263_resolver.ts";

/** A fake DNS zone; records the questions asked. */
class FakeDns implements SipDnsLookup {
  readonly asked: string[] = [];
  naptrs = new Map<string, NaptrRecord[]>();
  srvs = new Map<string, SrvRecord[]>();
  as = new Map<string, AddressRecord[]>();
  aaaas = new Map<string, AddressRecord[]>();
  failing = new Set<string>();
  #answer<T>(type: string, name: string, map: Map<string, T[]>): Promise<readonly T[]> {
    this.asked.push(`${type} ${name}`);
    if (this.failing.has(name)) return Promise.reject(new Error("ETIMEOUT"));
    return Promise.resolve(map.get(name) ?? []);
  }
  naptr = (name: string) => this.#answer("NAPTR", name, this.naptrs);
  srv = (name: string) => this.#answer("SRV", name, this.srvs);
  a = (name: string) => this.#answer("A", name, this.as);
  aaaa = (name: string) => this.#answer("AAAA", name, this.aaaas);
}

function setup(init: Rfc3263ResolverInit = {}, random = () => 0) {
  const dns = new FakeDns();
  const clock = new ManualClock();
  const resolver = new Rfc3263Resolver(init, { dns, clock, random });
  const resolve = async (uri: string) => {
    const result = await resolver.resolve(parseSipUri(uri) as SipUri);
    return result.kind === "addresses"
      ? result.addresses.map((a) => `${a.transport} ${a.host}:${a.port}`)
      : result.why;
  };
  return { dns, clock, resolver, resolve };
}

const naptr = (order: number, preference: number, service: string, replacement: string) => ({
  flags: "s",
  service,
  regexp: "",
  replacement,
  order,
  preference,
});

test("Rfc3263Resolver: a literal address needs no DNS; transport and port from the URI", async () => {
  const { dns, resolve } = setup({ transports: ["UDP", "TCP"] });
  assert.equal(await resolve("sip:bob@192.0.2.4"), ["UDP 192.0.2.4:5060"]);
  assert.equal(await resolve("sip:bob@[2001:db8::4]:5070;transport=tcp"), ["TCP 2001:db8::4:5070"]);
  assert.is(await resolve("sips:bob@192.0.2.4"), "no-transport", "no TLS client");
  assert.equal(dns.asked, []);
});

test("Rfc3263Resolver: a host name with a port is looked up with A and AAAA only", async () => {
  const { dns, resolve } = setup();
  dns.as.set("proxy.example", [{ address: "192.0.2.10" }]);
  dns.aaaas.set("proxy.example", [{ address: "2001:db8::10" }]);
  assert.equal(await resolve("sip:bob@proxy.example:5080"), [
    "UDP 192.0.2.10:5080",
    "UDP 2001:db8::10:5080",
  ]);
  assert.equal(dns.asked, ["A proxy.example", "AAAA proxy.example"]);
});

test("Rfc3263Resolver follows NAPTR order and preference to SRV, keeping only our transports", async () => {
  const { dns, resolve } = setup({ transports: ["UDP", "TCP"] });
  dns.naptrs.set("example.org", [
    naptr(20, 10, "SIP+D2U", "_sip._udp.example.org"),
    naptr(10, 20, "SIP+D2U", "_sip._udp.backup.example.org"),
    naptr(10, 10, "SIP+D2T", "_sip._tcp.example.org"),
    naptr(5, 10, "SIPS+D2T", "_sips._tcp.example.org"),
    { ...naptr(1, 1, "SIP+D2U", "ignored.example.org"), flags: "u" },
  ]);
  dns.srvs.set("_sip._tcp.example.org", [{
    name: "t.example.org",
    port: 5060,
    priority: 1,
    weight: 0,
  }]);
  dns.srvs.set("_sip._udp.backup.example.org", [{
    name: "b.example.org",
    port: 5062,
    priority: 1,
    weight: 0,
  }]);
  dns.srvs.set("_sip._udp.example.org", [{
    name: "u.example.org",
    port: 5064,
    priority: 1,
    weight: 0,
  }]);
  dns.as.set("t.example.org", [{ address: "192.0.2.1" }]);
  dns.as.set("b.example.org", [{ address: "192.0.2.2" }]);
  dns.as.set("u.example.org", [{ address: "192.0.2.3" }]);
  assert.equal(await resolve("sip:bob@example.org"), [
    "TCP 192.0.2.1:5060",
    "UDP 192.0.2.2:5062",
    "UDP 192.0.2.3:5064",
  ]);
  assert.not.ok(dns.asked.includes("SRV _sips._tcp.example.org"), "no TLS client: SIPS skipped");
});

test("Rfc3263Resolver with UDP only: a TCP-only NAPTR domain is no-transport", async () => {
  const { dns, resolve } = setup();
  dns.naptrs.set("tcp.example", [naptr(10, 10, "SIP+D2T", "_sip._tcp.tcp.example")]);
  assert.is(await resolve("sip:bob@tcp.example"), "no-transport");
});

test("Rfc3263Resolver without NAPTR asks SRV of each supported transport, then A/AAAA", async () => {
  const { dns, resolve } = setup({ transports: ["UDP", "TCP", "TLS"] });
  dns.srvs.set("_sip._tcp.example.net", [{
    name: "t.example.net",
    port: 5060,
    priority: 1,
    weight: 0,
  }]);
  dns.as.set("t.example.net", [{ address: "192.0.2.20" }]);
  assert.equal(await resolve("sip:bob@example.net"), ["TCP 192.0.2.20:5060"]);
  assert.equal(dns.asked.slice(0, 3), [
    "NAPTR example.net",
    "SRV _sip._udp.example.net",
    "SRV _sip._tcp.example.net",
  ]);
  assert.not.ok(dns.asked.includes("SRV _sips._tcp.example.net"), "sips only for sips URIs");
  dns.as.set("plain.example", [{ address: "192.0.2.30" }]);
  assert.equal(await resolve("sip:bob@plain.example"), ["UDP 192.0.2.30:5060"]);
  assert.is(await resolve("sip:bob@nowhere.example"), "no-records");
  dns.srvs.set("_sips._tcp.secure.example", [{
    name: "s.secure.example",
    port: 5061,
    priority: 1,
    weight: 0,
  }]);
  dns.as.set("s.secure.example", [{ address: "192.0.2.40" }]);
  assert.equal(await resolve("sips:bob@secure.example"), ["TLS 192.0.2.40:5061"]);
});

test("Rfc3263Resolver: transport=udp without a port asks _sip._udp only", async () => {
  const { dns, resolve } = setup();
  dns.srvs.set("_sip._udp.example.com", [
    { name: "second.example.com", port: 5060, priority: 20, weight: 0 },
    { name: "first.example.com", port: 5070, priority: 10, weight: 0 },
  ]);
  dns.as.set("first.example.com", [{ address: "192.0.2.51" }]);
  dns.as.set("second.example.com", [{ address: "192.0.2.52" }]);
  assert.equal(await resolve("sip:bob@example.com;transport=udp"), [
    "UDP 192.0.2.51:5070",
    "UDP 192.0.2.52:5060",
  ]);
  assert.not.ok(dns.asked.includes("NAPTR example.com"));
});

test("orderSrv(): ascending priority; weighted choice within a priority (RFC 2782); '.' dropped", () => {
  const records = [
    { name: "low", port: 1, priority: 20, weight: 0 },
    { name: "heavy", port: 1, priority: 10, weight: 90 },
    { name: "light", port: 1, priority: 10, weight: 10 },
    { name: ".", port: 1, priority: 1, weight: 0 },
  ];
  // running sums 90 ("heavy"), 100 ("light"): a draw of 0.95 * 100 = 95 picks "light" first
  assert.equal(orderSrv(records, () => 0.95).map((r) => r.name), ["light", "heavy", "low"]);
  assert.equal(orderSrv(records, () => 0.5).map((r) => r.name), ["heavy", "light", "low"]);
  let heavyFirst = 0;
  let state = 7;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 1000; i++) if (orderSrv(records, random)[0]!.name === "heavy") heavyFirst++;
  assert.ok(heavyFirst > 850 && heavyFirst < 950, `heavy first ${heavyFirst} of 1000`);
});

test("Rfc3263Resolver caches answers for their TTL, empty answers for 60 s, never failures", async () => {
  const { dns, clock, resolve, resolver } = setup({ cacheEntries: 8 });
  dns.as.set("ttl.example", [{ address: "192.0.2.60", ttl: 30 }]);
  await resolve("sip:x@ttl.example:5060");
  await resolve("sip:x@ttl.example:5060");
  assert.is(dns.asked.filter((q) => q === "A ttl.example").length, 1);
  clock.advance(31_000);
  await resolve("sip:x@ttl.example:5060");
  assert.is(dns.asked.filter((q) => q === "A ttl.example").length, 2, "asked again after the TTL");
  clock.advance(28_000); // AAAA (empty, 60 s) still cached at 59 s
  await resolve("sip:x@ttl.example:5060");
  assert.is(dns.asked.filter((q) => q === "AAAA ttl.example").length, 1);
  dns.failing.add("broken.example");
  let failed = 0;
  for (let i = 0; i < 3; i++) await resolve("sip:x@broken.example:5060").catch(() => failed++);
  assert.is(failed, 3);
  assert.is(dns.asked.filter((q) => q === "A broken.example").length, 3, "failures are not cached");
  assert.ok(resolver.cacheSize <= 8);
});

test("parseRoute() reads domain=host[:port][;transport=udp] and refuses the rest", () => {
  const { domain, hop } = parseRoute("Other.Example=192.0.2.10:5080;transport=udp");
  assert.equal([domain, hop.host, hop.port], ["other.example", "192.0.2.10", 5080]);
  for (
    const bad of [
      "no-equals",
      "bad domain=192.0.2.1",
      "x.example=bob@192.0.2.1",
      "x.example=192.0.2.1;lr",
    ]
  ) {
    assert.throws(() => parseRoute(bad), (e: unknown) => e instanceof OutboundRouteError, bad);
  }
});

test("OutboundRouter: static route first, then the default route, else RFC 3263; failover list", async () => {
  const { dns, resolver } = setup();
  dns.as.set("gw.example", [{ address: "192.0.2.71" }, { address: "192.0.2.72" }]);
  dns.as.set("example.org", [{ address: "192.0.2.80" }]);
  const router = new OutboundRouter({ routes: ["partner.example=gw.example:5090"] }, { resolver });
  const routed = await router.route("sip:bob@partner.example");
  assert.equal(routed.kind === "targets" ? routed.targets : routed, [{
    uri: "sip:bob@partner.example",
    destination: { transport: "UDP", host: "192.0.2.71", port: 5090, reliable: false },
    alternates: [{ transport: "UDP", host: "192.0.2.72", port: 5090, reliable: false }],
  }]);
  const viaDns = await router.route("sip:carol@example.org");
  assert.equal(
    viaDns.kind === "targets" ? viaDns.targets[0]!.destination.host : viaDns,
    "192.0.2.80",
  );
  const withDefault = new OutboundRouter({ defaultRoute: "192.0.2.99:5060" }, { resolver });
  const fallback = await withDefault.route("sip:carol@example.org");
  assert.equal(
    fallback.kind === "targets" ? fallback.targets[0]!.destination.host : fallback,
    "192.0.2.99",
  );
  assert.equal(await router.route("sip:dave@unknown.example"), {
    kind: "refuse",
    status: 404,
    reason: "Not Found",
  });
  dns.failing.add("down.example");
  assert.equal(await router.route("sip:eve@down.example"), {
    kind: "refuse",
    status: 504,
    reason: "Server Time-out",
  });
  dns.naptrs.set("tcponly.example", [naptr(1, 1, "SIP+D2T", "_sip._tcp.tcponly.example")]);
  assert.equal(await router.route("sip:f@tcponly.example"), {
    kind: "refuse",
    status: 502,
    reason: "Bad Gateway",
  });
  const noDns = new OutboundRouter({ routes: ["partner.example=192.0.2.5"] }, {});
  const literal = await noDns.route("sip:bob@partner.example");
  assert.equal(
    literal.kind === "targets" ? literal.targets[0]!.destination.host : literal,
    "192.0.2.5",
  );
  assert.equal((await noDns.route("sip:bob@example.org")).kind, "refuse", "no DNS, no route");
});

test.run();
