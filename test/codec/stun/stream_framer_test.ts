import { test } from "uvu";
import * as assert from "uvu/assert";
import { isChannelData } from "../../../src/codec/stun/channel_data.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunStreamFramer } from "../../../src/codec/stun/stream_framer.ts";
import { StunDecodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  hex,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_LONG_TERM_REQUEST,
  SAMPLE_REQUEST,
  thrown,
  toHex,
} from "./rfc5769_vectors.ts";

const CD5 = hex("40010005 0102030405 000000"); // padded to 12
const CD0 = hex("40020000");
const CD4 = hex("40030004 aabbccdd");
const FRAMES = [SAMPLE_REQUEST, CD5, SAMPLE_IPV4_RESPONSE, CD0, CD4, SAMPLE_LONG_TERM_REQUEST, CD0];
const STREAM = concat(FRAMES);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds `stream` cut at `cuts` and returns the frames (copied) as hex. */
function frames(
  stream: Uint8Array,
  cuts: readonly number[],
  framer = new StunStreamFramer(),
): string[] {
  const out: string[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    framer.feed(stream.subarray(from, to), (frame) => out.push(toHex(frame)));
    from = to;
  }
  return out;
}

const EXPECTED = FRAMES.map(toHex);

test("StunStreamFramer.feed() delivers several coalesced frames from one chunk", () => {
  assert.equal(frames(STREAM, []), EXPECTED);
});

test("StunStreamFramer.feed() reassembles frames split at every byte", () => {
  const framer = new StunStreamFramer();
  assert.equal(
    frames(STREAM, Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1), framer),
    EXPECTED,
  );
  assert.is(framer.buffered, 0);
});

test("StunStreamFramer.feed() reassembles the stream cut anywhere into two or three chunks", () => {
  for (let a = 0; a <= STREAM.length; a++) {
    assert.equal(frames(STREAM, [a]), EXPECTED, `cut at ${a}`);
    const b = (a * 37) % (STREAM.length + 1);
    assert.equal(frames(STREAM, [Math.min(a, b), Math.max(a, b)]), EXPECTED, `cuts at ${a}, ${b}`);
  }
});

test("StunStreamFramer.feed() hands out whole in-chunk frames as views, without copying", () => {
  const chunk = STREAM.slice();
  const views: Uint8Array[] = [];
  new StunStreamFramer().feed(chunk, (frame) => views.push(frame));
  assert.ok(views.every((v) => v.buffer === chunk.buffer));
  assert.ok(isChannelData(views[1]!));
  assert.is(decodeStunMessage(views[0]!).attributeCount, 6);
});

test("StunStreamFramer.feed() keeps a partial frame and reports how much it holds", () => {
  const framer = new StunStreamFramer();
  const out: Uint8Array[] = [];
  framer.feed(SAMPLE_REQUEST.subarray(0, 30), (f) => out.push(f));
  assert.is(out.length, 0);
  assert.is(framer.buffered, 30);
  framer.feed(SAMPLE_REQUEST.subarray(30), (f) => out.push(f.slice()));
  assert.is(framer.buffered, 0);
  assert.is(toHex(out[0]!), toHex(SAMPLE_REQUEST));
});

test("StunStreamFramer refuses a frame over maxFrameBytes before buffering it, then stays refused", () => {
  const framer = new StunStreamFramer({ maxFrameBytes: 80 });
  assert.equal(frames(concat([SAMPLE_IPV4_RESPONSE]), [], framer), [toHex(SAMPLE_IPV4_RESPONSE)]);
  const error = thrown(() => framer.feed(SAMPLE_REQUEST.subarray(0, 4), () => {}));
  assert.instance(error, StunDecodeError);
  assert.is((error as StunDecodeError).place, "stream frame");
  assert.match((error as Error).message, /frame of 108 bytes exceeds the 80-byte limit/);
  assert.is(thrown(() => framer.feed(CD0, () => {})), error);
  framer.reset();
  assert.equal(frames(CD0, [], framer), [toHex(CD0)]);
  // A ChannelData length of 0xffff is 65540 bytes with padding, not a 16-bit wraparound to 4.
  assert.match(
    (thrown(() => new StunStreamFramer().feed(hex("4001ffff"), () => {})) as Error).message,
    /frame of 65540 bytes exceeds the 4096-byte limit/,
  );
});

test("StunStreamFramer accepts the largest frames when configured for them", () => {
  const framer = new StunStreamFramer({ maxFrameBytes: 65552 });
  const cd = new Uint8Array(65540);
  cd.set(hex("4001ffff"));
  const stun = new Uint8Array(65552);
  stun.set(hex("0017fffc2112a442"));
  assert.equal(frames(concat([cd, stun]), [3, 70000], framer).map((h) => h.length / 2), [
    65540,
    65552,
  ]);
});

test("StunStreamFramer refuses bytes that start neither STUN nor ChannelData", () => {
  const cases: Array<[Uint8Array, RegExp]> = [
    [hex("80"), /first byte 0x80 starts neither/],
    [hex("c0000000"), /first byte 0xc0/],
    [hex("00010002"), /STUN length 2 is not a multiple of 4/],
    [hex("00010000 2112a443 000000000000000000000000"), /magic cookie 0x2112a443/],
    [new TextEncoder().encode("GET / HTTP/1.1\r\n"), /frame of 21540 bytes exceeds/],
  ];
  for (const [bytes, pattern] of cases) {
    const error = thrown(() => new StunStreamFramer().feed(bytes, () => {}));
    assert.instance(error, StunDecodeError);
    assert.match((error as Error).message, pattern);
  }
  // The same checks hold when the bad bytes come after a good frame and are split.
  const seen: string[] = [];
  const framer = new StunStreamFramer();
  const bad = concat([CD0, hex("00010000 2112a443 0000000000000000 00000000")]);
  const error = thrown(() => {
    for (const [from, to] of [[0, 6], [6, 9], [9, bad.length]]) {
      framer.feed(bad.subarray(from, to), (frame) => seen.push(toHex(frame)));
    }
  });
  assert.instance(error, StunDecodeError);
  assert.match((error as Error).message, /magic cookie/);
  assert.equal(seen, [toHex(CD0)]);
});

test("StunStreamFramer stops for good when a frame handler throws", () => {
  const framer = new StunStreamFramer();
  const boom = new Error("handler failed");
  assert.is(
    thrown(() =>
      framer.feed(STREAM, () => {
        throw boom;
      })
    ),
    boom,
  );
  const error = thrown(() => framer.feed(CD0, () => {}));
  assert.instance(error, StunDecodeError);
  assert.match((error as Error).message, /frame handler threw/);
});

test("StunStreamFramer rejects a maxFrameBytes outside 20-65552", () => {
  for (const maxFrameBytes of [19, 65553, 100.5]) {
    assert.instance(thrown(() => new StunStreamFramer({ maxFrameBytes })), RangeError);
  }
});

test.run();
