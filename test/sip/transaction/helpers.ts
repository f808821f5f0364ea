// Test helpers for the SIP transaction layer: messages parsed from wire text by the codec, and a
// TransactionTable on a virtual clock that records everything it sends.
import { parseSipMessage, type SipMessage } from "../../../src/codec/sip/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import {
  type ClientTransaction,
  type ClientTransactionUser,
  type SendContext,
  type TransactionAddress,
  TransactionTable,
  type TransactionTableInit,
} from "../../../src/sip/transaction/mod.ts";
import { VirtualScheduler } from "../../../src/transport/virtual_scheduler.ts";

export const UDP_PEER: TransactionAddress = {
  transport: "UDP",
  host: "192.0.2.10",
  port: 5060,
  reliable: false,
};
export const TCP_PEER: TransactionAddress = {
  transport: "TCP",
  host: "192.0.2.10",
  port: 5060,
  reliable: true,
  flow: "tcp-1",
};

const encoder = new TextEncoder();

/** Parses CRLF-joined lines as one SIP message (Content-Length added). */
export function sip(...lines: string[]): SipMessage {
  return parseSipMessage(encoder.encode(lines.join("\r\n") + "\r\nContent-Length: 0\r\n\r\n"));
}

export interface RequestOptions {
  branch?: string;
  /** sent-by of the top Via. */
  sentBy?: string;
  uri?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  extra?: string[];
}

/** A request as a phone would send it; the top Via carries `branch` (RFC 3261 cookie by default). */
export function request(method: string, o: RequestOptions = {}): SipMessage {
  const branch = o.branch ?? "z9hG4bK-tx-1";
  const to = `To: Bob <sip:bob@example.com>${o.toTag === undefined ? "" : `;tag=${o.toTag}`}`;
  return sip(
    `${method} ${o.uri ?? "sip:bob@example.com"} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.sentBy ?? "192.0.2.10:5060"}${branch === "" ? "" : `;branch=${branch}`}`,
    "Max-Forwards: 70",
    ...(o.extra ?? []),
    `From: Alice <sip:alice@example.com>;tag=${o.fromTag ?? "a1"}`,
    to,
    `Call-ID: ${o.callId ?? "call-1@192.0.2.10"}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
  );
}

/**
 * A response to `req` written out by hand (not with the builders under test):
 * the request's Via values, From, To (with `toTag` unless it has one), Call-ID and CSeq.
 */
export function response(req: SipMessage, status: number, toTag?: string): SipMessage {
  const h = req.headers;
  let to = h.get("to")!;
  if (toTag !== undefined && !to.includes("tag=")) to += `;tag=${toTag}`;
  return sip(
    `SIP/2.0 ${status} Reason`,
    ...h.getAll("via").map((v) => `Via: ${v}`),
    `From: ${h.get("from")}`,
    `To: ${to}`,
    `Call-ID: ${h.get("call-id")}`,
    `CSeq: ${h.get("cseq")}`,
  );
}

/** One message handed to the transport, with the virtual time it was sent at. */
export interface Sent {
  readonly at: number;
  readonly message: SipMessage;
  readonly to: TransactionAddress;
  readonly context: SendContext;
}

/** A table on a virtual clock; `sent` records every send in order. */
export function harness(
  init: TransactionTableInit = {},
  options: { failSends?: () => boolean } = {},
) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const sent: Sent[] = [];
  const table = new TransactionTable({
    clock,
    scheduler,
    metrics,
    send: (message, to, context) => {
      sent.push({ at: clock.monotonic(), message, to, context });
      return options.failSends?.() === true ? false : undefined;
    },
  }, init);
  return {
    clock,
    scheduler,
    metrics,
    sent,
    table,
    /** Runs virtual time up to `ms` since the start. */
    runUntil: (ms: number) => scheduler.runUntil(ms),
    /** Times (ms) of the sends whose message satisfies `pick`. */
    timesOf: (pick: (m: SipMessage) => boolean) =>
      sent.filter((s) => pick(s.message)).map((s) => s.at),
  };
}

/** What a client transaction's user saw. */
export interface UserLog {
  readonly responses: SipMessage[];
  readonly events: string[];
  readonly user: ClientTransactionUser;
}

/** A ClientTransactionUser that records each call. */
export function recordingUser(): UserLog {
  const responses: SipMessage[] = [];
  const events: string[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => {
      responses.push(r);
      events.push(`response ${r.status}`);
    },
    onTimeout: (_tx: ClientTransaction, timer) => events.push(`timeout ${timer}`),
    onTransportError: () => events.push("transport error"),
    onTerminated: () => events.push("terminated"),
  };
  return { responses, events, user };
}
