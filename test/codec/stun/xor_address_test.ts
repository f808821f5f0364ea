import { test } from "uvu";
import * as assert from "uvu/assert";
import { StunAttribute } from "../../../src/codec/stun/constants.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  decodeMappedAddress,
  decodeXorAddress,
  encodeMappedAddress,
  encodeXorMappedAddress,
  encodeXorPeerAddress,
  encodeXorRelayedAddress,
  type StunAddress,
} from "../../../src/codec/stun/xor_address.ts";
import { built, hex, rawMessage, thrown, toHex } from "./rfc5769_vectors.ts";

const roundTrip = (address: StunAddress) =>
  decodeXorAddress(built((b) => encodeXorPeerAddress(b, address)), 0);

test("encodeXorPeerAddress() / decodeXorAddress() round-trip IPv4 and IPv6 addresses", () => {
  const cases: StunAddress[] = [
    { family: 4, host: "192.0.2.1", port: 32853 },
    { family: 4, host: "0.0.0.0", port: 0 },
    { family: 4, host: "255.255.255.255", port: 65535 },
    { family: 6, host: "2001:db8::1", port: 3478 },
    { family: 6, host: "::", port: 1 },
    { family: 6, host: "::1", port: 49152 },
    { family: 6, host: "fe80::1:2", port: 5 },
    { family: 6, host: "2001:db8:0:1:1:1:1:1", port: 6 },
    { family: 6, host: "1:2:3:4:5:6:7:8", port: 7 },
    { family: 6, host: "::ffff:192.0.2.7", port: 8 },
  ];
  for (const address of cases) assert.equal(roundTrip(address), address, address.host);
});

test("decodeXorAddress() gives RFC 5952 text for any IPv6 spelling", () => {
  const cases: Array<[string, string]> = [
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // first longest run
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"], // the longer run wins
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"], // a single zero group stays
    ["::0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1::", "1::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["::ffff:c000:0207", "::ffff:192.0.2.7"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["fe80::1%eth0", "fe80::1"], // the zone is dropped
  ];
  for (const [input, canonical] of cases) {
    assert.is(roundTrip({ family: 6, host: input, port: 1 }).host, canonical, input);
  }
});

test("encodeXorMappedAddress() XORs the port and IPv4 address with the magic cookie", () => {
  const message = built((b) =>
    encodeXorMappedAddress(b, { family: 4, host: "192.0.2.1", port: 32853 })
  );
  assert.is(message.attributeType(0), StunAttribute.XorMappedAddress);
  assert.is(toHex(message.value(0)), "0001a147e112a643"); // as in RFC 5769 2.2
});

test("decodeXorAddress() XORs an IPv6 address with the transaction id too", () => {
  const a = rawMessage(0x0017, [[StunAttribute.XorPeerAddress, hex("0002a147" + "00".repeat(16))]]);
  const b = rawMessage(
    0x0017,
    [[StunAttribute.XorPeerAddress, hex("0002a147" + "00".repeat(16))]],
    {
      transactionId: new Uint8Array(12),
    },
  );
  assert.is(
    decodeXorAddress(decodeStunMessage(a), 0).host,
    "2112:a442:b7e7:a701:bc34:d686:fa87:dfae",
  );
  assert.is(decodeXorAddress(decodeStunMessage(b), 0).host, "2112:a442::");
  assert.is(decodeXorAddress(decodeStunMessage(b), 0).port, 0x8055);
});

test("encodeXorRelayedAddress() and encodeMappedAddress() write their own types", () => {
  const address: StunAddress = { family: 6, host: "2001:db8::10", port: 49152 };
  const relayed = built((b) => encodeXorRelayedAddress(b, address));
  assert.is(relayed.attributeType(0), StunAttribute.XorRelayedAddress);
  assert.equal(decodeXorAddress(relayed, 0), address);
  const mapped = built((b) =>
    encodeMappedAddress(b, { family: 4, host: "192.0.2.1", port: 32853 })
  );
  assert.is(mapped.attributeType(0), StunAttribute.MappedAddress);
  assert.is(toHex(mapped.value(0)), "00018055c0000201"); // not XORed
  assert.equal(decodeMappedAddress(mapped, 0), { family: 4, host: "192.0.2.1", port: 32853 });
});

test("decodeXorAddress() ignores the reserved first byte", () => {
  const message = decodeStunMessage(
    rawMessage(1, [[StunAttribute.MappedAddress, hex("ff018055c0000201")]]),
  );
  assert.equal(decodeMappedAddress(message, 0), { family: 4, host: "192.0.2.1", port: 32853 });
});

test("decodeXorAddress() rejects a truncated address, a bad family and a wrong length", () => {
  const cases: Array<[string, RegExp]> = [
    ["0001a1", /3 bytes, truncated address/],
    ["0001a147e112a6", /7 bytes for an IPv4 address, not 8/],
    ["0001a147e112a64300000000", /12 bytes for an IPv4 address, not 8/],
    ["0002a147" + "00".repeat(12), /16 bytes for an IPv6 address, not 20/],
    ["0003a147e112a643", /address family 0x03/],
    ["0000a147e112a643", /address family 0x00/],
  ];
  for (const [value, pattern] of cases) {
    const message = decodeStunMessage(rawMessage(1, [[StunAttribute.XorPeerAddress, hex(value)]]));
    const error = thrown(() => decodeXorAddress(message, 0));
    assert.instance(error, StunDecodeError);
    assert.is((error as StunDecodeError).place, "XOR-PEER-ADDRESS at byte 20");
    assert.match((error as Error).message, pattern);
    assert.instance(thrown(() => decodeMappedAddress(message, 0)), StunDecodeError);
  }
});

test("encodeXorPeerAddress() refuses bad text, a bad port and a family that does not match", () => {
  const bad: Array<Record<string, unknown>> = [
    { family: 4, host: "192.0.2", port: 1 },
    { family: 4, host: "192.0.2.256", port: 1 },
    { family: 4, host: "192.0.02.1", port: 1 },
    { family: 4, host: "192.0.2.1 ", port: 1 },
    { family: 4, host: "", port: 1 },
    { family: 4, host: "::1", port: 1 },
    { family: 6, host: "192.0.2.1", port: 1 },
    { family: 6, host: "1:2:3:4:5:6:7:8:9", port: 1 },
    { family: 6, host: "1::2::3", port: 1 },
    { family: 6, host: "12345::", port: 1 },
    { family: 6, host: ":1", port: 1 },
    { family: 6, host: "1:", port: 1 },
    { family: 6, host: "1:2:3:4:5:6:7:1.2.3.4", port: 1 },
    { family: 6, host: "g::", port: 1 },
    { family: 6, host: "::1", port: 65536 },
    { family: 6, host: "::1", port: -1 },
    { family: 6, host: "::1", port: 1.5 },
    { family: 5, host: "::1", port: 1 },
  ];
  for (const address of bad) {
    const error = thrown(() =>
      built((b) => encodeXorPeerAddress(b, address as unknown as StunAddress))
    );
    assert.instance(error, StunEncodeError, JSON.stringify(address));
  }
});

test.run();
