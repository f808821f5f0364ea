import { mdnsMessage } from "./mdns_messages.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import {
  DNS_CLASS_IN,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
} from "../../src/codec/dns/dns_types.ts";
import { mdnsCounters } from "../../src/mdns/mdns_counters.ts";
import { MdnsResponder } from "../../src/mdns/mdns_responder.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

/** One message the responder handed to its output, with when and where. */
export interface Sent {
  readonly at: number;
  readonly message: DnsMessage;
  readonly to: DatagramAddress | undefined;
}

/** A responder on a virtual clock whose output is recorded. */
export function responderHarness(random = () => 0.5) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const sent: Sent[] = [];
  const responder = new MdnsResponder({
    clock,
    scheduler,
    output: { send: (message, to) => sent.push({ at: clock.monotonic(), message, to }) },
    random,
    logger: silentLogger(),
    counters: mdnsCounters(metrics),
  });
  return { clock, scheduler, metrics, sent, responder };
}

export const PEER: DatagramAddress = { host: "10.77.0.9", port: 5353 };

export function question(
  name: readonly string[],
  type: number,
  unicastResponse = false,
): DnsQuestion {
  return { name, type, class: DNS_CLASS_IN, unicastResponse };
}

export function queryMessage(
  questions: DnsQuestion[],
  options: { answers?: DnsRecord[]; authorities?: DnsRecord[]; truncated?: boolean; id?: number } =
    {},
): DnsMessage {
  return mdnsMessage(false, { ...options, questions });
}

export function responseMessage(answers: DnsRecord[]): DnsMessage {
  return mdnsMessage(true, { answers });
}

/** Counter value of `name` with `labels` from a registry snapshot (0 when absent). */
export function counterValue(
  metrics: MetricsRegistry,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = metrics.collect().find((f) => f.name === name);
  const sample = family?.samples.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return sample?.value ?? 0;
}
