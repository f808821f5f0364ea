import { test } from "uvu";
import * as assert from "uvu/assert";
import { WebSocketOpcode } from "../../../src/codec/websocket/constants.ts";
import {
  encodeWebSocketClose,
  encodeWebSocketFrame,
} from "../../../src/codec/websocket/frame_encoder.ts";
import {
  type WebSocketFrameHandlers,
  WebSocketFrameParser,
} from "../../../src/codec/websocket/frame_parser.ts";
import {
  WebSocketProtocolError,
  type WebSocketProtocolErrorReason,
} from "../../../src/codec/websocket/websocket_errors.ts";

type Event =
  | { type: "text" | "binary"; data: number[] }
  | { type: "ping" | "pong"; data: number[] }
  | { type: "close"; code: number | undefined; reason: string };

/** Handlers that record what the parser handed out (payloads copied). */
function recorder(): WebSocketFrameHandlers & { events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    message: (payload, kind) => events.push({ type: kind, data: [...payload] }),
    ping: (payload) => events.push({ type: "ping", data: [...payload] }),
    pong: (payload) => events.push({ type: "pong", data: [...payload] }),
    close: (code, reason) => events.push({ type: "close", code, reason }),
  };
}

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const HELLO = [0x48, 0x65, 0x6c, 0x6c, 0x6f];
const bytes = (...parts: (number[] | Uint8Array)[]) =>
  Uint8Array.from(parts.flatMap((p) => [...p]));

function parse(
  input: Uint8Array,
  init: ConstructorParameters<typeof WebSocketFrameParser>[0] = {},
  chunk = input.length,
): Event[] {
  const parser = new WebSocketFrameParser(init);
  const handlers = recorder();
  for (let at = 0; at < input.length; at += chunk) {
    parser.feed(input.subarray(at, at + chunk), handlers);
  }
  return handlers.events;
}

function refusal(
  input: Uint8Array,
  init: ConstructorParameters<typeof WebSocketFrameParser>[0] = {},
): WebSocketProtocolError {
  try {
    parse(input, init);
  } catch (error) {
    if (error instanceof WebSocketProtocolError) return error;
    throw error;
  }
  assert.unreachable("the input was accepted");
  throw new Error("unreachable");
}

test("WebSocketFrameParser reads RFC 6455 section 5.7's masked 'Hello' text frame", () => {
  const frame = bytes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  assert.equal(parse(frame), [{ type: "text", data: HELLO }]);
  assert.equal(encodeWebSocketFrame(WebSocketOpcode.Text, "Hello", { maskKey: MASK }), frame);
});

test("WebSocketFrameParser with masked: false reads section 5.7's unmasked frames (client side)", () => {
  const unmasked = bytes([0x81, 0x05], HELLO);
  const fragmented = bytes([0x01, 0x03, 0x48, 0x65, 0x6c], [0x80, 0x02, 0x6c, 0x6f]);
  const ping = bytes([0x89, 0x05], HELLO);
  assert.equal(parse(unmasked, { masked: false }), [{ type: "text", data: HELLO }]);
  assert.equal(parse(fragmented, { masked: false }), [{ type: "text", data: HELLO }]);
  assert.equal(parse(ping, { masked: false }), [{ type: "ping", data: HELLO }]);
  assert.equal(encodeWebSocketFrame(WebSocketOpcode.Text, "Hello"), unmasked);
  assert.equal(encodeWebSocketFrame(WebSocketOpcode.Ping, new Uint8Array(HELLO)), ping);
});

test("WebSocketFrameParser reads section 5.7's masked pong", () => {
  const pong = bytes([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  assert.equal(parse(pong), [{ type: "pong", data: HELLO }]);
});

test("encodeWebSocketFrame() uses 7-, 16- and 64-bit lengths as section 5.7 shows; the parser reads each", () => {
  for (
    const [length, header] of [
      [125, [0x82, 0x7d]],
      [126, [0x82, 0x7e, 0x00, 0x7e]],
      [256, [0x82, 0x7e, 0x01, 0x00]],
      [65535, [0x82, 0x7e, 0xff, 0xff]],
      [65536, [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]],
    ] as const
  ) {
    const payload = Uint8Array.from({ length }, (_, i) => i * 7);
    const frame = encodeWebSocketFrame(WebSocketOpcode.Binary, payload);
    assert.equal([...frame.subarray(0, header.length)], [...header], `header for ${length}`);
    assert.is(frame.length, header.length + length);
    const masked = encodeWebSocketFrame(WebSocketOpcode.Binary, payload, { maskKey: MASK });
    const events = parse(masked, { maxMessageBytes: 70_000 }, 1000);
    assert.is(events.length, 1);
    const got = events[0]!;
    // A boolean, not assert.equal: uvu's diff of a 64 KiB array takes minutes.
    assert.ok(
      got.type === "binary" && got.data.every((b, i) => b === payload[i]),
      `payload of ${length}`,
    );
    assert.ok(got.type === "binary" && got.data.length === length);
  }
});

test("WebSocketFrameParser reads a frame fed one byte at a time, and several frames in one chunk", () => {
  const input = bytes(
    encodeWebSocketFrame(WebSocketOpcode.Text, "REGISTER", { maskKey: MASK }),
    encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(300).fill(1), { maskKey: MASK }),
    encodeWebSocketFrame(WebSocketOpcode.Text, "", { maskKey: MASK }),
  );
  const expected: Event[] = [
    { type: "text", data: [...new TextEncoder().encode("REGISTER")] },
    { type: "binary", data: new Array(300).fill(1) },
    { type: "text", data: [] },
  ];
  assert.equal(parse(input, {}, 1), expected);
  assert.equal(parse(input), expected);
});

test("WebSocketFrameParser reassembles fragments with pings and pongs between them", () => {
  const m = { maskKey: MASK };
  const input = bytes(
    encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array([1, 2]), { ...m, fin: false }),
    encodeWebSocketFrame(WebSocketOpcode.Ping, new Uint8Array([9]), m),
    encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array([3]), { ...m, fin: false }),
    encodeWebSocketFrame(WebSocketOpcode.Pong, new Uint8Array(0), m),
    encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array(0), { ...m, fin: false }),
    encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array([4, 5]), m),
  );
  const expected: Event[] = [
    { type: "ping", data: [9] },
    { type: "pong", data: [] },
    { type: "binary", data: [1, 2, 3, 4, 5] },
  ];
  assert.equal(parse(input), expected);
  assert.equal(parse(input, {}, 3), expected);
});

test("WebSocketFrameParser checks UTF-8 over the whole message, so a character split across fragments passes", () => {
  const euro = [0xe2, 0x82, 0xac];
  const input = bytes(
    encodeWebSocketFrame(WebSocketOpcode.Text, new Uint8Array(euro.slice(0, 1)), {
      maskKey: MASK,
      fin: false,
    }),
    encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array(euro.slice(1)), {
      maskKey: MASK,
    }),
  );
  assert.equal(parse(input), [{ type: "text", data: euro }]);
});

test("WebSocketFrameParser reads close frames with and without a code, and nothing after them", () => {
  const after = encodeWebSocketFrame(WebSocketOpcode.Text, "late", { maskKey: MASK });
  assert.equal(parse(bytes(encodeWebSocketClose(1000, "bye", { maskKey: MASK }), after)), [
    { type: "close", code: 1000, reason: "bye" },
  ]);
  assert.equal(parse(encodeWebSocketClose(undefined, "", { maskKey: MASK })), [
    { type: "close", code: undefined, reason: "" },
  ]);
  assert.equal(parse(encodeWebSocketClose(4999, "", { maskKey: MASK })), [
    { type: "close", code: 4999, reason: "" },
  ]);
});

test("WebSocketFrameParser accepts a message of exactly the cap, in fragments too", () => {
  const m = { maskKey: MASK };
  assert.is(
    parse(encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(100), m), {
      maxMessageBytes: 100,
    }).length,
    1,
  );
  const split = bytes(
    encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(60), { ...m, fin: false }),
    encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array(40), m),
  );
  assert.is(parse(split, { maxMessageBytes: 100 }).length, 1);
});

test("WebSocketFrameParser releases a message buffer over 8 KiB after its message", () => {
  const parser = new WebSocketFrameParser();
  const handlers = recorder();
  parser.feed(
    encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(100), { maskKey: MASK }),
    handlers,
  );
  assert.is(parser.capacity, 1024);
  const big = encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(20_000), {
    maskKey: MASK,
  });
  parser.feed(big.subarray(0, 5000), handlers);
  assert.is(parser.capacity, 20_000);
  assert.is(parser.buffered, 5000);
  parser.feed(big.subarray(5000), handlers);
  assert.is(parser.capacity, 0);
  assert.is(parser.buffered, 0);
  assert.is(handlers.events.length, 2);
});

const m = { maskKey: MASK };
const REFUSALS: [string, Uint8Array, WebSocketProtocolErrorReason, number][] = [
  ["an unmasked client frame", bytes([0x81, 0x05], HELLO), "MASK", 1002],
  ["RSV1 set", bytes([0xc1, 0x80], MASK), "RESERVED_BITS", 1002],
  ["RSV3 set", bytes([0x92, 0x80], MASK), "RESERVED_BITS", 1002],
  ["data opcode 0x3", bytes([0x83, 0x80], MASK), "OPCODE", 1002],
  ["control opcode 0xb", bytes([0x8b, 0x80], MASK), "OPCODE", 1002],
  ["a 16-bit length under 126", bytes([0x82, 0xfe, 0x00, 0x7d], MASK), "LENGTH", 1002],
  [
    "a 64-bit length under 65536",
    bytes([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff], MASK),
    "LENGTH",
    1002,
  ],
  [
    "a 64-bit length with its top bit set",
    bytes([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0], MASK),
    "LENGTH",
    1002,
  ],
  [
    "a 64-bit length of 2^62",
    bytes([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0], MASK),
    "TOO_BIG",
    1009,
  ],
  ["a fragmented ping", bytes([0x09, 0x80], MASK), "CONTROL_FRAME", 1002],
  ["a ping of 126 bytes", bytes([0x89, 0xfe, 0x00, 0x7e], MASK), "CONTROL_FRAME", 1002],
  ["a close of 126 bytes", bytes([0x88, 0xfe, 0x00, 0x7e], MASK), "CONTROL_FRAME", 1002],
  [
    "a continuation first",
    encodeWebSocketFrame(WebSocketOpcode.Continuation, "x", m),
    "FRAGMENT",
    1002,
  ],
  [
    "a new message inside a fragmented one",
    bytes(
      encodeWebSocketFrame(WebSocketOpcode.Text, "a", { ...m, fin: false }),
      encodeWebSocketFrame(WebSocketOpcode.Binary, "b", m),
    ),
    "FRAGMENT",
    1002,
  ],
  [
    "a close of 1 byte",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([3]), m),
    "CLOSE_PAYLOAD",
    1002,
  ],
  [
    "close code 1005",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([0x03, 0xed]), m),
    "CLOSE_PAYLOAD",
    1002,
  ],
  [
    "close code 999",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([0x03, 0xe7]), m),
    "CLOSE_PAYLOAD",
    1002,
  ],
  [
    "close code 2000",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([0x07, 0xd0]), m),
    "CLOSE_PAYLOAD",
    1002,
  ],
  [
    "close code 5000",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([0x13, 0x88]), m),
    "CLOSE_PAYLOAD",
    1002,
  ],
  [
    "a close reason that is not UTF-8",
    encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array([0x03, 0xe8, 0xc0, 0xaf]), m),
    "UTF8",
    1007,
  ],
  [
    "text that is not UTF-8",
    encodeWebSocketFrame(WebSocketOpcode.Text, new Uint8Array([0x68, 0xff]), m),
    "UTF8",
    1007,
  ],
  [
    "text ending in a truncated character",
    encodeWebSocketFrame(WebSocketOpcode.Text, new Uint8Array([0xe2, 0x82]), m),
    "UTF8",
    1007,
  ],
  [
    "a message over the cap",
    encodeWebSocketFrame(WebSocketOpcode.Text, "x".repeat(65537), m),
    "TOO_BIG",
    1009,
  ],
  [
    "fragments that add up past the cap",
    bytes(
      encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(40_000), { ...m, fin: false }),
      encodeWebSocketFrame(WebSocketOpcode.Continuation, new Uint8Array(30_000), m),
    ),
    "TOO_BIG",
    1009,
  ],
];

for (const [what, input, reason, closeCode] of REFUSALS) {
  test(`WebSocketFrameParser refuses ${what} with ${closeCode}`, () => {
    const error = refusal(input);
    assert.is(error.reason, reason);
    assert.is(error.closeCode, closeCode);
    assert.is(error.code, "WEBSOCKET_PROTOCOL");
  });
}

test("WebSocketFrameParser with masked: false refuses a masked frame", () => {
  const error = refusal(encodeWebSocketFrame(WebSocketOpcode.Text, "x", m), { masked: false });
  assert.is(error.reason, "MASK");
});

test("WebSocketFrameParser refuses an oversized frame from its header, before buffering any payload", () => {
  const parser = new WebSocketFrameParser({ maxMessageBytes: 1000 });
  const frame = encodeWebSocketFrame(WebSocketOpcode.Binary, new Uint8Array(1001), m);
  assert.throws(
    () => parser.feed(frame.subarray(0, 8), recorder()),
    (e: unknown) => e instanceof WebSocketProtocolError && e.reason === "TOO_BIG",
  );
  assert.is(parser.capacity, 0);
});

test("WebSocketFrameParser refuses all input after a refusal, with the same error", () => {
  const parser = new WebSocketFrameParser();
  const handlers = recorder();
  let first: unknown;
  try {
    parser.feed(bytes([0x81, 0x05], HELLO), handlers);
  } catch (error) {
    first = error;
  }
  assert.instance(first, WebSocketProtocolError);
  assert.throws(
    () => parser.feed(encodeWebSocketFrame(WebSocketOpcode.Text, "ok", m), handlers),
    (e: unknown) => e === first,
  );
  assert.equal(handlers.events, []);
});

test("new WebSocketFrameParser() refuses a cap out of range", () => {
  for (const maxMessageBytes of [0, 1.5, 16 * 1024 * 1024 + 1]) {
    assert.throws(
      () => new WebSocketFrameParser({ maxMessageBytes }),
      (e: unknown) => e instanceof RangeError,
    );
  }
});

test("encodeWebSocketFrame() and encodeWebSocketClose() refuse what may not be sent", () => {
  const range = (e: unknown) => e instanceof RangeError;
  assert.throws(() => encodeWebSocketFrame(3 as WebSocketOpcode, "x"), range);
  assert.throws(() => encodeWebSocketFrame(WebSocketOpcode.Ping, new Uint8Array(126)), range);
  assert.throws(() => encodeWebSocketFrame(WebSocketOpcode.Ping, "", { fin: false }), range);
  assert.throws(
    () => encodeWebSocketFrame(WebSocketOpcode.Text, "", { maskKey: new Uint8Array(3) }),
    range,
  );
  assert.throws(() => encodeWebSocketClose(1005), range);
  assert.throws(() => encodeWebSocketClose(1000, "x".repeat(124)), range);
  assert.throws(() => encodeWebSocketClose(undefined, "reason"), range);
  assert.equal([...encodeWebSocketClose(1001)], [0x88, 0x02, 0x03, 0xe9]);
  assert.is(encodeWebSocketClose(1000, "x".repeat(123)).length, 2 + 125);
});

test.run();
