// MdnsSockets and its interface rules without a real socket: interface selection (allow, deny,
// "*"), subnet attribution, the RFC 6762 section 11 source checks, own-packet recognition, the
// one-at-a-time IPv4 sends, and the interface poll, over a fake node:dgram socket. The same class on
// real sockets runs in the netns lab: test/interop/mdns_sockets_test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RemoteInfo, SocketOptions } from "node:dgram";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import {
  type MdnsDgramSocket,
  MdnsSockets,
  type MdnsSocketsInit,
} from "../../src/transport/mdns_sockets.ts";
import {
  attributeIpv4Source,
  type InterfaceTable,
  isIpv6LinkLocal,
  isOnLinkIpv6,
  type MdnsInterfaceInfo,
  prefixContains,
  prefixLengthOf,
  selectInterfaces,
} from "../../src/transport/network_interfaces.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

const v4 = (address: string, netmask = "255.255.255.0") => ({
  address,
  netmask,
  family: "IPv4",
  internal: false,
});
const v6 = (address: string, scopeid: number, netmask = "ffff:ffff:ffff:ffff::") => ({
  address,
  netmask,
  family: "IPv6",
  internal: false,
  scopeid,
});

/** A home router: loopback, a LAN bridge, a mesh link, a WAN. */
const TABLE: InterfaceTable = {
  lo: [
    { address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", internal: true },
    {
      address: "::1",
      netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      family: "IPv6",
      internal: true,
      scopeid: 0,
    },
  ],
  "br-lan": [v4("192.168.1.1"), v6("fd00:1::1", 0), v6("fe80::1", 5)],
  mesh0: [v4("10.20.0.7", "255.255.0.0"), v6("fe80::7", 9)],
  wan: [v4("203.0.113.9"), v6("2001:db8::9", 0), v6("fe80::9", 2)],
};

const ALL = { allow: ["*"], deny: [], ipv4: true, ipv6: true };

test("prefixLengthOf() counts a netmask's leading ones and refuses gaps", () => {
  assert.is(prefixLengthOf("255.255.255.0"), 24);
  assert.is(prefixLengthOf("255.255.0.0"), 16);
  assert.is(prefixLengthOf("ffff:ffff:ffff:ffff::"), 64);
  assert.is(prefixLengthOf("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 128);
  assert.is(prefixLengthOf("0.0.0.0"), 0);
  assert.is(prefixLengthOf("255.0.255.0"), -1);
  assert.is(prefixLengthOf("nonsense"), -1);
});

test("prefixContains() matches the prefix bits only, within one family", () => {
  assert.ok(prefixContains("192.168.1.77", "192.168.1.1", 24));
  assert.not.ok(prefixContains("192.168.2.77", "192.168.1.1", 24));
  assert.ok(prefixContains("10.20.99.1", "10.20.0.7", 16));
  assert.ok(prefixContains("fd00:1::abcd", "fd00:1::1", 64));
  assert.not.ok(prefixContains("fd00:2::1", "fd00:1::1", 64));
  assert.ok(prefixContains("fe80::2%eth0", "fe80::1", 64));
  assert.not.ok(prefixContains("192.168.1.1", "fd00:1::1", 0));
  assert.ok(isIpv6LinkLocal("fe80::1"));
  assert.ok(isIpv6LinkLocal("febf::1"));
  assert.not.ok(isIpv6LinkLocal("fec0::1"));
});

test("selectInterfaces() uses nothing when allow is empty", () => {
  assert.equal(selectInterfaces(TABLE, { ...ALL, allow: [] }), []);
});

test("selectInterfaces() with * takes every non-loopback interface, sorted, minus deny", () => {
  assert.equal(selectInterfaces(TABLE, ALL).map((i) => i.name), ["br-lan", "mesh0", "wan"]);
  assert.equal(
    selectInterfaces(TABLE, { ...ALL, deny: ["wan"] }).map((i) => i.name),
    ["br-lan", "mesh0"],
  );
});

test("selectInterfaces() takes a named interface, loopback too, and deny wins over a name", () => {
  assert.equal(
    selectInterfaces(TABLE, { ...ALL, allow: ["lo", "mesh0", "absent"] }).map((i) => i.name),
    ["lo", "mesh0"],
  );
  assert.equal(selectInterfaces(TABLE, { ...ALL, allow: ["mesh0"], deny: ["mesh0"] }), []);
});

test("selectInterfaces() reports the enabled families, link-local first, and the index", () => {
  const [lan] = selectInterfaces(TABLE, { ...ALL, allow: ["br-lan"] });
  assert.equal(lan!.ipv4, ["192.168.1.1"]);
  assert.equal(lan!.ipv6, ["fe80::1", "fd00:1::1"]);
  assert.is(lan!.index, 5);
  assert.equal(lan!.addresses[0], {
    family: 4,
    address: "192.168.1.1",
    prefixLength: 24,
    scopeId: 0,
  });
  const [onlyV4] = selectInterfaces(TABLE, { ...ALL, allow: ["br-lan"], ipv6: false });
  assert.equal(onlyV4!.ipv6, []);
  assert.equal(onlyV4!.addresses.length, 1);
});

test("selectInterfaces() leaves out an interface without a usable address for the families", () => {
  const table: InterfaceTable = {
    // IPv6 without link-local (still tentative): nothing to send from to ff02::fb
    eth1: [v6("2001:db8:1::5", 0)],
    eth2: [],
  };
  assert.equal(selectInterfaces(table, { ...ALL, allow: ["*", "eth2"] }), []);
  assert.equal(
    selectInterfaces({ eth1: [v4("10.0.0.1"), v6("2001:db8:1::5", 0)] }, ALL)[0]!.ipv6,
    [],
  );
});

test("attributeIpv4Source() picks the interface whose subnet holds the source", () => {
  const interfaces = selectInterfaces(TABLE, ALL);
  assert.equal(attributeIpv4Source("192.168.1.50", interfaces), { interfaceName: "br-lan" });
  assert.equal(attributeIpv4Source("10.20.3.4", interfaces), { interfaceName: "mesh0" });
  assert.equal(attributeIpv4Source("192.168.1.1", interfaces), { interfaceName: "br-lan" });
  assert.equal(attributeIpv4Source("198.51.100.1", interfaces), { dropped: "off_link" });
});

test("attributeIpv4Source() prefers the longest prefix and drops a tie as ambiguous", () => {
  const nested = selectInterfaces({
    wide: [v4("10.20.0.1", "255.255.0.0")],
    narrow: [v4("10.20.5.1", "255.255.255.0")],
  }, ALL);
  assert.equal(attributeIpv4Source("10.20.5.9", nested), { interfaceName: "narrow" });
  assert.equal(attributeIpv4Source("10.20.6.9", nested), { interfaceName: "wide" });
  const twins = selectInterfaces({ a: [v4("10.0.0.1")], b: [v4("10.0.0.2")] }, ALL);
  assert.equal(attributeIpv4Source("10.0.0.9", twins), { dropped: "ambiguous_interface" });
});

test("attributeIpv4Source() places an IPv4 link-local source only when one interface has IPv4", () => {
  const one = selectInterfaces({ eth0: [v4("10.0.0.1")], wlan0: [v6("fe80::1", 3)] }, ALL);
  assert.equal(attributeIpv4Source("169.254.7.7", one), { interfaceName: "eth0" });
  const two = selectInterfaces({ eth0: [v4("10.0.0.1")], eth1: [v4("10.1.0.1")] }, ALL);
  assert.equal(attributeIpv4Source("169.254.7.7", two), { dropped: "ambiguous_interface" });
});

test("isOnLinkIpv6() accepts link-local and on-link prefixes, refuses other sources", () => {
  const [lan] = selectInterfaces(TABLE, { ...ALL, allow: ["br-lan"] });
  assert.ok(isOnLinkIpv6("fe80::abcd", lan!));
  assert.ok(isOnLinkIpv6("fe80::abcd%br-lan", lan!));
  assert.ok(isOnLinkIpv6("fd00:1::99", lan!));
  assert.not.ok(isOnLinkIpv6("2001:db8::99", lan!));
});

// ---------------------------------------------------------------------------------------------
// MdnsSockets over fake sockets

interface FakeSend {
  readonly bytes: Uint8Array;
  readonly port: number;
  readonly host: string;
  /** The multicast interface set when the send was made. */
  readonly multicastInterface: string | undefined;
  readonly done: (error?: Error) => void;
}

type MessageListener = (message: Uint8Array, rinfo: RemoteInfo) => void;

/** Closes the rig's sockets, letting the drain wait of close() run out on the virtual clock. */
async function closeRig(r: { sockets: { close(): Promise<void> }; scheduler: VirtualScheduler }) {
  const closing = r.sockets.close();
  r.scheduler.runFor(1_000);
  await closing;
}

class FakeSocket implements MdnsDgramSocket {
  readonly options: SocketOptions;
  boundTo: string | undefined;
  closed = false;
  readonly memberships = new Set<string>();
  multicastInterface: string | undefined;
  multicastTtl: number | undefined;
  loopback: boolean | undefined;
  readonly sends: FakeSend[] = [];
  failBind: Error | undefined;
  #message: MessageListener | undefined;
  #errors = new Set<(error: Error) => void>();

  constructor(options: SocketOptions) {
    this.options = options;
  }
  bind(port: number, address: string, callback: () => void): void {
    queueMicrotask(() => {
      if (this.failBind) { for (const e of [...this.#errors]) e(this.failBind); }
      else {
        this.boundTo = `${address}:${port}`;
        callback();
      }
    });
  }
  on(event: "message" | "error", listener: (...args: never[]) => void): this {
    if (event === "message") this.#message = listener as MessageListener;
    else this.#errors.add(listener as (error: Error) => void);
    return this;
  }
  once(_event: "error", listener: (error: Error) => void): this {
    this.#errors.add(listener);
    return this;
  }
  off(_event: "error", listener: (error: Error) => void): this {
    this.#errors.delete(listener);
    return this;
  }
  addMembership(group: string, interfaceAddress: string): void {
    this.memberships.add(`${group}@${interfaceAddress}`);
  }
  dropMembership(group: string, interfaceAddress: string): void {
    this.memberships.delete(`${group}@${interfaceAddress}`);
  }
  setMulticastInterface(interfaceAddress: string): void {
    this.multicastInterface = interfaceAddress;
  }
  setMulticastTTL(ttl: number): void {
    this.multicastTtl = ttl;
  }
  setMulticastLoopback(on: boolean): void {
    this.loopback = on;
  }
  setTTL(): void {}
  send(
    bytes: Uint8Array,
    port: number,
    host: string,
    callback: (error: Error | null, sent?: number) => void,
  ): void {
    this.sends.push({
      bytes: bytes.slice(),
      port,
      host,
      multicastInterface: this.multicastInterface,
      done: (error) => callback(error ?? null, bytes.length),
    });
  }
  close(callback: () => void): void {
    this.closed = true;
    queueMicrotask(callback);
  }
  /** Delivers a datagram as the kernel would. */
  receive(bytes: Uint8Array, address: string, port = 5353): void {
    this.#message?.(bytes, {
      address,
      port,
      family: address.includes(":") ? "IPv6" : "IPv4",
      size: bytes.length,
    });
  }
}

interface Rig {
  readonly sockets: MdnsSockets;
  readonly created: FakeSocket[];
  readonly metrics: MetricsRegistry;
  readonly scheduler: VirtualScheduler;
  readonly events: string[];
  readonly packets: {
    bytes: string;
    from: DatagramAddress;
    interfaceName: string;
    fromSelf: boolean;
  }[];
  table: InterfaceTable;
  v4(): FakeSocket;
  v6(name: string): FakeSocket;
}

function rig(
  init: Partial<MdnsSocketsInit> = {},
  table: InterfaceTable = TABLE,
  failBind = false,
): Rig {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const created: FakeSocket[] = [];
  const events: string[] = [];
  const packets: Rig["packets"] = [];
  const r: Rig = {
    created,
    metrics,
    scheduler,
    events,
    packets,
    table,
    sockets: undefined as unknown as MdnsSockets,
    v4: () => created.find((s) => s.options.type === "udp4" && !s.closed)!,
    v6: (name) => created.find((s) => s.boundTo === `ff02::fb%${name}:5353` && !s.closed)!,
  };
  const sockets = new MdnsSockets(
    { interfaces: { allow: ["*"], deny: ["wan"] }, ...init },
    {
      logger: silentLogger(),
      metrics,
      scheduler,
      clock,
      networkInterfaces: () => r.table,
      createSocket: (options) => {
        const s = new FakeSocket(options);
        if (failBind) s.failBind = Object.assign(new Error("in use"), { code: "EADDRINUSE" });
        created.push(s);
        return s;
      },
    },
  );
  sockets.onInterfaceUp((i) => events.push(`up ${i.name} ${i.ipv4.join(",")} ${i.ipv6.join(",")}`));
  sockets.onInterfaceChange((i) => events.push(`change ${i.name} ${i.ipv4.join(",")}`));
  sockets.onInterfaceDown((name) => events.push(`down ${name}`));
  sockets.onPacket((bytes, from, interfaceName, fromSelf) =>
    packets.push({ bytes: new TextDecoder().decode(bytes), from, interfaceName, fromSelf })
  );
  return Object.assign(r, { sockets });
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Lets the poll's callback run and its refresh finish. */
async function poll(r: Rig, ms = 10_000): Promise<void> {
  r.scheduler.runFor(ms);
  await r.sockets.refresh();
}

test("MdnsSockets.start() opens nothing when no interface is allowed", async () => {
  const r = rig({ interfaces: { allow: [] } });
  await r.sockets.start();
  assert.is(r.created.length, 0);
  assert.equal(r.events, []);
  assert.is(r.metrics.value("superpeer_mdns_interfaces"), 0);
  await closeRig(r);
});

test("MdnsSockets.start() binds one IPv4 socket and one IPv6 socket per interface, joined there", async () => {
  const r = rig();
  await r.sockets.start();
  assert.equal(r.events, [
    "up br-lan 192.168.1.1 fe80::1,fd00:1::1",
    "up mesh0 10.20.0.7 fe80::7",
  ]);
  const v4 = r.v4();
  assert.is(v4.boundTo, "0.0.0.0:5353");
  assert.is(v4.options.reuseAddr, true);
  assert.equal([...v4.memberships].sort(), ["224.0.0.251@10.20.0.7", "224.0.0.251@192.168.1.1"]);
  assert.is(v4.multicastTtl, 255);
  assert.is(v4.loopback, true);
  const lan = r.v6("br-lan");
  assert.equal(lan.options, { ...lan.options, type: "udp6", reuseAddr: true, ipv6Only: true });
  assert.equal([...lan.memberships], ["ff02::fb@::%br-lan"]);
  assert.is(lan.multicastInterface, "::%br-lan");
  assert.ok(r.v6("mesh0"));
  assert.is(r.created.length, 3, "wan is denied: no socket for it");
  assert.is(r.metrics.value("superpeer_mdns_interfaces"), 2);
  await closeRig(r);
});

test("MdnsSockets attributes IPv4 packets by subnet and drops off-link sources", async () => {
  const r = rig();
  await r.sockets.start();
  r.v4().receive(bytes("a"), "192.168.1.20");
  r.v4().receive(bytes("b"), "10.20.9.9", 40000);
  r.v4().receive(bytes("c"), "203.0.113.50"); // the denied WAN's subnet: not ours
  assert.equal(r.packets, [
    {
      bytes: "a",
      from: { host: "192.168.1.20", port: 5353 },
      interfaceName: "br-lan",
      fromSelf: false,
    },
    {
      bytes: "b",
      from: { host: "10.20.9.9", port: 40000 },
      interfaceName: "mesh0",
      fromSelf: false,
    },
  ]);
  assert.is(r.metrics.value("superpeer_mdns_packets_dropped_total", { reason: "off_link" }), 1);
  assert.is(r.metrics.value("superpeer_mdns_packets_received_total", { family: "4" }), 3);
  await closeRig(r);
});

test("MdnsSockets places IPv6 packets by socket, appends the zone, and drops off-link sources", async () => {
  const r = rig();
  await r.sockets.start();
  r.v6("mesh0").receive(bytes("ll"), "fe80::42"); // as Deno reports it: no zone
  r.v6("br-lan").receive(bytes("ll-node"), "fe80::43%br-lan"); // as Node reports it
  r.v6("br-lan").receive(bytes("ula"), "fd00:1::8");
  r.v6("br-lan").receive(bytes("far"), "2001:db8:99::1");
  assert.equal(r.packets.map((p) => [p.bytes, p.from.host, p.interfaceName]), [
    ["ll", "fe80::42%mesh0", "mesh0"],
    ["ll-node", "fe80::43%br-lan", "br-lan"],
    ["ula", "fd00:1::8", "br-lan"],
  ]);
  assert.is(r.metrics.value("superpeer_mdns_packets_dropped_total", { reason: "off_link" }), 1);
  await closeRig(r);
});

test("MdnsSockets drops a packet larger than maxPacketBytes", async () => {
  const r = rig({ maxPacketBytes: 512 });
  await r.sockets.start();
  r.v4().receive(new Uint8Array(513), "192.168.1.20");
  assert.is(r.packets.length, 0);
  assert.is(r.metrics.value("superpeer_mdns_packets_dropped_total", { reason: "too_big" }), 1);
  await closeRig(r);
});

test("MdnsSockets marks fromSelf only our own multicast coming back, not another responder on this host", async () => {
  const r = rig();
  await r.sockets.start();
  r.sockets.send(bytes("announce"), "br-lan", 4);
  r.v4().sends[0]!.done();
  r.v4().receive(bytes("announce"), "192.168.1.1"); // looped back
  r.v4().receive(bytes("avahi's"), "192.168.1.1"); // avahi on this host: same address and port
  r.v4().receive(bytes("announce"), "192.168.1.30"); // a neighbour repeating the same bytes
  r.sockets.send(bytes("six"), "mesh0", 6);
  r.v6("mesh0").receive(bytes("six"), "fe80::7");
  assert.equal(r.packets.map((p) => [p.bytes, p.fromSelf]), [
    ["announce", true],
    ["avahi's", false],
    ["announce", false],
    ["six", true],
  ]);
  await closeRig(r);
});

test("MdnsSockets sends IPv4 one at a time, setting the interface before each", async () => {
  const r = rig();
  await r.sockets.start();
  const v4 = r.v4();
  r.sockets.send(bytes("1"), "br-lan", 4);
  r.sockets.send(bytes("2"), "mesh0", 4);
  r.sockets.send(bytes("3"), "br-lan", 4, { host: "192.168.1.20", port: 40000 });
  assert.is(v4.sends.length, 1, "the second waits for the first's callback");
  v4.sends[0]!.done();
  assert.is(v4.sends.length, 2);
  v4.sends[1]!.done();
  v4.sends[2]!.done();
  assert.equal(
    v4.sends.map((s) => [new TextDecoder().decode(s.bytes), s.host, s.port, s.multicastInterface]),
    [
      ["1", "224.0.0.251", 5353, "192.168.1.1"],
      ["2", "224.0.0.251", 5353, "10.20.0.7"],
      ["3", "192.168.1.20", 40000, "10.20.0.7"],
    ],
  );
  assert.is(r.metrics.value("superpeer_mdns_packets_sent_total", { family: "4" }), 3);
  await closeRig(r);
});

test("MdnsSockets copies the bytes of a queued IPv4 send and refuses past maxQueuedSends", async () => {
  const r = rig({ maxQueuedSends: 2 });
  await r.sockets.start();
  const buffer = bytes("x");
  r.sockets.send(buffer, "br-lan", 4);
  r.sockets.send(buffer, "br-lan", 4);
  buffer[0] = 0x79; // "y": the caller reuses its buffer
  r.sockets.send(bytes("z"), "br-lan", 4);
  r.sockets.send(bytes("w"), "br-lan", 4);
  assert.is(r.metrics.value("superpeer_mdns_send_errors_total", { code: "queue_full" }), 1);
  for (let i = 0; i < 3; i++) r.v4().sends[i]!.done();
  assert.equal(r.v4().sends.map((s) => new TextDecoder().decode(s.bytes)), ["x", "x", "z"]);
  await closeRig(r);
});

test("MdnsSockets sends IPv6 from the interface's socket, to the group or a zoned unicast address", async () => {
  const r = rig();
  await r.sockets.start();
  r.sockets.send(bytes("m"), "mesh0", 6);
  r.sockets.send(bytes("u"), "mesh0", 6, { host: "fe80::42", port: 5353 });
  r.sockets.send(bytes("g"), "br-lan", 6, { host: "fd00:1::8", port: 40000 });
  assert.equal(r.v6("mesh0").sends.map((s) => [s.host, s.port]), [
    ["ff02::fb%mesh0", 5353],
    ["fe80::42%mesh0", 5353],
  ]);
  assert.equal(r.v6("br-lan").sends.map((s) => [s.host, s.port]), [["fd00:1::8", 40000]]);
  await closeRig(r);
});

test("MdnsSockets.send() never throws: what cannot go is counted by code", async () => {
  const r = rig({ maxPacketBytes: 512 });
  await r.sockets.start();
  r.sockets.send(bytes("a"), "wan", 4);
  r.sockets.send(bytes("a"), "nope", 6);
  r.sockets.send(new Uint8Array(600), "br-lan", 4);
  r.sockets.send(bytes("a"), "br-lan", 4, { host: "fe80::1", port: 5353 });
  r.sockets.send(bytes("a"), "br-lan", 6, { host: "192.168.1.5", port: 5353 });
  r.sockets.send(bytes("a"), "br-lan", 4, { host: "192.168.1.5", port: 0 });
  await closeRig(r);
  r.sockets.send(bytes("a"), "br-lan", 4);
  const errors = (code: string) => r.metrics.value("superpeer_mdns_send_errors_total", { code });
  assert.is(errors("no_interface"), 2);
  assert.is(errors("EMSGSIZE"), 1);
  assert.is(errors("EAFNOSUPPORT"), 2);
  assert.is(errors("EINVAL"), 1);
  assert.is(errors("closed"), 1);
});

test("MdnsSockets counts a send the socket fails, and goes on with the next", async () => {
  const r = rig();
  await r.sockets.start();
  r.sockets.send(bytes("1"), "br-lan", 4);
  r.sockets.send(bytes("2"), "br-lan", 4);
  r.v4().sends[0]!.done(Object.assign(new Error("unreachable"), { code: "ENETUNREACH" }));
  r.v4().sends[1]!.done();
  assert.is(r.metrics.value("superpeer_mdns_send_errors_total", { code: "ENETUNREACH" }), 1);
  assert.is(r.metrics.value("superpeer_mdns_packets_sent_total", { family: "4" }), 1);
  await closeRig(r);
});

test("MdnsSockets follows interfaces that come, change and go at each poll", async () => {
  const r = rig({ pollIntervalMs: 10_000 }, { "br-lan": TABLE["br-lan"] });
  await r.sockets.start();
  assert.equal(r.events, ["up br-lan 192.168.1.1 fe80::1,fd00:1::1"]);
  r.table = { "br-lan": TABLE["br-lan"], mesh0: TABLE["mesh0"] };
  await poll(r);
  assert.equal(r.events.slice(1), ["up mesh0 10.20.0.7 fe80::7"]);
  r.table = { "br-lan": [v4("192.168.7.1"), v6("fe80::1", 5)], mesh0: TABLE["mesh0"] };
  await poll(r);
  assert.equal(r.events.slice(2), ["change br-lan 192.168.7.1"]);
  assert.equal([...r.v4().memberships].sort(), [
    "224.0.0.251@10.20.0.7",
    "224.0.0.251@192.168.7.1",
  ]);
  const meshSocket = r.v6("mesh0");
  r.table = { "br-lan": [v4("192.168.7.1"), v6("fe80::1", 5)] };
  await poll(r);
  assert.equal(r.events.slice(3), ["down mesh0"]);
  assert.ok(meshSocket.closed);
  assert.equal([...r.v4().memberships], ["224.0.0.251@192.168.7.1"]);
  await poll(r);
  assert.is(r.events.length, 4, "nothing changed: no event");
  assert.is(r.metrics.value("superpeer_mdns_interfaces"), 1);
  await closeRig(r);
});

test("MdnsSockets takes an interface recreated under its name down, then up on new sockets", async () => {
  const r = rig({}, { "br-lan": TABLE["br-lan"] });
  await r.sockets.start();
  const old = r.v6("br-lan");
  r.table = { "br-lan": [v4("192.168.1.1"), v6("fe80::1", 11)] };
  await poll(r);
  assert.equal(r.events.slice(1), ["down br-lan", "up br-lan 192.168.1.1 fe80::1"]);
  assert.ok(old.closed);
  assert.not.ok(r.v6("br-lan").closed);
  await closeRig(r);
});

test("MdnsSockets keeps running when a bind fails, and retries at the next poll", async () => {
  const r = rig({}, { "br-lan": TABLE["br-lan"] }, true);
  await r.sockets.start();
  assert.equal(r.events, []);
  assert.is(r.metrics.value("superpeer_mdns_socket_errors_total", { op: "bind" }), 2);
  const before = r.created.length;
  await poll(r);
  assert.ok(r.created.length > before, "tried again");
  await closeRig(r);
});

test("MdnsSockets.close() closes every socket, stops the poll, and is idempotent", async () => {
  let reads = 0;
  const r = rig();
  const table = r.table;
  r.table = new Proxy(table, { ownKeys: (t) => (reads++, Reflect.ownKeys(t)) });
  await r.sockets.start();
  const v4 = r.v4();
  const closing = r.sockets.close();
  assert.is(r.sockets.close(), closing);
  await closing;
  assert.ok(r.created.every((s) => s.closed));
  const readsAtClose = reads;
  r.scheduler.runFor(60_000);
  assert.is(reads, readsAtClose, "no poll after close");
  assert.is(r.metrics.value("superpeer_mdns_interfaces"), 0);
  assert.ok(readsAtClose > 0);
  v4.receive(bytes("late"), "192.168.1.20");
  assert.is(r.packets.length, 0);
});

test("MdnsSockets.start() with an aborted signal opens nothing", async () => {
  const r = rig();
  await r.sockets.start({ signal: AbortSignal.abort() });
  assert.is(r.created.length, 0);
});

test("MdnsSockets counts a listener that throws instead of passing it on", async () => {
  const r = rig();
  await r.sockets.start();
  r.sockets.onPacket(() => {
    throw new Error("bad handler");
  });
  r.v4().receive(bytes("a"), "192.168.1.20");
  assert.is(r.metrics.value("superpeer_mdns_handler_errors_total"), 1);
  await closeRig(r);
});

test("MdnsSockets refuses invalid options when constructed", () => {
  const components = { logger: silentLogger(), metrics: new MetricsRegistry() };
  assert.throws(
    () => new MdnsSockets({ interfaces: { allow: ["eth 0"] } }, components),
    (e: Error) => e instanceof TypeError && /interfaces.allow/.test(e.message),
  );
  assert.throws(
    () => new MdnsSockets({ interfaces: { allow: ["*"] }, pollIntervalMs: 5 }, components),
    RangeError,
  );
  assert.throws(
    () => new MdnsSockets({ interfaces: { allow: ["*"] }, maxPacketBytes: 100_000 }, components),
    RangeError,
  );
});

/** The interface info type is what mdns/mdns_service.ts reads: name and plain address lists. */
const _shape: (i: MdnsInterfaceInfo) => { name: string; ipv4: readonly string[] } = (i) => i;

test("MdnsSockets.close() lets queued sends (the goodbyes) out before closing, waiting at most a second", async () => {
  const r = rig();
  await r.sockets.start();
  const v4 = r.v4();
  r.sockets.send(bytes("bye1"), "br-lan", 4);
  r.sockets.send(bytes("bye2"), "mesh0", 4);
  let closed = false;
  const closing = r.sockets.close().then(() => (closed = true));
  await Promise.resolve();
  assert.is(v4.closed, false, "still sending");
  v4.sends[0]!.done();
  assert.is(v4.sends.length, 2, "the queued goodbye went out during close");
  v4.sends[1]!.done();
  await closing;
  assert.ok(closed && v4.closed);
  // A send whose callback never comes holds close() for at most CLOSE_DRAIN_MS.
  const stuck = rig();
  await stuck.sockets.start();
  const stuckV4 = stuck.v4();
  stuck.sockets.send(bytes("lost"), "br-lan", 4);
  const slow = stuck.sockets.close();
  stuck.scheduler.runFor(999);
  await Promise.resolve();
  assert.is(stuckV4.closed, false);
  stuck.scheduler.runFor(1);
  await slow;
  assert.is(stuckV4.closed, true);
});

test.run();
