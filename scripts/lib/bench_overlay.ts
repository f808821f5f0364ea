// The overlay codec benchmark: for each message type, the size of one datagram in our CBOR format,
// as JSON (bytes as base64) and in RFC 6940's binary encoding, and operations per second for
// encode, decode, sign and verify (ours) and JSON stringify/parse.
import { isRequestCode } from "../../src/codec/overlay/constants.ts";
import type { Destination } from "../../src/codec/overlay/destination.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope } from "../../src/codec/overlay/envelope.ts";
import { decodeFrame, encodeFrame, type MessageFrame } from "../../src/codec/overlay/frame.ts";
import { decodeMessageBody, encodeMessageBody } from "../../src/codec/overlay/message_body.ts";
import { SignatureDomain, signInDomain, verifyInDomain } from "../../src/identity/signatures.ts";
import { sealMessage } from "../../src/overlay/message_security.ts";
import {
  SAMPLE_PEER,
  SAMPLE_RESOURCE,
  SAMPLE_SENDER,
  SAMPLE_TIME,
  sampleBodies,
} from "./overlay_samples.ts";
import { rfc6940MessageSize } from "./rfc6940_size.ts";

export interface OverlayBenchRow {
  name: string;
  oursBytes: number;
  jsonBytes: number;
  rfcBytes: number;
  encodePerSec: number;
  decodePerSec: number;
  signPerSec: number;
  verifyPerSec: number;
  jsonEncodePerSec: number;
  jsonDecodePerSec: number;
}

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns calls per second. */
export function perSecond(fn: () => void, ms = 150): number {
  for (let i = 0; i < 50; i++) fn();
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 20; i++) fn();
    calls += 20;
    elapsed = performance.now() - started;
  }
  return (calls * 1000) / elapsed;
}

function jsonable(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(jsonable);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]));
  }
  return value;
}

export function benchOverlayCodec(): OverlayBenchRow[] {
  const rows: OverlayBenchRow[] = [];
  for (const { name, body } of sampleBodies()) {
    const destinations: Destination[] = isRequestCode(body.code) && "resourceId" in body
      ? [{ type: "resource", id: SAMPLE_RESOURCE }]
      : [{ type: "node", id: SAMPLE_PEER.nodeId }];
    const sealed = sealMessage({
      key: SAMPLE_SENDER,
      overlayId: 0x5e7ec701,
      transactionId: new Uint8Array(8).fill(1),
      destinations,
      sentAt: SAMPLE_TIME,
      admission: { type: "none" },
      body,
    });
    const envelope: Envelope = decodeEnvelope(sealed.envelope);
    const json = jsonable({
      ttl: 100,
      via: [],
      envelope: { ...envelope, body },
      signature: sealed.signature,
    });
    const jsonText = JSON.stringify(json);
    const frame = decodeFrame(sealed.frame, 16384) as MessageFrame;
    rows.push({
      name,
      oursBytes: sealed.frame.length,
      jsonBytes: new TextEncoder().encode(jsonText).length,
      rfcBytes: rfc6940MessageSize(body, destinations),
      encodePerSec: perSecond(() =>
        encodeFrame({
          ...frame,
          envelope: encodeEnvelope({ ...envelope, body: encodeMessageBody(body) }),
        })
      ),
      decodePerSec: perSecond(() => {
        const f = decodeFrame(sealed.frame, 16384) as MessageFrame;
        decodeMessageBody(decodeEnvelope(f.envelope).body);
      }),
      signPerSec: perSecond(() =>
        signInDomain(SAMPLE_SENDER.privateKey, SignatureDomain.OverlayMessage, sealed.envelope)
      ),
      verifyPerSec: perSecond(() =>
        verifyInDomain(
          SAMPLE_SENDER.publicKeyRaw,
          SignatureDomain.OverlayMessage,
          sealed.envelope,
          sealed.signature,
        )
      ),
      jsonEncodePerSec: perSecond(() =>
        JSON.stringify(
          jsonable({
            ttl: 100,
            via: [],
            envelope: { ...envelope, body },
            signature: sealed.signature,
          }),
        )
      ),
      jsonDecodePerSec: perSecond(() => JSON.parse(jsonText)),
    });
  }
  return rows;
}
