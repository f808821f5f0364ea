import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeCbor } from "../../../src/codec/cbor/cbor_codec.ts";
import {
  OverlayDecodeError,
  OverlayEncodeError,
} from "../../../src/codec/overlay/overlay_errors.ts";
import {
  decodeTurnServiceValue,
  encodeTurnServiceValue,
  TurnServiceTransport,
} from "../../../src/codec/overlay/turn_service_value.ts";

const isEncodeError = (error: unknown) => error instanceof OverlayEncodeError;
const V4 = { ip: new Uint8Array([192, 0, 2, 1]), port: 3478 };
const V6 = { ip: new Uint8Array(16).fill(0x20, 0, 1), port: 5349 };

test("encodeTurnServiceValue() round-trips UDP, TCP and TLS addresses on IPv4 and IPv6", () => {
  const value = {
    iteration: 7,
    addresses: [
      { transport: TurnServiceTransport.Udp, address: V4 },
      { transport: TurnServiceTransport.Tcp, address: V4 },
      { transport: TurnServiceTransport.Tls, address: V6 },
    ],
  };
  const bytes = encodeTurnServiceValue(value);
  assert.ok(bytes.length <= 256, `fits TURN-SERVICE's max size: ${bytes.length} bytes`);
  assert.equal(decodeTurnServiceValue(bytes), value);
});

test("encodeTurnServiceValue() is the positional array [iteration, [[transport, [ip, port]]]]", () => {
  const bytes = encodeTurnServiceValue({
    iteration: 0,
    addresses: [{ transport: TurnServiceTransport.Udp, address: V4 }],
  });
  assert.equal(bytes, encodeCbor([0, [[1, [V4.ip, 3478]]]]));
});

test("encodeTurnServiceValue() refuses an iteration past uint8, no address, too many, an unknown transport", () => {
  const one = [{ transport: TurnServiceTransport.Udp, address: V4 }];
  assert.throws(
    () => encodeTurnServiceValue({ iteration: 256, addresses: one }),
    isEncodeError,
  );
  assert.throws(() => encodeTurnServiceValue({ iteration: 0, addresses: [] }), isEncodeError);
  assert.throws(
    () => encodeTurnServiceValue({ iteration: 0, addresses: Array(7).fill(one[0]) }),
    isEncodeError,
  );
  assert.throws(
    () =>
      encodeTurnServiceValue({
        iteration: 0,
        addresses: [{ transport: 9 as TurnServiceTransport, address: V4 }],
      }),
    isEncodeError,
  );
});

test("decodeTurnServiceValue() names the place of what is malformed", () => {
  const cases: [unknown, RegExp][] = [
    [[0, []], /turn\[1\]/],
    [[300, [[1, [V4.ip, 1]]]], /turn\[0\]/],
    [[0, [[4, [V4.ip, 1]]]], /turn\[1\]\[0\]\[0\]/],
    [[0, [[1, [new Uint8Array(5), 1]]]], /turn\[1\]\[0\]\[1\]\[0\]/],
    [[0, [[1, [V4.ip, 70000]]]], /turn\[1\]\[0\]\[1\]\[1\]/],
    [["x", [[1, [V4.ip, 1]]]], /turn\[0\]/],
  ];
  for (const [value, place] of cases) {
    const bytes = encodeCbor(value as Parameters<typeof encodeCbor>[0]);
    try {
      decodeTurnServiceValue(bytes);
      assert.unreachable(`decoded ${JSON.stringify(value)}`);
    } catch (error) {
      assert.instance(error, OverlayDecodeError);
      assert.match(String((error as Error).message), place);
    }
  }
  assert.throws(() => decodeTurnServiceValue(new Uint8Array([0xff, 0x00])));
});

test.run();
