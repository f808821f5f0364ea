import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  checkFingerprint,
  checkMessageIntegrity,
  decodeChannelDataHeader,
  decodeData,
  decodeLifetime,
  decodeReservationToken,
  decodeStunMessage,
  decodeUnknownAttributes,
  decodeXorAddress,
  encodeChannelNumber,
  encodeData,
  encodeDontFragment,
  encodeEvenPort,
  encodeLifetime,
  encodeRequestedAddressFamily,
  encodeRequestedTransport,
  encodeReservationToken,
  encodeXorPeerAddress,
  type StunAddress,
  StunAttribute,
  StunMessageBuilder,
} from "../../src/codec/stun/mod.ts";
import {
  CHANNEL_LIFETIME_S,
  CHANNEL_QUARANTINE_S,
  PERMISSION_LIFETIME_S,
  RestCredentialStore,
  type TurnAction,
} from "../../src/relay/mod.ts";
import {
  errorOf,
  makeServer,
  newTransactionId,
  REALM,
  RELAY_V4,
  TestClient,
  tupleOf,
} from "./turn_test_client.ts";

const ALLOCATE = 0x0003;
const REFRESH = 0x0004;
const SEND = 0x0016;
const CREATE_PERMISSION = 0x0008;
const CHANNEL_BIND = 0x0009;
const BINDING = 0x0001;
const PEER = { family: 4 as const, host: "203.0.113.5", port: 5004 };

function ready(init = {}) {
  const h = makeServer(init);
  const client = new TestClient(h.server, tupleOf());
  const allocated = client.allocate();
  assert.is(errorOf(allocated.response), 0);
  const relayed = decodeXorAddress(
    allocated.response!,
    allocated.response!.indexOf(StunAttribute.XorRelayedAddress),
  );
  return { ...h, client, relayPort: relayed.port };
}

function permit(client: TestClient, peer: StunAddress = PEER) {
  return client.request(CREATE_PERMISSION, (b) => encodeXorPeerAddress(b, peer));
}

function bind(client: TestClient, channel: number, peer: StunAddress = PEER) {
  return client.request(CHANNEL_BIND, (b) => {
    encodeChannelNumber(b, channel);
    encodeXorPeerAddress(b, peer);
  });
}

function sendIndication(client: TestClient, payload: Uint8Array, peer: StunAddress = PEER) {
  return client.server.handle(
    client.build(SEND, (b) => {
      encodeXorPeerAddress(b, peer);
      encodeData(b, payload);
    }, { auth: false }),
    client.tuple,
  );
}

function kinds(actions: readonly TurnAction[]): string[] {
  return actions.map((a) => a.kind);
}

test("TurnServer.handle() answers Binding with XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf(40000, "198.51.100.9"));
  const { response } = client.request(BINDING, () => {}, { auth: false, fingerprint: true });
  assert.ok(response);
  assert.is(response.type, 0x0101);
  const mapped = decodeXorAddress(response, response.indexOf(StunAttribute.XorMappedAddress));
  assert.equal(mapped, { family: 4, host: "198.51.100.9", port: 40000 });
  assert.ok(response.has(StunAttribute.Software));
  assert.ok(checkFingerprint(response));
  const plain = client.request(BINDING, () => {}, { auth: false });
  assert.is(plain.response!.fingerprintIndex, -1);
});

test("TurnServer.handle() allocates after a 401 challenge with a valid MESSAGE-INTEGRITY", () => {
  const { server, metrics } = makeServer();
  const client = new TestClient(server, tupleOf());
  const first = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  assert.is(errorOf(first.response), 401);
  assert.ok(first.response!.has(StunAttribute.Realm));
  assert.ok(first.response!.has(StunAttribute.Nonce));
  assert.is(first.response!.integrityIndex, -1);
  const second = client.request(ALLOCATE, (b) => {
    encodeRequestedTransport(b, 17);
    encodeLifetime(b, 1200);
  }, { fingerprint: true });
  const response = second.response!;
  assert.is(response.type, 0x0103);
  assert.ok(checkMessageIntegrity(response, client.key));
  assert.ok(checkFingerprint(response));
  const relayed = decodeXorAddress(response, response.indexOf(StunAttribute.XorRelayedAddress));
  assert.is(relayed.host, RELAY_V4);
  assert.ok(relayed.port >= 61000 && relayed.port <= 65535);
  assert.is(decodeLifetime(response, response.indexOf(StunAttribute.Lifetime)), 1200);
  const mapped = decodeXorAddress(response, response.indexOf(StunAttribute.XorMappedAddress));
  assert.equal(mapped, {
    family: 4,
    host: client.tuple.client.host,
    port: client.tuple.client.port,
  });
  assert.equal(kinds(second.actions), ["open-relay", "send"]);
  const open = second.actions[0]!;
  assert.ok(open.kind === "open-relay" && open.port === relayed.port && open.host === RELAY_V4);
  assert.is(errorOf(open.kind === "open-relay" ? decodeStunMessage(open.failure) : undefined), 508);
  assert.is(server.table.size, 1);
  assert.is(metrics.value("superpeer_relay_allocations"), 1);
  assert.is(metrics.value("superpeer_relay_refused_total", { reason: "unauthenticated" }), 1);
});

test("TurnServer.handle() clamps the Allocate lifetime to 600-3600 s", () => {
  for (const [asked, granted] of [[60, 600], [0, 600], [7200, 3600], [777, 777]]) {
    const { server } = makeServer();
    const client = new TestClient(server, tupleOf());
    const { response } = client.allocate((b) => encodeLifetime(b, asked!));
    assert.is(decodeLifetime(response!, response!.indexOf(StunAttribute.Lifetime)), granted);
  }
});

test("TurnServer.handle() answers 401 to a wrong password and an unknown user", () => {
  const { server } = makeServer();
  const wrong = new TestClient(server, tupleOf(1), "alice", "bad");
  assert.is(errorOf(wrong.allocate().response), 401);
  const unknown = new TestClient(server, tupleOf(2), "mallory", "x");
  const { response } = unknown.allocate();
  assert.is(errorOf(response), 401);
  assert.ok(response!.has(StunAttribute.Nonce));
  assert.is(response!.integrityIndex, -1);
});

test("TurnServer.handle() answers 400 to MESSAGE-INTEGRITY without NONCE", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf());
  const b = new StunMessageBuilder().begin(ALLOCATE, newTransactionId());
  encodeRequestedTransport(b, 17);
  const { response } = client.send(b.finish({ integrityKey: client.key }).slice());
  assert.is(errorOf(response), 400);
  assert.is(response!.integrityIndex, -1);
});

test("TurnServer.handle() answers 438 with a fresh nonce to a stale one, then accepts it", () => {
  const { server, clock } = makeServer({ nonceLifetimeSeconds: 60 });
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  const old = client.nonce;
  clock.advance(61_000);
  const stale = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  assert.is(errorOf(stale.response), 438);
  assert.ok(stale.response!.has(StunAttribute.Realm));
  assert.is.not(client.nonce, old);
  const retried = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  assert.is(errorOf(retried.response), 0);
  const forged = new TestClient(server, tupleOf(2));
  const bad = forged.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), {
    nonce: "0".repeat(52),
  });
  assert.is(errorOf(bad.response), 438);
});

test("TurnServer.handle() takes TURN REST credentials until they expire", () => {
  const h0 = makeServer();
  const rest = new RestCredentialStore({ secrets: ["old", "north"] }, { clock: h0.clock });
  const h = makeServer({}, { credentials: rest, clock: h0.clock });
  const minted = new RestCredentialStore({ secrets: ["north"] }, { clock: h0.clock }).mint(
    "carol",
    {
      ttlSeconds: 60,
    },
  );
  const client = new TestClient(h.server, tupleOf(), minted.username, minted.password);
  assert.is(errorOf(client.allocate().response), 0);
  h0.clock.advance(61_000);
  const late = new TestClient(h.server, tupleOf(2), minted.username, minted.password);
  assert.is(errorOf(late.allocate().response), 401);
  // the allocation keeps its key: a refresh after the credential's expiry still works
  assert.is(errorOf(client.request(REFRESH).response), 0);
});

test("TurnServer.handle() answers 437 to a second Allocate and the same answer to a retransmission", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  const id = newTransactionId();
  const request = client.build(ALLOCATE, (b) => encodeRequestedTransport(b, 17), {
    transactionId: id,
  });
  const first = client.send(request);
  const again = client.send(request);
  assert.equal(again.bytes, first.bytes);
  assert.equal(kinds(again.actions), ["send"]);
  const other = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  assert.is(errorOf(other.response), 437);
  assert.ok(checkMessageIntegrity(other.response!, client.key));
});

test("TurnServer.handle() forgets retransmissions after 40 s", () => {
  const { server, clock } = makeServer();
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  const request = client.build(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  client.send(request);
  clock.advance(41_000);
  server.sweep();
  assert.is(errorOf(client.send(request).response), 437);
});

test("TurnServer.handle() answers Allocate errors 400, 442, 420, 440 per RFC 8656 section 7.2", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, () => {}, { auth: false });
  assert.is(errorOf(client.request(ALLOCATE).response), 400);
  assert.is(errorOf(client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 6)).response), 442);
  const df = client.request(ALLOCATE, (b) => {
    encodeRequestedTransport(b, 17);
    encodeDontFragment(b);
  });
  assert.is(errorOf(df.response), 420);
  assert.equal(
    decodeUnknownAttributes(df.response!, df.response!.indexOf(StunAttribute.UnknownAttributes)),
    [StunAttribute.DontFragment],
  );
  const v6 = client.request(ALLOCATE, (b) => {
    encodeRequestedTransport(b, 17);
    encodeRequestedAddressFamily(b, 6);
  });
  assert.is(errorOf(v6.response), 440);
  const both = client.request(ALLOCATE, (b) => {
    encodeRequestedTransport(b, 17);
    encodeEvenPort(b, false);
    encodeReservationToken(b, new Uint8Array(8));
  });
  assert.is(errorOf(both.response), 400);
  const badToken = client.request(ALLOCATE, (b) => {
    encodeRequestedTransport(b, 17);
    encodeReservationToken(b, new Uint8Array(8));
  });
  assert.is(errorOf(badToken.response), 508);
});

test("TurnServer.handle() reserves the next port for EVEN-PORT R=1 and honours the token", () => {
  const { server } = makeServer();
  const rtp = new TestClient(server, tupleOf(1));
  const { response } = rtp.allocate((b) => encodeEvenPort(b, true));
  const relayed = decodeXorAddress(response!, response!.indexOf(StunAttribute.XorRelayedAddress));
  assert.is(relayed.port % 2, 0);
  const token = decodeReservationToken(response!, response!.indexOf(StunAttribute.ReservationToken))
    .slice();
  const rtcp = new TestClient(server, tupleOf(2));
  const second = rtcp.allocate((b) => encodeReservationToken(b, token));
  const port = decodeXorAddress(
    second.response!,
    second.response!.indexOf(StunAttribute.XorRelayedAddress),
  ).port;
  assert.is(port, relayed.port + 1);
  const third = new TestClient(server, tupleOf(3)).allocate((b) =>
    encodeReservationToken(b, token)
  );
  assert.is(errorOf(third.response), 508);
});

test("TurnServer.handle() answers 508 when EVEN-PORT cannot be satisfied", () => {
  const { server } = makeServer({ minRelayPort: 61001, maxRelayPort: 61001 });
  const client = new TestClient(server, tupleOf());
  assert.is(errorOf(client.allocate((b) => encodeEvenPort(b, false)).response), 508);
  assert.is(errorOf(client.allocate().response), 0);
  assert.is(errorOf(new TestClient(server, tupleOf(2)).allocate().response), 508);
});

test("TurnServer.handle() answers 486 per user and per client IP, 508 at the total", () => {
  const { server, metrics } = makeServer({
    maxAllocationsPerUser: 2,
    maxAllocationsPerClientIp: 3,
    maxAllocations: 4,
  });
  assert.is(errorOf(new TestClient(server, tupleOf(1)).allocate().response), 0);
  assert.is(errorOf(new TestClient(server, tupleOf(2)).allocate().response), 0);
  assert.is(errorOf(new TestClient(server, tupleOf(3)).allocate().response), 486);
  assert.is(errorOf(new TestClient(server, tupleOf(3), "bob").allocate().response), 0);
  assert.is(errorOf(new TestClient(server, tupleOf(4), "bob").allocate().response), 486);
  assert.is(
    errorOf(new TestClient(server, tupleOf(5, "198.51.100.8"), "bob").allocate().response),
    0,
  );
  assert.is(
    errorOf(new TestClient(server, tupleOf(6, "198.51.100.9"), "bob").allocate().response),
    508,
  );
  assert.is(metrics.value("superpeer_relay_refused_total", { reason: "quota_user" }), 1);
  assert.is(metrics.value("superpeer_relay_refused_total", { reason: "quota_client_ip" }), 1);
  assert.is(metrics.value("superpeer_relay_refused_total", { reason: "quota_total" }), 1);
});

test("TurnServer.handle() refreshes, deletes with lifetime 0, and answers 437 and 441", () => {
  const { server, client, relayPort, clock } = ready();
  const refreshed = client.request(REFRESH, (b) => encodeLifetime(b, 100));
  assert.is(
    decodeLifetime(refreshed.response!, refreshed.response!.indexOf(StunAttribute.Lifetime)),
    600,
  );
  assert.ok(checkMessageIntegrity(refreshed.response!, client.key));
  clock.advance(599_000);
  assert.equal(server.sweep(), []);
  const mismatch = client.request(REFRESH, () => {}, { username: "bob" });
  assert.is(errorOf(mismatch.response), 441);
  const family = client.request(REFRESH, (b) => encodeRequestedAddressFamily(b, 6));
  assert.is(errorOf(family.response), 443);
  const deleted = client.request(REFRESH, (b) => encodeLifetime(b, 0));
  assert.is(errorOf(deleted.response), 0);
  assert.equal(deleted.actions[0], { kind: "close-relay", port: relayPort });
  assert.is(server.table.size, 0);
  assert.is(errorOf(client.request(REFRESH).response), 437);
});

test("TurnServer.sweep() closes the relay of an expired allocation", () => {
  const { server, clock, relayPort, client } = ready();
  clock.advance(600_000);
  assert.equal(server.sweep(), [{ kind: "close-relay", port: relayPort }]);
  assert.is(server.table.size, 0);
  assert.is(errorOf(client.request(REFRESH).response), 437);
});

test("TurnServer.handle() answers CreatePermission with 400, 403, 443 and 508", () => {
  const { server, client } = ready({ maxPermissionsPerAllocation: 2 });
  assert.is(errorOf(client.request(CREATE_PERMISSION).response), 400);
  assert.is(errorOf(permit(client, { family: 4, host: "127.0.0.1", port: 1 }).response), 403);
  assert.is(
    errorOf(permit(client, { family: 6, host: "2001:db8::1", port: 1 }).response),
    443,
  );
  const two = client.request(CREATE_PERMISSION, (b) => {
    encodeXorPeerAddress(b, PEER);
    encodeXorPeerAddress(b, { family: 4, host: "203.0.113.6", port: 1 });
  });
  assert.is(errorOf(two.response), 0);
  assert.ok(checkMessageIntegrity(two.response!, client.key));
  assert.is(errorOf(permit(client, { family: 4, host: "203.0.113.7", port: 1 }).response), 508);
  assert.is(errorOf(permit(client).response), 0); // a refresh needs no room
  assert.is(server.table.stats().permissions, 2);
});

test("TurnServer.handle() relays Send indications only with a permission", () => {
  const { client, relayPort, metrics } = ready();
  const payload = new TextEncoder().encode("hello peer");
  assert.equal(sendIndication(client, payload), []);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "no_permission" }), 1);
  permit(client);
  const actions = sendIndication(client, payload);
  assert.is(actions.length, 1);
  const action = actions[0]!;
  assert.ok(action.kind === "to-peer");
  if (action.kind !== "to-peer") return;
  assert.is(action.relayPort, relayPort);
  assert.equal(action.peer, { host: PEER.host, port: PEER.port });
  assert.equal(action.bytes.subarray(action.offset, action.offset + action.length), payload);
  assert.is(metrics.value("superpeer_relay_bytes_total", { direction: "to_peer" }), payload.length);
});

test("TurnServer.handle() drops Send indications without an allocation or with DONT-FRAGMENT", () => {
  const { server, metrics } = makeServer();
  const stranger = new TestClient(server, tupleOf(9));
  assert.equal(sendIndication(stranger, new Uint8Array(4)), []);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "no_allocation" }), 1);
  const { client } = ready();
  permit(client);
  const df = client.build(SEND, (b) => {
    encodeXorPeerAddress(b, PEER);
    encodeData(b, new Uint8Array(4));
    encodeDontFragment(b);
  }, { auth: false });
  assert.equal(client.server.handle(df, client.tuple), []);
});

test("TurnServer.fromPeer() makes a Data indication without a channel and drops without permission", () => {
  const { server, client, relayPort, metrics } = ready();
  const payload = new Uint8Array([1, 2, 3, 4, 5]);
  assert.is(server.fromPeer(relayPort, PEER, payload), undefined);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "no_permission" }), 1);
  permit(client);
  const out = server.fromPeer(relayPort, { host: PEER.host, port: 7777 }, payload)!;
  assert.is(out.framing, "data");
  assert.equal(out.to, client.tuple);
  const message = decodeStunMessage(out.buffer.slice(0, out.length));
  assert.is(message.type, 0x0017);
  assert.equal(decodeXorAddress(message, message.indexOf(StunAttribute.XorPeerAddress)), {
    family: 4,
    host: PEER.host,
    port: 7777,
  });
  assert.equal(decodeData(message, message.indexOf(StunAttribute.Data)), payload);
  assert.is(server.fromPeer(relayPort + 1, PEER, payload), undefined);
});

test("TurnServer.fromPeer() uses ChannelData once bound, padded over TCP", () => {
  for (const transport of ["udp", "tcp"] as const) {
    const h = makeServer();
    const client = new TestClient(h.server, tupleOf(50000, "198.51.100.7", transport));
    const allocated = client.allocate().response!;
    const port =
      decodeXorAddress(allocated, allocated.indexOf(StunAttribute.XorRelayedAddress)).port;
    const bound = bind(client, 0x4001);
    assert.is(errorOf(bound.response), 0);
    assert.ok(checkMessageIntegrity(bound.response!, client.key));
    const out = h.server.fromPeer(port, PEER, new Uint8Array([9, 8, 7, 6, 5]))!;
    assert.is(out.framing, "channel");
    assert.is(out.length, transport === "tcp" ? 12 : 9);
    const header = { channel: 0, length: 0 };
    decodeChannelDataHeader(out.buffer.subarray(0, out.length), header);
    assert.equal(header, { channel: 0x4001, length: 5 });
    assert.equal(out.buffer.subarray(4, 9), new Uint8Array([9, 8, 7, 6, 5]));
    if (transport === "tcp") assert.equal(out.buffer.subarray(9, 12), new Uint8Array(3));
  }
});

test("TurnServer.connectionClosed() deletes the allocation of a TCP 5-tuple and closes its relay port", () => {
  const h = makeServer();
  const tcp = new TestClient(h.server, tupleOf(50000, "198.51.100.7", "tcp"));
  const other = new TestClient(h.server, tupleOf(50001, "198.51.100.7", "tcp"));
  const allocated = tcp.allocate().response!;
  assert.is(errorOf(other.allocate().response), 0);
  const port = decodeXorAddress(allocated, allocated.indexOf(StunAttribute.XorRelayedAddress)).port;
  assert.equal(h.server.connectionClosed(tcp.tuple), [{ kind: "close-relay", port }]);
  assert.is(h.server.table.byRelayPort(port), undefined);
  assert.is(h.server.table.stats().allocations, 1, "the other connection's allocation stays");
  assert.is(h.metrics.value("superpeer_relay_allocations"), 1);
  // Nothing left to close the second time, and a connection that never allocated is a no-op.
  assert.equal(h.server.connectionClosed(tcp.tuple), []);
  assert.equal(h.server.connectionClosed(tupleOf(50002, "198.51.100.7", "tcp")), []);
});

test("TurnServer.fromClientChannelData() sends the payload to the bound peer", () => {
  const { server, client, relayPort } = ready();
  bind(client, 0x4002);
  const frame = new Uint8Array([0x40, 0x02, 0x00, 0x03, 7, 7, 7, 0]);
  const out = server.fromClientChannelData(client.tuple, frame)!;
  assert.is(out.relayPort, relayPort);
  assert.equal(out.peer, { host: PEER.host, port: PEER.port });
  assert.equal(out.bytes.subarray(out.offset, out.offset + out.length), new Uint8Array([7, 7, 7]));
  assert.is(
    server.fromClientChannelData(client.tuple, new Uint8Array([0x40, 0x03, 0, 0])),
    undefined,
  );
  const via = server.handle(frame, client.tuple);
  assert.equal(kinds(via), ["to-peer"]);
  assert.is(server.fromClientChannelData(tupleOf(1), frame), undefined);
});

test("TurnServer.handle() answers ChannelBind errors 400, 403, 443 and rebinding conflicts", () => {
  const { client } = ready();
  assert.is(
    errorOf(client.request(CHANNEL_BIND, (b) => encodeXorPeerAddress(b, PEER)).response),
    400,
  );
  assert.is(errorOf(bind(client, 0x3fff).response), 400);
  assert.is(errorOf(bind(client, 0x5000).response), 400);
  assert.is(errorOf(bind(client, 0x4000, { family: 4, host: "127.0.0.1", port: 9 }).response), 403);
  assert.is(
    errorOf(bind(client, 0x4000, { family: 6, host: "2001:db8::1", port: 9 }).response),
    443,
  );
  assert.is(errorOf(bind(client, 0x4000).response), 0);
  assert.is(errorOf(bind(client, 0x4000).response), 0); // same number, same peer: refresh
  assert.is(errorOf(bind(client, 0x4000, { ...PEER, port: 1 }).response), 400);
  assert.is(errorOf(bind(client, 0x4001).response), 400);
  // the bind installed a permission for the peer IP
  assert.ok(
    client.server.table.find("udp", client.tuple.client, client.tuple.server)!.hasPermission(
      PEER.host,
      0,
    ),
  );
});

test("TurnServer.handle() accepts RFC 5766 channel numbers only when told", () => {
  const strict = ready();
  assert.is(errorOf(bind(strict.client, 0x7000).response), 400);
  const old = ready({ allowRfc5766ChannelNumbers: true });
  assert.is(errorOf(bind(old.client, 0x7000).response), 0);
  const frame = new Uint8Array([0x70, 0x00, 0x00, 0x01, 1, 0, 0, 0]);
  assert.ok(old.server.fromClientChannelData(old.client.tuple, frame));
});

test("TurnServer.sweep() expires permissions after 300 s and channels after 600 s with quarantine", () => {
  const { server, client, clock, relayPort } = ready({ maxLifetimeSeconds: 3600 });
  client.request(REFRESH, (b) => encodeLifetime(b, 3600));
  bind(client, 0x4000);
  clock.advance(PERMISSION_LIFETIME_S * 1000);
  server.sweep();
  assert.is(server.fromPeer(relayPort, PEER, new Uint8Array(1)), undefined);
  assert.is(server.table.stats().permissions, 0);
  assert.is(server.table.stats().channels, 1);
  clock.advance((CHANNEL_LIFETIME_S - PERMISSION_LIFETIME_S) * 1000);
  server.sweep();
  assert.is(server.table.stats().channels, 0);
  // quarantined: the number with another peer, the peer with another number
  assert.is(errorOf(bind(client, 0x4000, { ...PEER, port: 1 }).response), 400);
  assert.is(errorOf(bind(client, 0x4001).response), 400);
  assert.is(errorOf(bind(client, 0x4000).response), 0);
  bind(client, 0x4005, { ...PEER, port: 2 });
  clock.advance(CHANNEL_LIFETIME_S * 1000);
  server.sweep();
  assert.is(errorOf(bind(client, 0x4005, { ...PEER, port: 3 }).response), 400);
  clock.advance(CHANNEL_QUARANTINE_S * 1000);
  server.sweep();
  assert.is(errorOf(bind(client, 0x4005, { ...PEER, port: 3 }).response), 0);
});

test("TurnServer.handle() answers 508 at the channel cap", () => {
  const { client } = ready({ maxChannelsPerAllocation: 1 });
  assert.is(errorOf(bind(client, 0x4000).response), 0);
  assert.is(errorOf(bind(client, 0x4001, { ...PEER, port: 2 }).response), 508);
});

test("TurnServer policy denies loopback by default, allows it by option, and allows 10/8 by config", () => {
  const loop = { family: 4 as const, host: "127.0.0.1", port: 3480 };
  assert.is(errorOf(permit(ready().client, loop).response), 403);
  const open = ready({ peers: { allowLoopback: true } });
  assert.is(errorOf(permit(open.client, loop).response), 0);
  // the relay's own listening port is a loop even with loopback allowed; its relay ports are not
  assert.is(
    errorOf(bind(open.client, 0x4000, { family: 4, host: RELAY_V4, port: 3478 }).response),
    403,
  );
  assert.is(
    errorOf(bind(open.client, 0x4001, { family: 4, host: RELAY_V4, port: 61000 }).response),
    0,
  );
  const mesh = { family: 4 as const, host: "10.1.2.3", port: 5000 };
  assert.is(errorOf(permit(ready({ peers: { deny: ["10.0.0.0/8"] } }).client, mesh).response), 403);
  assert.is(
    errorOf(
      permit(ready({ peers: { allow: ["10.0.0.0/8"], deny: ["10.0.0.0/8"] } }).client, mesh)
        .response,
    ),
    0,
  );
});

test("TurnServer relays between two allocations of its own (two clients sharing one relay)", () => {
  const h = makeServer();
  const a = new TestClient(h.server, tupleOf(50000));
  const b = new TestClient(h.server, tupleOf(50001));
  const relayedOf = (c: TestClient) => {
    const response = c.allocate().response!;
    return decodeXorAddress(response, response.indexOf(StunAttribute.XorRelayedAddress));
  };
  const ra = relayedOf(a);
  const rb = relayedOf(b);
  assert.is(errorOf(permit(a, rb).response), 0);
  assert.is(errorOf(permit(b, ra).response), 0);
  const out = sendIndication(a, new Uint8Array([5, 6]), rb)[0]!;
  assert.ok(out.kind === "to-peer" && out.relayPort === ra.port && out.peer.port === rb.port);
  // The datagram arrives on b's relay port from a's relayed address: b's client gets it.
  const delivered = h.server.fromPeer(
    rb.port,
    { host: ra.host, port: ra.port },
    new Uint8Array([5, 6]),
  );
  assert.ok(delivered !== undefined, "not dropped as a loop");
  assert.equal(delivered.to.client, b.tuple.client);
  assert.is(h.metrics.value("superpeer_relay_dropped_total", { reason: "loop" }) ?? 0, 0);
  // Any other port at the relay's own address is the relay host itself (its overlay, SIP...)
  const overlay = { family: 4 as const, host: ra.host, port: 6084 };
  assert.is(errorOf(bind(a, 0x4009, overlay).response), 403);
  assert.equal(sendIndication(a, new Uint8Array([1]), overlay), []);
  assert.is(h.metrics.value("superpeer_relay_dropped_total", { reason: "loop" }), 1);
});

test("TurnServer drops relayed traffic over the allocation and total token buckets", () => {
  const { server, client, relayPort, clock, metrics } = ready({
    allocationBytesPerSecond: 1000,
    totalBytesPerSecond: 100_000,
  });
  permit(client);
  const payload = new Uint8Array(400);
  assert.ok(server.fromPeer(relayPort, PEER, payload));
  assert.ok(server.fromPeer(relayPort, PEER, payload));
  assert.is(server.fromPeer(relayPort, PEER, payload), undefined);
  assert.equal(sendIndication(client, payload), []);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "bandwidth_allocation" }), 2);
  clock.advance(500);
  assert.ok(server.fromPeer(relayPort, PEER, payload));
  const total = ready({ allocationBytesPerSecond: 0, totalBytesPerSecond: 500 });
  permit(total.client);
  assert.ok(total.server.fromPeer(total.relayPort, PEER, payload));
  assert.is(total.server.fromPeer(total.relayPort, PEER, payload), undefined);
  assert.is(total.metrics.value("superpeer_relay_dropped_total", { reason: "bandwidth_total" }), 1);
});

test("TurnServer.relayOpenFailed() removes the allocation and answers retransmissions with 508", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  const request = client.build(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  const first = client.send(request);
  const open = first.actions[0]!;
  assert.ok(open.kind === "open-relay");
  if (open.kind !== "open-relay") return;
  server.relayOpenFailed(open.port);
  assert.is(server.table.size, 0);
  assert.is(errorOf(client.send(request).response), 508);
  const next = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
  const port =
    decodeXorAddress(next.response!, next.response!.indexOf(StunAttribute.XorRelayedAddress)).port;
  assert.is.not(port, open.port);
});

test("TurnServer.handle() drops malformed input, responses and bad fingerprints without throwing", () => {
  const { server, metrics } = makeServer();
  const tuple = tupleOf();
  assert.equal(server.handle(new Uint8Array([0xff, 1, 2]), tuple), []);
  assert.equal(server.handle(new Uint8Array(20), tuple), []);
  const client = new TestClient(server, tuple);
  const bytes = client.build(BINDING, () => {}, { auth: false, fingerprint: true });
  bytes[bytes.length - 1]! ^= 1;
  assert.equal(server.handle(bytes, tuple), []);
  const response = client.build(0x0101, () => {}, { auth: false });
  assert.equal(server.handle(response, tuple), []);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "fingerprint" }), 1);
  assert.is(metrics.value("superpeer_relay_dropped_total", { reason: "unexpected_class" }), 1);
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const junk = client.build(ALLOCATE, (b) => encodeRequestedTransport(b, 17));
    seed = (seed * 16807) % 2147483647;
    junk[seed % junk.length] = seed & 0xff;
    server.handle(junk, tuple);
  }
});

test("TurnServer.handle() answers 420 to an unknown comprehension-required attribute after auth", () => {
  const { client } = ready();
  const response = client.request(REFRESH, (b) => b.addBytes(0x7f01, new Uint8Array(4))).response!;
  assert.is(errorOf(response), 420);
  assert.ok(checkMessageIntegrity(response, client.key));
  const unauthenticated = client.request(REFRESH, (b) => b.addBytes(0x7f01, new Uint8Array(4)), {
    auth: false,
  });
  assert.is(errorOf(unauthenticated.response), 401);
});

test("TurnServer realm must match", () => {
  const { server } = makeServer({ realm: "other.org" });
  const client = new TestClient(server, tupleOf());
  client.request(ALLOCATE, () => {}, { auth: false });
  assert.is(errorOf(client.allocate().response), 401);
  assert.is(REALM, "example.org");
});

test.run();
