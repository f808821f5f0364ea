// RelayService on real UDP sockets on 127.0.0.1: STUN Binding, an authenticated allocation that
// relays a Send indication to a peer and the peer's answer back as a Data indication, the 508
// when a relay port cannot be bound, and stop() releasing every socket.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  decodeData,
  decodeErrorCode,
  decodeNonce,
  decodeStunMessage,
  decodeXorAddress,
  encodeData,
  encodeNonce,
  encodeRealm,
  encodeRequestedTransport,
  encodeUsername,
  encodeXorPeerAddress,
  longTermKey,
  StunAttribute,
  type StunMessage,
  StunMessageBuilder,
  StunMessageType,
  TRANSPORT_PROTOCOL_UDP,
} from "../../src/codec/stun/mod.ts";
import { systemClock } from "../../src/core/clock.ts";
import { type LogFields, type Logger, silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { resolveConfig } from "../../src/daemon/config/load_config.ts";
import { DEFAULT_CONFIG } from "../../src/daemon/config/superpeer_config.ts";
import { RelayService, type RelayServiceInit } from "../../src/daemon/relay_service.ts";
import { staticUserKeyHex } from "../../src/relay/mod.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const REALM = "relay.test";
const metrics = new MetricsRegistry();
const open = (address: DatagramAddress) =>
  openUdpTransport(address, { logger: silentLogger(), metrics });

/** A port range of `width` ports somewhere in 61000-64999, so parallel runs rarely meet. */
function portRange(width: number): { portMin: number; portMax: number } {
  const portMin = 61000 + Math.floor(Math.random() * (4000 - width));
  return { portMin, portMax: portMin + width - 1 };
}

async function startRelay(
  init: Partial<RelayServiceInit> = {},
  logger: (name: string) => Logger = silentLogger,
) {
  const relay = new RelayService({
    ...DEFAULT_CONFIG.relay,
    host: "127.0.0.1",
    port: 0,
    realm: REALM,
    users: [`alice:${staticUserKeyHex("alice", REALM, "wonderland")}`],
    allowLoopbackPeers: true,
    ...portRange(200),
    ...init,
  }, {
    logger,
    metrics: new MetricsRegistry(),
    clock: systemClock,
    openTransport: open,
  });
  await relay.start({ signal: new AbortController().signal });
  return relay;
}

/** A UDP socket that queues what it receives. */
class Socket {
  readonly #queue: { bytes: Uint8Array; from: DatagramAddress }[] = [];
  #wake: (() => void) | undefined;
  constructor(readonly transport: DatagramTransport) {
    transport.onDatagram((bytes, from) => {
      this.#queue.push({ bytes: Uint8Array.from(bytes), from: { ...from } });
      this.#wake?.();
    });
  }
  static async open(): Promise<Socket> {
    return new Socket(await open({ host: "127.0.0.1", port: 0 }));
  }
  async next(timeoutMs = 3000): Promise<{ bytes: Uint8Array; from: DatagramAddress }> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no datagram within the timeout");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#queue.shift()!;
  }
}

/** A TURN client with alice's long-term credentials over one Socket. */
class Client {
  readonly builder = new StunMessageBuilder();
  readonly key = longTermKey({ username: "alice", realm: REALM, password: "wonderland" });
  nonce = "";
  constructor(readonly socket: Socket, readonly server: DatagramAddress) {}

  async request(
    type: number,
    attributes: (b: StunMessageBuilder) => void,
    auth = true,
  ): Promise<StunMessage> {
    const id = crypto.getRandomValues(new Uint8Array(12));
    const b = this.builder.begin(type, id);
    attributes(b);
    if (auth) {
      encodeUsername(b, "alice");
      encodeRealm(b, REALM);
      encodeNonce(b, this.nonce);
    }
    this.socket.transport.send(
      b.finish(auth ? { integrityKey: this.key, fingerprint: true } : { fingerprint: true }),
      this.server,
    );
    const response = decodeStunMessage((await this.socket.next()).bytes);
    assert.equal(response.transactionId, id);
    const at = response.indexOf(StunAttribute.Nonce);
    if (at >= 0) this.nonce = decodeNonce(response, at);
    return response;
  }

  async allocate(): Promise<StunMessage> {
    const transport = (b: StunMessageBuilder) =>
      encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP);
    const challenge = await this.request(StunMessageType.AllocateRequest, transport, false);
    assert.is(errorOf(challenge), 401);
    return await this.request(StunMessageType.AllocateRequest, transport);
  }
}

function errorOf(message: StunMessage): number {
  const at = message.indexOf(StunAttribute.ErrorCode);
  return at < 0 ? 0 : decodeErrorCode(message, at).code;
}

test("RelayService answers a STUN Binding request with the sender's XOR-MAPPED-ADDRESS", async () => {
  const relay = await startRelay();
  const socket = await Socket.open();
  try {
    const client = new Client(socket, relay.address!);
    const response = await client.request(StunMessageType.BindingRequest, () => {}, false);
    assert.is(response.type, StunMessageType.BindingSuccess);
    const mapped = decodeXorAddress(response, response.indexOf(StunAttribute.XorMappedAddress));
    assert.equal(mapped, { family: 4, host: "127.0.0.1", port: socket.transport.local.port });
  } finally {
    await socket.transport.close();
    await relay.stop();
  }
});

test("RelayService relays a Send indication to a peer and the peer's answer back as a Data indication", async () => {
  const relay = await startRelay();
  const socket = await Socket.open();
  const peer = await Socket.open();
  try {
    const client = new Client(socket, relay.address!);
    const allocated = await client.allocate();
    assert.is(allocated.type, StunMessageType.AllocateSuccess, `error ${errorOf(allocated)}`);
    const relayed = decodeXorAddress(
      allocated,
      allocated.indexOf(StunAttribute.XorRelayedAddress),
    );
    assert.is(relayed.host, "127.0.0.1");
    assert.equal(relay.relayPorts, [relayed.port]);

    const peerAddress = { family: 4 as const, ...peer.transport.local };
    const permitted = await client.request(
      StunMessageType.CreatePermissionRequest,
      (b) => encodeXorPeerAddress(b, peerAddress),
    );
    assert.is(
      permitted.type,
      StunMessageType.CreatePermissionSuccess,
      `error ${errorOf(permitted)}`,
    );

    const payload = new TextEncoder().encode("hello peer");
    const b = client.builder.begin(
      StunMessageType.SendIndication,
      crypto.getRandomValues(new Uint8Array(12)),
    );
    encodeXorPeerAddress(b, peerAddress);
    encodeData(b, payload);
    socket.transport.send(b.finish(), relay.address!);
    const atPeer = await peer.next();
    assert.equal(atPeer.bytes, payload);
    assert.equal(atPeer.from, { host: "127.0.0.1", port: relayed.port });

    const answer = new TextEncoder().encode("hello client");
    peer.transport.send(answer, atPeer.from);
    const data = decodeStunMessage((await socket.next()).bytes);
    assert.is(data.type, StunMessageType.DataIndication);
    assert.equal(
      decodeXorAddress(data, data.indexOf(StunAttribute.XorPeerAddress)),
      peerAddress,
    );
    assert.equal(Uint8Array.from(decodeData(data, data.indexOf(StunAttribute.Data))), answer);

    const status = relay.status();
    assert.is(status.allocations, 1);
    assert.is(status.permissions, 1);
    assert.is(status.relaySockets, 1);
    const totals = status.relayed as { bytesToPeer: number; packetsToClient: number };
    assert.is(totals.bytesToPeer, payload.length);
    assert.is(totals.packetsToClient, 1);

    await relay.stop();
    assert.is(relay.status().allocations, 0);
    assert.is(relay.status().relaySockets, 0);
    // The relay port and the listening port are free again.
    const again = await open({ host: "127.0.0.1", port: relayed.port });
    await again.close();
  } finally {
    await socket.transport.close();
    await peer.transport.close();
    await relay.stop();
  }
});

test("RelayService takes a static user's key as coturn's turnadmin -k prints it (0x-prefixed)", async () => {
  const key = staticUserKeyHex("alice", REALM, "wonderland");
  resolveConfig({ relay: { users: [`alice:0x${key}`] } }, [], "test");
  const relay = await startRelay({ users: [`alice:0x${key}`] });
  const socket = await Socket.open();
  try {
    const allocated = await new Client(socket, relay.address!).allocate();
    assert.is(allocated.type, StunMessageType.AllocateSuccess, `error ${errorOf(allocated)}`);
  } finally {
    await socket.transport.close();
    await relay.stop();
  }
});

test("RelayService takes a user listed twice, with an MD5 and a SHA-256 key", async () => {
  const users = [
    `alice:${staticUserKeyHex("alice", REALM, "wonderland")}`,
    `alice:${staticUserKeyHex("alice", REALM, "wonderland", "sha256")}`,
  ];
  resolveConfig({ relay: { users } }, [], "test");
  const relay = await startRelay({ users });
  const socket = await Socket.open();
  try {
    const allocated = await new Client(socket, relay.address!).allocate();
    assert.is(allocated.type, StunMessageType.AllocateSuccess, `error ${errorOf(allocated)}`);
  } finally {
    await socket.transport.close();
    await relay.stop();
  }
});

test("RelayService answers 508 when the relay port cannot be bound, and keeps serving", async () => {
  const blocker = await Socket.open();
  const taken = blocker.transport.local.port;
  // One relay port, already taken by the blocker (an ephemeral port: outside 61000 is fine here).
  const relay = await startRelay({ portMin: taken, portMax: taken });
  const socket = await Socket.open();
  try {
    const client = new Client(socket, relay.address!);
    const allocated = await client.allocate();
    assert.is(errorOf(allocated), 508);
    assert.is(relay.status().relayBindFailures, 1);
    assert.is(relay.status().allocations, 0);
    // Garbage on the listening socket is dropped without an answer or an exception.
    socket.transport.send(new Uint8Array([0x40, 0x00, 0x00, 0x10, 1, 2]), relay.address!);
    socket.transport.send(new Uint8Array([0xff, 0xff]), relay.address!);
    const binding = await client.request(StunMessageType.BindingRequest, () => {}, false);
    assert.is(binding.type, StunMessageType.BindingSuccess);
    assert.is(relay.status().handlerErrors, 0);
  } finally {
    await socket.transport.close();
    await blocker.transport.close();
    await relay.stop();
  }
});

test("RelayService logs malformed input at most once a minute, with the counts since the last line", async () => {
  const lines: { message: string; fields?: LogFields }[] = [];
  const recording = (name: string): Logger => ({
    ...silentLogger(name),
    warn: (message, fields) => void lines.push(fields ? { message, fields } : { message }),
  });
  const relay = await startRelay({}, recording);
  const socket = await Socket.open();
  try {
    const bad = () => lines.filter((l) => l.message === "Dropped malformed relay input");
    for (let i = 0; i < 3; i++) socket.transport.send(new Uint8Array([0xff, 1, 2]), relay.address!);
    const deadline = Date.now() + 4000;
    while (bad().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(bad().map((l) => l.fields), [{ not_stun: 3 }]);
    // More garbage within the minute: counted, not logged again.
    socket.transport.send(new Uint8Array([0xff]), relay.address!);
    await new Promise((r) => setTimeout(r, 1600));
    assert.is(bad().length, 1);
    const dropped = (relay.status().relayed as { dropped: Record<string, number> }).dropped;
    assert.is(dropped.not_stun, 4);
  } finally {
    await socket.transport.close();
    await relay.stop();
  }
});

test("resolveConfig reports relay cross-field mistakes with their key paths", () => {
  let issues: readonly { path: string; message: string }[] = [];
  try {
    resolveConfig(
      {
        relay: {
          host: "0.0.0.0",
          portMin: 62000,
          portMax: 61000,
          users: [`bob:${"0".repeat(32)}`, `bob:${"1".repeat(32)}`],
          denyPeers: ["10.0.0.0/33"],
        },
      },
      [],
      "test",
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues = error.issues;
  }
  assert.equal(issues.map((i) => i.path), [
    "relay.portMin",
    "relay.relayHost",
    "relay.users[1]",
    "relay.denyPeers[0]",
  ]);
  const ok = resolveConfig({}, ["relay.host=0.0.0.0", "relay.relayHost=192.0.2.1"], "test");
  assert.is(ok.relay.relayHost, "192.0.2.1");
  const paths = (relay: Record<string, unknown>) => {
    try {
      resolveConfig({ relay }, [], "test");
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.issues.map((i) => `${i.path}: ${i.message}`);
    }
  };
  assert.match(
    paths({ relayHost6: "192.0.2.9" }).join(),
    /relay.relayHost6: must be a concrete IPv6/,
  );
  assert.match(paths({ relayHost6: "::" }).join(), /relay.relayHost6: must be a concrete IPv6/);
  assert.match(
    paths({ host: "::1", relayHost6: "2001:db8::1" }).join(),
    /relay.relayHost6: only with an IPv4 relay address/,
  );
  assert.match(paths({ tlsCertFile: "/etc/cert.pem" }).join(), /relay.tlsKeyFile: .*go together/);
  assert.equal(paths({ relayHost6: "2001:db8::1" }), []);
});

test.run();
