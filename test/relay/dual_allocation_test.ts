// Dual allocations (RFC 8656 section 7.2: ADDITIONAL-ADDRESS-FAMILY): one allocation relaying on
// an IPv4 and an IPv6 address, each peer reached from the relay address of its own family.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  decodeAddressErrorCode,
  decodeStunMessage,
  decodeXorAddress,
  encodeAdditionalAddressFamily,
  encodeChannelNumber,
  encodeData,
  encodeLifetime,
  encodeRequestedAddressFamily,
  encodeXorPeerAddress,
  type StunAddress,
  StunAttribute,
  type StunMessage,
} from "../../src/codec/stun/mod.ts";
import type { TurnAction } from "../../src/relay/mod.ts";
import { errorOf, makeServer, TestClient, tupleOf } from "./turn_test_client.ts";

const RELAY_V6 = "2001:db8::1";
const PEER4: StunAddress = { family: 4, host: "203.0.113.5", port: 5004 };
const PEER6: StunAddress = { family: 6, host: "2001:db8:1::5", port: 5006 };
const REFRESH = 0x0004;
const SEND = 0x0016;
const CREATE_PERMISSION = 0x0008;
const CHANNEL_BIND = 0x0009;

function relayedAddresses(message: StunMessage): StunAddress[] {
  const out: StunAddress[] = [];
  for (let at = 0; at < message.attributeCount; at++) {
    if (message.attributeType(at) === StunAttribute.XorRelayedAddress) {
      out.push(decodeXorAddress(message, at));
    }
  }
  return out;
}

function dual() {
  const h = makeServer({ relayAddresses: { ipv4: "192.0.2.1", ipv6: RELAY_V6 } });
  const client = new TestClient(h.server, tupleOf());
  const allocated = client.allocate((b) => encodeAdditionalAddressFamily(b, 6));
  assert.is(errorOf(allocated.response), 0);
  const [v4, v6] = relayedAddresses(allocated.response!);
  return { ...h, client, allocated, v4: v4!, v6: v6! };
}

function sendTo(client: TestClient, peer: StunAddress): readonly TurnAction[] {
  return client.server.handle(
    client.build(SEND, (b) => {
      encodeXorPeerAddress(b, peer);
      encodeData(b, new Uint8Array([1, 2, 3]));
    }, { auth: false }),
    client.tuple,
  );
}

test("Allocate with ADDITIONAL-ADDRESS-FAMILY gives an IPv4 and an IPv6 relayed address, each bound", () => {
  const { allocated, v4, v6, server, metrics } = dual();
  assert.is(v4.family, 4);
  assert.is(v4.host, "192.0.2.1");
  assert.is(v6.family, 6);
  assert.is(v6.host, RELAY_V6);
  assert.is.not(v4.port, v6.port);
  assert.is(allocated.response!.indexOf(StunAttribute.AddressErrorCode), -1);
  const opens = allocated.actions.filter((a) => a.kind === "open-relay");
  assert.equal(opens.map((a) => a.kind === "open-relay" && [a.family, a.host, a.port]), [
    [4, "192.0.2.1", v4.port],
    [6, RELAY_V6, v6.port],
  ]);
  assert.is(server.table.byRelayPort(v4.port), server.table.byRelayPort(v6.port));
  assert.is(server.table.stats().allocations, 1);
  assert.is(metrics.value("superpeer_relay_allocations_created_total", { families: "dual" }), 1);
});

test("A dual allocation reaches each peer from the relay address of the peer's family", () => {
  const { client, server, v4, v6 } = dual();
  const permitted = client.request(CREATE_PERMISSION, (b) => {
    encodeXorPeerAddress(b, PEER4);
    encodeXorPeerAddress(b, PEER6);
  });
  assert.is(errorOf(permitted.response), 0);
  const to4 = sendTo(client, PEER4)[0]!;
  const to6 = sendTo(client, PEER6)[0]!;
  assert.ok(to4.kind === "to-peer" && to4.relayPort === v4.port);
  assert.ok(to6.kind === "to-peer" && to6.relayPort === v6.port);
  // From the IPv6 peer on the IPv6 relay port: a Data indication naming an IPv6 peer.
  const back = server.fromPeer(v6.port, PEER6, new Uint8Array([9]))!;
  const data = decodeStunMessage(back.buffer.subarray(0, back.length));
  assert.equal(decodeXorAddress(data, data.indexOf(StunAttribute.XorPeerAddress)), PEER6);
  // A channel to the IPv6 peer relays on the IPv6 port.
  assert.is(
    errorOf(
      client.request(CHANNEL_BIND, (b) => {
        encodeChannelNumber(b, 0x4006);
        encodeXorPeerAddress(b, PEER6);
      }).response,
    ),
    0,
  );
  const frame = new Uint8Array([0x40, 0x06, 0x00, 0x01, 7, 0, 0, 0]);
  assert.is(server.fromClientChannelData(client.tuple, frame)!.relayPort, v6.port);
});

test("Refresh with lifetime 0 and REQUESTED-ADDRESS-FAMILY IPv6 deletes only the IPv6 relay", () => {
  const { client, server, v4, v6 } = dual();
  const refreshed = client.request(REFRESH, (b) => {
    encodeRequestedAddressFamily(b, 6);
    encodeLifetime(b, 0);
  });
  assert.is(errorOf(refreshed.response), 0);
  assert.equal(refreshed.actions.filter((a) => a.kind === "close-relay"), [
    { kind: "close-relay", port: v6.port },
  ]);
  assert.is(server.table.byRelayPort(v6.port), undefined);
  assert.ok(server.table.byRelayPort(v4.port) !== undefined, "the IPv4 relay stays");
  // The IPv6 family is gone: a permission for an IPv6 peer is now a family mismatch (443).
  const refused = client.request(CREATE_PERMISSION, (b) => encodeXorPeerAddress(b, PEER6));
  assert.is(errorOf(refused.response), 443);
  // A plain Refresh 0 then deletes the rest.
  const gone = client.request(REFRESH, (b) => encodeLifetime(b, 0));
  assert.equal(gone.actions.filter((a) => a.kind === "close-relay"), [
    { kind: "close-relay", port: v4.port },
  ]);
  assert.is(server.table.stats().allocations, 0);
});

test("A dual allocation whose IPv6 port cannot be bound goes whole, its IPv4 socket closed", () => {
  const { server, v4, v6, allocated, client } = dual();
  const others = server.relayOpenFailed(v6.port);
  assert.equal(others, [{ kind: "close-relay", port: v4.port }]);
  assert.is(server.table.stats().allocations, 0);
  // A retransmission of the Allocate gets the 508 failure, not the success.
  const again = client.send(client.build(0x0003, () => {}, {
    transactionId: allocated.response!.transactionId,
  }));
  assert.is(errorOf(again.response), 508);
});

test("Without an IPv6 relay address, ADDITIONAL-ADDRESS-FAMILY gets IPv4 and ADDRESS-ERROR-CODE 440", () => {
  const h = makeServer();
  const client = new TestClient(h.server, tupleOf());
  const allocated = client.allocate((b) => encodeAdditionalAddressFamily(b, 6));
  assert.is(errorOf(allocated.response), 0);
  assert.is(relayedAddresses(allocated.response!).length, 1);
  const at = allocated.response!.indexOf(StunAttribute.AddressErrorCode);
  assert.equal(decodeAddressErrorCode(allocated.response!, at).code, 440);
});

test.run();
