// mDNS state machines without sockets, on a virtual clock (bench --only mdns): what one answered
// query costs (decode, responder, pack: the whole path a packet takes but the socket), what one
// cached record costs in the querier at its cap, and the heap a full cache holds.
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../../src/codec/dns/constants.ts";
import { decodeDnsMessage } from "../../src/codec/dns/dns_message.ts";
import { encodeDnsMessage } from "../../src/codec/dns/dns_writer.ts";
import { encodeTxtPairs } from "../../src/codec/dns/txt_pairs.ts";
import type { DnsMessage, DnsRecord } from "../../src/codec/dns/dns_types.ts";
import { DnsType } from "../../src/codec/dns/dns_types.ts";
import { hostName, hostRecords, serviceRecords } from "../../src/mdns/dns_sd_records.ts";
import { mdnsCounters } from "../../src/mdns/mdns_counters.ts";
import { packDnsMessage } from "../../src/mdns/mdns_packets.ts";
import { MdnsQuerier } from "../../src/mdns/mdns_querier.ts";
import { MdnsResponder } from "../../src/mdns/mdns_responder.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";
import { heapBytesPerCall } from "./bench_measure.ts";
import { perSecond } from "./bench_overlay.ts";

/** One row of the mDNS bench. */
export interface MdnsBenchRow {
  readonly operation: string;
  readonly perSecond: number;
  readonly nsPerOperation: number;
  readonly heapBytes: number | undefined;
}

function message(fields: Partial<DnsMessage>): DnsMessage {
  return {
    id: 0,
    flags: MDNS_QUERY_FLAGS,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  };
}

/** A responder that announced a host and four services, answering PTR queries. */
function answeringResponder(): () => void {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  let bytesOut = 0;
  const responder = new MdnsResponder({
    clock,
    scheduler,
    output: {
      send: (m) => {
        for (const p of packDnsMessage(m)) bytesOut += p.length;
      },
    },
    random: () => 0.5,
    logger: silentLogger(),
    counters: mdnsCounters(new MetricsRegistry()),
  });
  const host = hostName("superpeer-0a1b2c3d");
  responder.register({ records: () => hostRecords(host, ["10.0.0.2"], ["fe80::2"]) });
  for (
    const type of [["_p2psip", "_udp"], ["_sip", "_udp"], ["_turn", "_udp"], ["_stun", "_udp"]]
  ) {
    responder.register({
      records: () =>
        serviceRecords(
          {
            instance: "superpeer ap1",
            type: type as [string, string],
            port: 5060,
            txt: encodeTxtPairs({ overlay: "superpeer", v: "1" }),
          },
          "superpeer ap1",
          host,
        ),
    });
  }
  scheduler.runFor(10_000);
  const query = encodeDnsMessage(message({
    questions: [{
      name: ["_sip", "_udp", "local"],
      type: DnsType.PTR,
      class: 1,
      unicastResponse: false,
    }],
  }));
  const from = { host: "10.0.0.9", port: 5353 };
  return () => {
    responder.handle({ message: decodeDnsMessage(query), from });
    scheduler.runFor(1_100); // past the aggregation delay and the 1 s per-record limit
    if (bytesOut < 0) throw new Error("unreachable");
  };
}

/** A querier at its cache cap taking one new record per response. */
function cachingQuerier(maxCacheRecords: number): { add: () => void; fill: () => number } {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const querier = new MdnsQuerier({ maxCacheRecords }, {
    output: { send: () => {} },
    clock,
    scheduler,
    random: () => 0.5,
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  querier.start();
  let n = 0;
  const from = { host: "10.0.0.9", port: 5353 };
  const response = (): DnsMessage => {
    n++;
    const record: DnsRecord = {
      name: [`host-${n}`, "local"],
      class: 1,
      cacheFlush: true,
      ttl: 120,
      data: { type: DnsType.A, address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
    };
    return { ...message({ answers: [record] }), flags: MDNS_RESPONSE_FLAGS };
  };
  return {
    add: () => querier.handleMessage({ message: response(), from }),
    fill: () => {
      const before = Deno.memoryUsage().heapUsed;
      for (let i = 0; i < maxCacheRecords; i++) {
        querier.handleMessage({ message: response(), from });
      }
      return (Deno.memoryUsage().heapUsed - before) / maxCacheRecords;
    },
  };
}

/** The mDNS rows: answering a query end to end, caching at the cap, heap per cached record. */
export function benchMdns(): MdnsBenchRow[] {
  const rows: MdnsBenchRow[] = [];
  const answer = answeringResponder();
  const answered = perSecond(answer, 400);
  rows.push({
    operation: "answer a PTR query (decode, responder, pack; 4 services announced)",
    perSecond: answered,
    nsPerOperation: 1e9 / answered,
    heapBytes: heapBytesPerCall(answer, 500, 7),
  });
  // Five full caches kept alive; a fill during which a GC ran shows as a drop and is left out.
  const full = Array.from({ length: 5 }, () => cachingQuerier(1024));
  const fills = full.map((q) => q.fill()).filter((b) => b > 0).sort((a, b) => a - b);
  const perRecord = fills.length > 0 ? fills[Math.floor(fills.length / 2)] : undefined;
  const cache = full[0]!;
  const cached = perSecond(cache.add, 400);
  rows.push({
    operation: "cache one new A record at the 1,024-record cap (evicting)",
    perSecond: cached,
    nsPerOperation: 1e9 / cached,
    heapBytes: heapBytesPerCall(cache.add, 500, 7),
  });
  rows.push({
    operation: "heap held per cached record (filling an empty 1,024-record cache)",
    perSecond: NaN,
    nsPerOperation: NaN,
    heapBytes: perRecord,
  });
  return rows;
}
