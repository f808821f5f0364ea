import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../../src/codec/dns/constants.ts";
import type { DnsMessage, DnsQuestion, DnsRecord } from "../../src/codec/dns/dns_types.ts";

/** Sections and header overrides of a test message; everything absent is empty or zero. */
export interface MessageParts {
  readonly id?: number;
  readonly questions?: DnsQuestion[];
  readonly answers?: DnsRecord[];
  readonly authorities?: DnsRecord[];
  readonly additionals?: DnsRecord[];
  readonly rcode?: number;
  readonly opcode?: number;
  readonly truncated?: boolean;
}

/** An mDNS query (`response` false) or response with the codec's header flags. */
export function mdnsMessage(response: boolean, parts: MessageParts = {}): DnsMessage {
  const flags = response ? MDNS_RESPONSE_FLAGS : MDNS_QUERY_FLAGS;
  return {
    id: parts.id ?? 0,
    flags: {
      ...flags,
      opcode: parts.opcode ?? 0,
      truncated: parts.truncated ?? false,
      rcode: parts.rcode ?? 0,
    },
    questions: parts.questions ?? [],
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals: parts.additionals ?? [],
  };
}
