import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { parseIpInto } from "../../src/core/ip_address.ts";
import {
  AllocationTable,
  chainCredentialStores,
  NONCE_LENGTH,
  NonceManager,
  PeerPolicy,
  RelayPortPool,
  ResponseCache,
  RestCredentialStore,
  restPassword,
  StaticCredentialStore,
  staticUserKeyHex,
  TokenBucket,
} from "../../src/relay/mod.ts";
import { longTermKey } from "../../src/codec/stun/mod.ts";

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const SECRET = new Uint8Array(32).fill(7);

test("NonceManager.check() accepts its own nonce, and calls it stale after the lifetime", () => {
  const clock = new ManualClock();
  const nonces = new NonceManager({ secret: SECRET, lifetimeSeconds: 60 }, { clock });
  const nonce = nonces.issue("192.0.2.7");
  assert.is(nonce.length, NONCE_LENGTH);
  assert.match(nonce, /^[0-9a-f]+$/);
  assert.is(nonces.check(nonce, "192.0.2.7"), "valid");
  assert.is.not(nonces.issue("192.0.2.7"), nonce);
  clock.advance(60_001);
  assert.is(nonces.check(nonce, "192.0.2.7"), "stale");
});

test("NonceManager.check() refuses another client IP, another secret, and tampering", () => {
  const clock = new ManualClock();
  const nonces = new NonceManager({ secret: SECRET }, { clock });
  const nonce = nonces.issue("192.0.2.7");
  assert.is(nonces.check(nonce, "192.0.2.8"), "invalid");
  const other = new NonceManager({ secret: new Uint8Array(32).fill(8) }, { clock });
  assert.is(other.check(nonce, "192.0.2.7"), "invalid");
  const flipped = (nonce[0] === "0" ? "1" : "0") + nonce.slice(1);
  assert.is(nonces.check(flipped, "192.0.2.7"), "invalid");
  assert.is(nonces.check("short", "192.0.2.7"), "invalid");
  const unbound = new NonceManager({ secret: SECRET, bindToClientIp: false }, { clock });
  assert.is(unbound.check(unbound.issue("a"), "b"), "valid");
  assert.throws(
    () => new NonceManager({ secret: new Uint8Array(8) }, { clock }),
    (e: unknown) => e instanceof RangeError,
  );
});

test("staticUserKeyHex() gives the RFC 8489 long-term key", () => {
  assert.is(staticUserKeyHex("user", "realm", "pass"), "8493fbc53ba582fb4c044c456bdc40eb");
  const store = new StaticCredentialStore({ users: { user: "8493fbc53ba582fb4c044c456bdc40eb" } });
  assert.is(toHex(store.keysFor("user", "realm", "md5")[0]!), "8493fbc53ba582fb4c044c456bdc40eb");
  assert.equal(store.keysFor("nobody", "realm", "md5"), []);
  assert.throws(
    () => new StaticCredentialStore({ users: { x: "not hex" } }),
    (e: unknown) => e instanceof TypeError,
  );
});

test("restPassword() matches coturn's use-auth-secret formula", () => {
  assert.is(restPassword("north", "1700000000:alice"), "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
});

test("RestCredentialStore.keysFor() tries every secret until the expiry passes", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new RestCredentialStore({ secrets: ["old", "north"] }, { clock });
  const username = "1700000100:alice";
  const keys = store.keysFor(username, "r", "md5");
  assert.is(keys.length, 2);
  const expected = longTermKey({ username, realm: "r", password: restPassword("north", username) });
  assert.equal(keys[1], expected);
  assert.is(store.keysFor("alice:1700000100", "r", "md5").length, 2); // number after the separator
  assert.is(store.keysFor("1700000100", "r", "md5").length, 2); // timestamp alone
  assert.equal(store.keysFor("alice", "r", "md5"), []);
  clock.advance(100_000);
  assert.is(store.keysFor(username, "r", "md5").length, 2); // expiry >= now still valid
  clock.advance(1_000);
  assert.equal(store.keysFor(username, "r", "md5"), []);
});

test("RestCredentialStore.mint() makes credentials its keysFor() accepts", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new RestCredentialStore({ secrets: ["north"] }, { clock });
  const minted = store.mint("alice", { ttlSeconds: 600 });
  assert.equal(minted, {
    username: "1700000600:alice",
    password: restPassword("north", "1700000600:alice"),
    expiresAt: 1_700_000_600,
  });
  assert.throws(() => store.mint("a:b", { ttlSeconds: 1 }), (e: unknown) => e instanceof TypeError);
  assert.throws(
    () => new RestCredentialStore({ secrets: [] }, { clock }),
    (e: unknown) => e instanceof TypeError,
  );
  const both = chainCredentialStores(
    store,
    new StaticCredentialStore({ users: { bob: staticUserKeyHex("bob", "r", "x") } }),
  );
  assert.is(both.keysFor(minted.username, "r", "md5").length, 1);
  assert.is(both.keysFor("bob", "r", "md5").length, 1);
});

test("parseIpInto() reads IPv4, IPv6 with :: and dotted tails, and refuses junk", () => {
  const w = new Uint32Array(4);
  assert.is(parseIpInto("10.1.2.3", w), 4);
  assert.is(w[0], 0x0a010203);
  assert.is(parseIpInto("2001:db8::1", w), 6);
  assert.equal(Array.from(w), [0x20010db8, 0, 0, 1]);
  assert.is(parseIpInto("::ffff:1.2.3.4", w), 6);
  assert.equal(Array.from(w), [0, 0, 0xffff, 0x01020304]);
  assert.is(parseIpInto("fe80::1%eth0", w), 6);
  for (const bad of ["1.2.3", "01.2.3.4", "256.1.1.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "x", ""]) {
    assert.is(parseIpInto(bad, w), 0, bad);
  }
});

test("PeerPolicy.check() denies the default blocks, IPv4-mapped forms included", () => {
  const policy = new PeerPolicy();
  for (
    const host of [
      "0.1.2.3",
      "127.0.0.1",
      "169.254.169.254",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "ff02::1",
      "2001:0:1::1",
      "2002:c000:204::1",
      "::ffff:127.0.0.1",
    ]
  ) assert.is(policy.check(host), "denied", host);
  for (const host of ["203.0.113.5", "10.0.0.1", "2001:db8::1", "::ffff:203.0.113.5"]) {
    assert.is(policy.check(host), "allowed", host);
  }
  assert.is(policy.check("nonsense"), "invalid");
});

test("PeerPolicy allow beats deny, allowLoopback opens loopback, own addresses are loops but for the relay ports", () => {
  const policy = new PeerPolicy({
    allow: ["10.0.0.0/8"],
    deny: ["10.0.0.0/8", "192.168.0.0/16", "fd00::/8"],
    allowLoopback: true,
    ownAddresses: ["192.0.2.1", "127.0.0.1"],
    relayPorts: { min: 61000, max: 65535 },
    listenPorts: [3478],
  });
  assert.is(policy.check("10.9.9.9"), "allowed");
  assert.is(policy.check("192.168.1.1"), "denied");
  assert.is(policy.check("::ffff:192.168.1.1"), "denied");
  assert.is(policy.check("fd12::1"), "denied");
  // at our own address only the relay ports are peers (another allocation); any other port is us
  assert.is(policy.check("192.0.2.1", 61001), "allowed");
  assert.is(policy.check("192.0.2.1", 3478), "loop");
  assert.is(policy.check("192.0.2.1", 6084), "loop", "the overlay's port on our address");
  assert.is(policy.check("192.0.2.2", 6084), "allowed");
  assert.not.ok(policy.isLoop("192.0.2.1", 61001));
  assert.ok(policy.isLoop("192.0.2.1", 6084));
  assert.ok(policy.isLoop("::ffff:192.0.2.1", 5000));
  assert.not.ok(policy.isLoop("192.0.2.2", 5000));
  // with loopback allowed (tests, local interop) a loopback own address is a loop only at the
  // listening ports
  assert.is(policy.check("127.0.0.1", 3478), "loop");
  assert.is(policy.check("127.0.0.1", 6084), "allowed");
  assert.ok(policy.isLoop("127.0.0.1", 3478));
  assert.not.ok(policy.isLoop("127.0.0.1", 6084));
  assert.throws(
    () => new PeerPolicy({ deny: ["10.0.0.0/33"] }),
    (e: unknown) => e instanceof TypeError,
  );
  assert.throws(() => new PeerPolicy({ allow: ["nope"] }), (e: unknown) => e instanceof TypeError);
});

test("TokenBucket.take() refuses past the burst and refills with time", () => {
  const bucket = new TokenBucket(1000, 500, 0);
  assert.ok(bucket.take(500, 0));
  assert.not.ok(bucket.take(1, 0));
  assert.ok(bucket.take(100, 100));
  assert.not.ok(bucket.take(1, 100));
  assert.is(bucket.available(10_000), 500);
  bucket.giveBack(1000);
  assert.is(bucket.available(10_000), 500);
  assert.ok(new TokenBucket(0, 0, 0).take(1e9, 0));
  assert.throws(() => new TokenBucket(-1, 0, 0), (e: unknown) => e instanceof RangeError);
});

test("RelayPortPool.acquire() hands out each port once, even ones on request, held ones later", () => {
  const pool = new RelayPortPool({ minPort: 2000, maxPort: 2003 }, { random: () => 0.5 });
  const even = pool.acquire({ withNext: true });
  assert.is(even % 2, 0);
  assert.ok(pool.isTaken(even + 1));
  const seen = new Set([even, even + 1, pool.acquire(), pool.acquire()]);
  assert.is(seen.size, 4);
  assert.is(pool.acquire(), -1);
  pool.release(even);
  pool.hold(even, 1000);
  assert.is(pool.acquire(), -1);
  assert.is(pool.sweep(1000), 1);
  assert.is(pool.acquire(), even);
  assert.throws(
    () => new RelayPortPool({ minPort: 80, maxPort: 90 }, {}),
    (e: unknown) => e instanceof RangeError,
  );
});

test("ResponseCache.get() returns an answer for 40 s and drops the oldest at the cap", () => {
  const cache = new ResponseCache({ maxEntries: 2 });
  const a = new Uint8Array([1]);
  cache.put("a", a, 0);
  cache.put("b", new Uint8Array([2]), 0);
  assert.is(cache.get("a", 39_999), a);
  assert.is(cache.get("a", 40_000), undefined);
  cache.put("c", new Uint8Array([3]), 0);
  cache.put("d", new Uint8Array([4]), 0);
  assert.is(cache.size, 2);
  assert.is(cache.evicted, 1);
  const failure = new Uint8Array([9]);
  cache.put("e", new Uint8Array([5]), 0, { port: 61000, failure });
  cache.failRelayPort(61000);
  assert.is(cache.get("e", 1), failure);
  assert.is(cache.sweep(40_000), 2);
});

function table(init = {}) {
  const ports = new RelayPortPool({ minPort: 61000, maxPort: 61099 }, {});
  return { ports, table: new AllocationTable(init, { ports }) };
}

function newAllocation(
  ports: RelayPortPool,
  clientPort: number,
  username = "alice",
  ip = "198.51.100.7",
) {
  return {
    fiveTuple: {
      transport: "udp" as const,
      client: { host: ip, port: clientPort },
      server: { host: "192.0.2.1", port: 3478 },
    },
    username,
    realm: "r",
    key: new Uint8Array(16),
    relayed: { family: 4 as const, host: "192.0.2.1", port: ports.acquire() },
    lifetimeSeconds: 600,
  };
}

test("AllocationTable.find() and byRelayPort() find an allocation; delete() frees its port", () => {
  const { ports, table: t } = table();
  const init = newAllocation(ports, 1);
  const a = t.create(init, 0);
  assert.is(t.find("udp", { host: "198.51.100.7", port: 1 }, { host: "192.0.2.1", port: 3478 }), a);
  assert.is(
    t.find("tcp", { host: "198.51.100.7", port: 1 }, { host: "192.0.2.1", port: 3478 }),
    undefined,
  );
  assert.is(t.byRelayPort(init.relayed.port), a);
  assert.throws(
    () => t.create({ ...init, relayed: { ...init.relayed, port: 61050 } }, 0),
    (e: unknown) => e instanceof RangeError,
  );
  t.delete(a);
  t.delete(a);
  assert.is(t.size, 0);
  assert.not.ok(ports.isTaken(init.relayed.port));
  assert.is(t.stats().deleted, 1);
});

test("AllocationTable.canCreate() counts refusals by reason", () => {
  const { ports, table: t } = table({
    maxAllocations: 3,
    maxAllocationsPerUser: 1,
    maxAllocationsPerClientIp: 2,
  });
  t.create(newAllocation(ports, 1, "alice"), 0);
  assert.is(t.canCreate("alice", "198.51.100.9"), "quota_user");
  t.create(newAllocation(ports, 2, "bob"), 0);
  assert.is(t.canCreate("carol", "198.51.100.7"), "quota_client_ip");
  t.create(newAllocation(ports, 3, "carol", "198.51.100.8"), 0);
  assert.is(t.canCreate("dave", "198.51.100.9"), "quota_total");
  assert.equal(
    [...t.stats().refused],
    [["quota_user", 1], ["quota_client_ip", 1], ["quota_total", 1]],
  );
});

test("AllocationTable.sweep() expires permissions, channels, quarantines and allocations", () => {
  const { ports, table: t } = table();
  const a = t.create(newAllocation(ports, 1), 0);
  t.refresh(a, 3600, 0);
  assert.is(t.addPermissions(a, ["203.0.113.1", "203.0.113.1"], 0), undefined);
  assert.is(t.stats().permissions, 1);
  assert.is(t.bindChannel(a, 0x4000, { host: "203.0.113.2", port: 5 }, 0), "created");
  assert.ok(a.channelForPeer("203.0.113.2", 5, 1));
  assert.is(a.channel(0x4000, 1)?.peer.port, 5);
  const first = t.sweep(300_000);
  assert.is(first.permissions, 2);
  assert.is(first.channels, 0);
  const second = t.sweep(600_000);
  assert.is(second.channels, 1);
  assert.is(second.allocations.length, 0);
  assert.is(t.sweep(900_000).quarantines, 1);
  assert.equal(t.sweep(3_600_000).allocations, [a]);
  assert.is(t.size, 0);
  assert.equal(t.stats().expired, { allocations: 1, permissions: 2, channels: 1, quarantines: 1 });
});

test("AllocationTable.bindChannel() refuses conflicts and caps", () => {
  const { ports, table: t } = table({
    maxChannelsPerAllocation: 2,
    maxPermissionsPerAllocation: 2,
  });
  const a = t.create(newAllocation(ports, 1), 0);
  const p = { host: "203.0.113.2", port: 5 };
  assert.is(t.bindChannel(a, 0x4000, p, 0), "created");
  assert.is(t.bindChannel(a, 0x4000, p, 1), "refreshed");
  assert.is(t.bindChannel(a, 0x4000, { ...p, port: 6 }, 1), "channel_number_in_use");
  assert.is(t.bindChannel(a, 0x4001, p, 1), "channel_peer_in_use");
  assert.is(t.bindChannel(a, 0x4001, { host: "203.0.113.3", port: 5 }, 1), "created");
  assert.is(t.bindChannel(a, 0x4002, { host: "203.0.113.4", port: 5 }, 1), "channels_full");
  assert.is(t.addPermissions(a, ["203.0.113.9"], 1), "permissions_full");
  const noQuarantine = table({ enforceChannelQuarantine: false });
  const b = noQuarantine.table.create(newAllocation(noQuarantine.ports, 1), 0);
  noQuarantine.table.bindChannel(b, 0x4000, p, 0);
  noQuarantine.table.sweep(600_000);
  assert.is(noQuarantine.table.bindChannel(b, 0x4000, { ...p, port: 9 }, 600_000), "created");
});

test.run();
