// MdnsCache in virtual time: TTL expiry, goodbyes (RFC 6762 10.1), cache-flush (10.2), the cap,
// refresh planning (5.2), known answers (7.1), reconfirmation (10.4) and passive observation (10.5).
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DNS_CLASS_IN,
  type DnsName,
  type DnsQuestion,
  type DnsRecord,
  DnsType,
} from "../../src/codec/dns/dns_types.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { type CacheRemovalReason, MdnsCache } from "../../src/mdns/mdns_cache.ts";
import { recordKey } from "../../src/mdns/record_key.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

const HOST: DnsName = ["printer", "local"];

function a(address: string, ttl: number, cacheFlush = false, name: DnsName = HOST): DnsRecord {
  return { name, class: DNS_CLASS_IN, cacheFlush, ttl, data: { type: DnsType.A, address } };
}

function aaaa(address: string, ttl: number): DnsRecord {
  return {
    name: HOST,
    class: DNS_CLASS_IN,
    cacheFlush: true,
    ttl,
    data: { type: DnsType.AAAA, address },
  };
}

function question(name: DnsName, type: number): DnsQuestion {
  return { name, type, class: DNS_CLASS_IN, unicastResponse: false };
}

function setup(options: { maxRecords?: number; random?: () => number } = {}) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const cache = new MdnsCache(
    options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords },
    {
      clock,
      scheduler,
      random: options.random ?? (() => 0.5),
      logger: silentLogger(),
      metrics,
    },
  );
  const removed: Array<{ at: number; address: string; reason: CacheRemovalReason }> = [];
  cache.onRemoved((record, reason) => {
    removed.push({
      at: clock.monotonic(),
      address: "address" in record.data ? record.data.address : "?",
      reason,
    });
  });
  const queries: Array<{ at: number; records: readonly DnsRecord[] }> = [];
  cache.onQueryNeeded((records) => queries.push({ at: clock.monotonic(), records }));
  cache.start();
  return { clock, scheduler, metrics, cache, removed, queries };
}

function addresses(cache: MdnsCache, type: number = DnsType.A): string[] {
  return cache.lookup(HOST, type).map((r) => ("address" in r.data ? r.data.address : "?")).sort();
}

test("MdnsCache.add() keeps a record for its TTL and removes it as expired when the TTL ends", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 120));
  scheduler.runUntil(119_999);
  assert.equal(addresses(cache), ["10.0.0.1"]);
  assert.equal(removed, []);
  scheduler.runUntil(120_000);
  assert.equal(addresses(cache), []);
  assert.equal(removed, [{ at: 120_000, address: "10.0.0.1", reason: "expired" }]);
  assert.is(cache.size, 0);
});

test("MdnsCache.lookup() sets the TTL to the remaining seconds, newest record first", () => {
  const { cache, scheduler } = setup();
  cache.add(a("10.0.0.1", 120));
  scheduler.runUntil(30_000);
  cache.add(a("10.0.0.2", 120));
  const found = cache.lookup(HOST, DnsType.A);
  assert.equal(found.map((r) => [(r.data as { address: string }).address, r.ttl]), [
    ["10.0.0.2", 120],
    ["10.0.0.1", 90],
  ]);
  assert.equal(cache.lookup(HOST, DnsType.ANY).length, 2);
  assert.equal(cache.lookup(HOST, DnsType.AAAA), []);
});

test("MdnsCache.add() of a goodbye (TTL 0) removes the record one second later", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 4500));
  scheduler.runUntil(10_000);
  cache.add(a("10.0.0.1", 0));
  scheduler.runUntil(10_999);
  assert.equal(addresses(cache), ["10.0.0.1"]);
  scheduler.runUntil(11_000);
  assert.equal(addresses(cache), []);
  assert.equal(removed, [{ at: 11_000, address: "10.0.0.1", reason: "goodbye" }]);
});

test("MdnsCache.add() of a record again within a second of its goodbye keeps it", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 120));
  scheduler.runUntil(10_000);
  cache.add(a("10.0.0.1", 0));
  scheduler.runUntil(10_500);
  cache.add(a("10.0.0.1", 120));
  scheduler.runUntil(60_000);
  assert.equal(addresses(cache), ["10.0.0.1"]);
  assert.equal(removed, []);
});

test("MdnsCache.add() of a goodbye for a record it does not hold caches nothing", () => {
  const { cache } = setup();
  const added: DnsRecord[] = [];
  cache.onAdded((record) => added.push(record));
  cache.add(a("10.0.0.1", 0));
  assert.is(cache.size, 0);
  assert.equal(added, []);
});

test("MdnsCache.add() with cache-flush expires rrset members older than 1 s one second later", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 120)); // t = 0
  cache.add(aaaa("fe80::1", 120)); // same name, other type: not in the rrset
  scheduler.runUntil(5_000);
  cache.add(a("10.0.0.2", 120));
  scheduler.runUntil(9_500);
  cache.add(a("10.0.0.3", 120)); // 0.5 s before the flush: part of the same announcement
  scheduler.runUntil(10_000);
  cache.add(a("10.0.0.4", 120, true));
  scheduler.runUntil(10_999);
  assert.equal(addresses(cache), ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
  scheduler.runUntil(11_000);
  assert.equal(addresses(cache), ["10.0.0.3", "10.0.0.4"]);
  assert.equal(addresses(cache, DnsType.AAAA), ["fe80::1"]);
  assert.equal(removed, [
    { at: 11_000, address: "10.0.0.1", reason: "flushed" },
    { at: 11_000, address: "10.0.0.2", reason: "flushed" },
  ]);
});

test("MdnsCache.add() of a whole rrset with cache-flush keeps the members it repeats", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 120));
  cache.add(a("10.0.0.2", 120));
  scheduler.runUntil(30_000);
  // The owner announces its set again: the first record flushes the second, which then arrives.
  cache.add(a("10.0.0.1", 120, true));
  cache.add(a("10.0.0.2", 120, true));
  scheduler.runUntil(40_000);
  assert.equal(addresses(cache), ["10.0.0.1", "10.0.0.2"]);
  assert.equal(removed, []);
});

test("MdnsCache.add() of a record already held restarts its TTL", () => {
  const { cache, scheduler, removed } = setup();
  const added: DnsRecord[] = [];
  cache.onAdded((record) => added.push(record));
  cache.add(a("10.0.0.1", 10));
  scheduler.runUntil(8_000);
  cache.add(a("10.0.0.1", 10));
  scheduler.runUntil(17_999);
  assert.equal(addresses(cache), ["10.0.0.1"]);
  scheduler.runUntil(18_000);
  assert.equal(removed, [{ at: 18_000, address: "10.0.0.1", reason: "expired" }]);
  assert.is(added.length, 1);
});

test("MdnsCache.add() at maxRecords evicts the record nearest expiry and counts it", () => {
  const { cache, metrics, removed } = setup({ maxRecords: 3 });
  cache.add(a("10.0.0.1", 100));
  cache.add(a("10.0.0.2", 50));
  cache.add(a("10.0.0.3", 200));
  cache.add(a("10.0.0.4", 300));
  assert.is(cache.size, 3);
  assert.equal(addresses(cache), ["10.0.0.1", "10.0.0.3", "10.0.0.4"]);
  assert.equal(removed, [{ at: 0, address: "10.0.0.2", reason: "evicted" }]);
  assert.is(cache.evictedCount, 1);
  assert.is(metrics.value("superpeer_mdns_cache_evictions_total"), 1);
  assert.is(metrics.value("superpeer_mdns_cache_records"), 3);
});

test("MdnsCache rejects a maxRecords that is not a positive integer", () => {
  const make = (maxRecords: number) => () =>
    new MdnsCache({ maxRecords }, {
      clock: new ManualClock(),
      logger: silentLogger(),
      metrics: new MetricsRegistry(),
    });
  assert.throws(make(0), (e: unknown) => e instanceof RangeError);
  assert.throws(make(1.5), (e: unknown) => e instanceof RangeError);
});

test("MdnsCache.onQueryNeeded() asks at 80, 85, 90 and 95 % of the TTL plus jitter when interested", () => {
  const { cache, scheduler, queries } = setup({ random: () => 0.5 }); // jitter 1 %
  assert.ok(cache.addInterest(question(HOST, DnsType.A)));
  cache.add(a("10.0.0.1", 100));
  scheduler.runUntil(100_000);
  assert.equal(queries.map((q) => q.at), [81_000, 86_000, 91_000, 96_000]);
  assert.equal(queries[0]!.records.map((r) => r.ttl), [19]);
});

test("MdnsCache.onQueryNeeded() jitter stays within 0-2 % of the TTL", () => {
  const low = setup({ random: () => 0 });
  low.cache.addInterest(question(HOST, DnsType.A));
  low.cache.add(a("10.0.0.1", 100));
  low.scheduler.runUntil(100_000);
  assert.equal(low.queries.map((q) => q.at), [80_000, 85_000, 90_000, 95_000]);
  const high = setup({ random: () => 0.999 });
  high.cache.addInterest(question(HOST, DnsType.A));
  high.cache.add(a("10.0.0.1", 100));
  high.scheduler.runUntil(100_000);
  assert.equal(high.queries.map((q) => Math.round(q.at)), [81_998, 86_998, 91_998, 96_998]);
});

test("MdnsCache.onQueryNeeded() stays silent for records nobody is interested in", () => {
  const { cache, scheduler, queries } = setup();
  cache.addInterest(question(["other", "local"], DnsType.A));
  cache.add(a("10.0.0.1", 100));
  scheduler.runUntil(84_000); // one refresh point (81 s) passed without interest
  assert.equal(queries, []);
  const q = question(HOST, DnsType.ANY); // ANY covers the A record
  cache.addInterest(q);
  scheduler.runUntil(87_000);
  assert.equal(queries.map((x) => x.at), [86_000]);
  cache.removeInterest(q);
  scheduler.runUntil(100_000);
  assert.is(queries.length, 1);
});

test("MdnsCache wakes only for the expiry of records nobody is interested in", () => {
  const { cache, scheduler } = setup();
  cache.add(a("10.0.0.1", 100));
  assert.is(scheduler.nextTime, 100_000);
  cache.addInterest(question(HOST, DnsType.A));
  assert.is(scheduler.nextTime, 81_000);
});

test("MdnsCache.onQueryNeeded() starts over when the record is heard again", () => {
  const { cache, scheduler, queries } = setup();
  cache.addInterest(question(HOST, DnsType.A));
  cache.add(a("10.0.0.1", 100));
  scheduler.runUntil(82_000);
  cache.add(a("10.0.0.1", 100)); // the answer to the 81 % query
  scheduler.runUntil(170_000);
  assert.equal(queries.map((q) => q.at), [81_000, 163_000, 168_000]);
});

test("MdnsCache.knownAnswers() lists records above half their TTL, with the remaining TTL", () => {
  const { cache, scheduler } = setup();
  cache.add(a("10.0.0.1", 120, true));
  cache.add(a("10.0.0.9", 120, false, ["other", "local"]));
  scheduler.runUntil(59_500);
  const known = cache.knownAnswers(question(HOST, DnsType.A));
  assert.is(known.length, 1);
  assert.is(known[0]!.ttl, 60);
  assert.is(known[0]!.cacheFlush, false); // RFC 6762 10.2: never in a known-answer list
  assert.equal(known[0]!.name, HOST);
  scheduler.runUntil(60_000); // exactly half left
  assert.equal(cache.knownAnswers(question(HOST, DnsType.A)), []);
  assert.equal(cache.knownAnswers(question(HOST, DnsType.ANY)), []);
});

test("MdnsCache.knownAnswers() leaves out a record in its last second after a goodbye", () => {
  const { cache, scheduler } = setup();
  cache.add(a("10.0.0.1", 4500));
  cache.add(a("10.0.0.1", 0));
  scheduler.runUntil(100);
  assert.equal(cache.knownAnswers(question(HOST, DnsType.A)), []);
  assert.is(cache.lookup(HOST, DnsType.A).length, 1);
});

test("MdnsCache.reconfirm() asks twice and flushes the record 10 s later unless heard again", () => {
  const { cache, scheduler, queries, removed } = setup();
  cache.add(a("10.0.0.1", 4500));
  cache.add(a("10.0.0.2", 4500));
  scheduler.runUntil(1_000);
  assert.ok(cache.reconfirm(a("10.0.0.1", 4500)));
  assert.ok(cache.reconfirm(a("10.0.0.2", 4500)));
  assert.equal(cache.knownAnswers(question(HOST, DnsType.A)), []);
  scheduler.runUntil(5_000);
  cache.add(a("10.0.0.2", 4500)); // its owner answered
  scheduler.runUntil(20_000);
  assert.equal(queries.map((q) => [q.at, q.records.length]), [[1_000, 2], [3_000, 2]]);
  assert.equal(removed, [{ at: 11_000, address: "10.0.0.1", reason: "unconfirmed" }]);
  assert.equal(addresses(cache), ["10.0.0.2"]);
  assert.not.ok(cache.reconfirm(a("10.0.0.1", 4500)));
});

test("MdnsCache.noteQuery() flushes a record after two unanswered queries, 10 s after the first", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 4500));
  cache.add(a("10.0.0.2", 4500));
  const listed = new Set([recordKey(a("10.0.0.2", 4500))]); // their known answer: not expected
  scheduler.runUntil(2_000);
  cache.noteQuery(question(HOST, DnsType.A), listed);
  scheduler.runUntil(6_000);
  cache.noteQuery(question(HOST, DnsType.A), listed);
  scheduler.runUntil(11_999);
  assert.equal(removed, []);
  scheduler.runUntil(12_000);
  assert.equal(removed, [{ at: 12_000, address: "10.0.0.1", reason: "unconfirmed" }]);
  assert.equal(addresses(cache), ["10.0.0.2"]);
});

test("MdnsCache.noteQuery() forgets the unanswered queries once the record is heard again", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 4500));
  scheduler.runUntil(2_000);
  cache.noteQuery(question(HOST, DnsType.A), new Set());
  scheduler.runUntil(2_100);
  cache.add(a("10.0.0.1", 4500)); // answered
  scheduler.runUntil(5_000);
  cache.noteQuery(question(HOST, DnsType.A), new Set());
  scheduler.runUntil(30_000);
  assert.equal(removed, []);
});

test("MdnsCache.add() of a record with the largest TTL arms no timer setTimeout cannot hold", () => {
  const { cache, scheduler, clock } = setup();
  cache.add(a("10.0.0.1", 0xffff_ffff));
  assert.ok(scheduler.nextTime! - clock.monotonic() <= 2_147_483_647);
  scheduler.runFor(1_000);
  assert.is(scheduler.pending, 1);
  assert.equal(addresses(cache), ["10.0.0.1"]);
});

test("MdnsCache.stop() holds expiry until start() runs the sweep again", () => {
  const { cache, scheduler, removed } = setup();
  cache.add(a("10.0.0.1", 10));
  cache.stop();
  scheduler.runUntil(20_000);
  assert.equal(removed, []);
  assert.equal(addresses(cache), []); // lookups never return an expired record
  cache.start();
  cache.start();
  scheduler.runFor(0);
  assert.equal(removed, [{ at: 20_000, address: "10.0.0.1", reason: "expired" }]);
});

test.run();
