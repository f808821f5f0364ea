import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import { decodeFrame, encodeFrame, type MessageFrame } from "../../src/codec/overlay/frame.ts";
import { generateNodeKey } from "../../src/identity/node_key.ts";
import {
  type AdmissionVerifier,
  MessageSecurityError,
  openMessage,
  sealMessage,
} from "../../src/overlay/message_security.ts";
import { ReplayGuard } from "../../src/overlay/replay_guard.ts";
import { OverlayDecodeError } from "../../src/codec/overlay/overlay_errors.ts";

const key = generateNodeKey();
const other = generateNodeKey();
const NOW = 1_764_000_000;
const acceptAll: AdmissionVerifier = { check: () => {} };
const refuseAll: AdmissionVerifier = {
  check: () => {
    throw new Error("no certificate");
  },
};

function sealed(overrides: { sentAt?: number; overlayId?: number } = {}) {
  const { frame } = sealMessage({
    key,
    overlayId: overrides.overlayId ?? 0x1234,
    transactionId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
    destinations: [{ type: "node", id: other.nodeId }],
    sentAt: overrides.sentAt ?? NOW,
    admission: { type: "none" },
    body: { code: MessageCode.PingReq, padding: new Uint8Array(3) },
  });
  return decodeFrame(frame) as MessageFrame;
}

function refusal(
  frame: MessageFrame,
  context: Partial<Parameters<typeof openMessage>[1]> = {},
): string {
  try {
    openMessage(frame, { overlayId: 0x1234, admission: acceptAll, nowSeconds: NOW, ...context });
  } catch (error) {
    if (error instanceof MessageSecurityError) return error.reason;
    if (error instanceof OverlayDecodeError) return `decode:${error.place}`;
    throw error;
  }
  return "accepted";
}

test("openMessage accepts what sealMessage made and names the sender's node id", () => {
  const opened = openMessage(sealed(), {
    overlayId: 0x1234,
    admission: acceptAll,
    nowSeconds: NOW,
  });
  assert.equal(opened.body, { code: MessageCode.PingReq, padding: new Uint8Array(3) });
  assert.equal(opened.senderNodeId, key.nodeId);
  assert.equal(opened.envelope.destinations, [{ type: "node", id: other.nodeId }]);
});

test("openMessage refuses a message whose envelope was altered by one bit", () => {
  const frame = sealed();
  const envelope = frame.envelope.slice();
  envelope[envelope.length - 1]! ^= 0x01; // last byte of the ping padding
  assert.is(refusal({ ...frame, envelope }), "bad-signature");
});

test("openMessage refuses a valid signature from a key other than the sender key", () => {
  const frame = sealed();
  const forged = sealMessage({
    key: other,
    overlayId: 0x1234,
    transactionId: new Uint8Array(8),
    destinations: [{ type: "node", id: key.nodeId }],
    sentAt: NOW,
    admission: { type: "none" },
    body: { code: MessageCode.PingReq, padding: new Uint8Array(3) },
  });
  assert.is(refusal({ ...frame, signature: forged.signature }), "bad-signature");
});

test("openMessage refuses another overlay, stale and future messages", () => {
  assert.is(refusal(sealed({ overlayId: 0x9999 })), "wrong-overlay");
  assert.is(refusal(sealed({ sentAt: NOW - 301 })), "stale");
  assert.is(refusal(sealed({ sentAt: NOW + 301 })), "future");
});

test("openMessage refuses a sender the admission policy does not admit", () => {
  assert.is(refusal(sealed(), { admission: refuseAll }), "not-admitted");
});

test("openMessage with a replay guard accepts a transaction once", () => {
  const clock = new ManualClock(NOW * 1000);
  const replay = new ReplayGuard({ windowSeconds: 300 }, { clock });
  const frame = sealed();
  assert.is(refusal(frame, { replay }), "accepted");
  assert.is(refusal(frame, { replay }), "duplicate");
});

test("openMessage: per-hop fields may change without breaking the signature", () => {
  const frame = sealed();
  const forwarded = decodeFrame(
    encodeFrame({ ...frame, ttl: 42, via: [{ type: "node", id: other.nodeId }] }),
  ) as MessageFrame;
  assert.is(refusal(forwarded), "accepted");
});

test.run();
