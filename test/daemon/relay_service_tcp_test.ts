// RelayService over TCP and TLS on 127.0.0.1 (RFC 8656 section 3.1): STUN framing on the stream,
// ChannelData padded both ways (section 12.5), the allocation deleted when its connection closes,
// framing errors and idle clients disconnected.
import { readFileSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  decodeChannelDataHeader,
  decodeErrorCode,
  decodeNonce,
  decodeStunMessage,
  decodeXorAddress,
  encodeChannelDataHeader,
  encodeChannelNumber,
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
  StunStreamFramer,
  TRANSPORT_PROTOCOL_UDP,
} from "../../src/codec/stun/mod.ts";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import { DEFAULT_CONFIG } from "../../src/daemon/config/superpeer_config.ts";
import { RelayService, type RelayServiceInit } from "../../src/daemon/relay_service.ts";
import { staticUserKeyHex } from "../../src/relay/mod.ts";
import { openTcpListener } from "../../src/transport/tcp_listener.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const REALM = "relay.test";
const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);
const CERT_FILE = new URL("test-only-cert.pem", TLS_DIR).pathname;
const KEY_FILE = new URL("test-only-key.pem", TLS_DIR).pathname;

async function startRelay(init: Partial<RelayServiceInit> = {}) {
  const metrics = new MetricsRegistry();
  const portMin = 61000 + Math.floor(Math.random() * 3800);
  const relay = new RelayService({
    ...DEFAULT_CONFIG.relay,
    host: "127.0.0.1",
    port: 0,
    tlsPort: 0,
    realm: REALM,
    users: [`alice:${staticUserKeyHex("alice", REALM, "wonderland")}`],
    allowLoopbackPeers: true,
    portMin,
    portMax: portMin + 199,
    ...init,
  }, {
    logger: silentLogger,
    metrics,
    clock: systemClock,
    openTransport: (address) => openUdpTransport(address, { logger: silentLogger(), metrics }),
    openStreamListener: ({ tls, ...rest }) =>
      openTcpListener({
        ...rest,
        ...(tls === undefined ? {} : {
          tls: {
            certPem: readFileSync(tls.certFile, "utf8"),
            keyPem: readFileSync(tls.keyFile, "utf8"),
          },
        }),
      }, { logger: silentLogger(), metrics }),
  });
  await relay.start({ signal: new AbortController().signal });
  return relay;
}

function portOf(text: unknown): number {
  return Number(String(text).split(":").pop());
}

async function until(done: () => boolean, what: string, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A TURN client over one TCP or TLS connection, reading frames with the stream framer. */
class StreamClient {
  readonly builder = new StunMessageBuilder();
  readonly key = longTermKey({ username: "alice", realm: REALM, password: "wonderland" });
  readonly frames: Uint8Array[] = [];
  readonly framer = new StunStreamFramer();
  nonce = "";
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on(
      "data",
      (chunk: Uint8Array) =>
        this.framer.feed(chunk, (frame) => this.frames.push(Uint8Array.from(frame))),
    );
    socket.on("close", () => this.closed = true);
    socket.on("error", () => {});
  }

  static connect(port: number, tls = false): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = tls
        ? connectTls({ host: "127.0.0.1", port, ca: readFileSync(CERT_FILE, "utf8") })
        : connectTcp({ host: "127.0.0.1", port });
      socket.once(tls ? "secureConnect" : "connect", () => resolve(new StreamClient(socket)));
      socket.once("error", reject);
    });
  }

  async nextFrame(): Promise<Uint8Array> {
    await until(() => this.frames.length > 0, "a frame from the relay");
    return this.frames.shift()!;
  }

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
    this.socket.write(
      b.finish(auth ? { integrityKey: this.key, fingerprint: true } : { fingerprint: true })
        .slice(),
    );
    const response = decodeStunMessage(await this.nextFrame());
    assert.equal(response.transactionId, id);
    const at = response.indexOf(StunAttribute.Nonce);
    if (at >= 0) this.nonce = decodeNonce(response, at);
    return response;
  }

  /** Allocate (after the 401), then returns the relayed port. */
  async allocate(): Promise<number> {
    const transport = (b: StunMessageBuilder) =>
      encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP);
    const challenge = await this.request(StunMessageType.AllocateRequest, transport, false);
    assert.is(errorOf(challenge), 401);
    const allocated = await this.request(StunMessageType.AllocateRequest, transport);
    assert.is(allocated.type, StunMessageType.AllocateSuccess, `error ${errorOf(allocated)}`);
    return decodeXorAddress(allocated, allocated.indexOf(StunAttribute.XorRelayedAddress)).port;
  }
}

function errorOf(message: StunMessage): number {
  const at = message.indexOf(StunAttribute.ErrorCode);
  return at < 0 ? 0 : decodeErrorCode(message, at).code;
}

/** A UDP peer that keeps what it receives. */
async function udpPeer() {
  const got: { bytes: Uint8Array; from: DatagramAddress }[] = [];
  const transport = await openUdpTransport({ host: "127.0.0.1", port: 0 }, {
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  transport.onDatagram((bytes, from) =>
    got.push({ bytes: Uint8Array.from(bytes), from: { ...from } })
  );
  return { transport, got };
}

test("RelayService over TCP: Allocate, ChannelBind, padded ChannelData both ways to a UDP peer", async () => {
  const relay = await startRelay();
  const peer = await udpPeer();
  let client: StreamClient | undefined;
  try {
    const tcpPort = portOf(relay.status().tcp);
    assert.is(tcpPort, relay.address!.port, "TCP listens on the UDP port number");
    client = await StreamClient.connect(tcpPort);
    const relayedPort = await client.allocate();
    const peerAddress = { family: 4 as const, ...peer.transport.local };
    const bound = await client.request(StunMessageType.ChannelBindRequest, (b) => {
      encodeChannelNumber(b, 0x4001);
      encodeXorPeerAddress(b, peerAddress);
    });
    assert.is(errorOf(bound), 0);

    // 5 payload bytes: a 9-byte ChannelData padded to 12 on the stream (RFC 8656 section 12.5).
    const frame = new Uint8Array(12);
    encodeChannelDataHeader(frame, { channel: 0x4001, length: 5 }, { zeroPadding: true });
    frame.set([1, 2, 3, 4, 5], 4);
    client.socket.write(frame);
    await until(() => peer.got.length === 1, "the payload at the peer");
    assert.equal(peer.got[0]!.bytes, new Uint8Array([1, 2, 3, 4, 5]));
    assert.equal(peer.got[0]!.from, { host: "127.0.0.1", port: relayedPort });

    peer.transport.send(new Uint8Array([9, 8, 7]), peer.got[0]!.from);
    const back = await client.nextFrame();
    assert.is(back.length, 8, "4-byte header + 3 bytes + 1 byte of padding");
    const header = { channel: 0, length: 0 };
    decodeChannelDataHeader(back, header);
    assert.equal(header, { channel: 0x4001, length: 3 });
    assert.equal(back.subarray(4, 7), new Uint8Array([9, 8, 7]));
    assert.is(relay.status().streamClients, 1);
  } finally {
    client?.socket.destroy();
    await peer.transport.close();
    await relay.stop();
  }
});

test("RelayService deletes a TCP client's allocation and frees its relay port when the connection closes", async () => {
  const relay = await startRelay();
  try {
    const client = await StreamClient.connect(portOf(relay.status().tcp));
    const relayedPort = await client.allocate();
    await until(() => relay.relayPorts.includes(relayedPort), "the relay socket");
    assert.is(relay.status().allocations, 1);
    client.socket.destroy();
    await until(() => relay.status().allocations === 0, "the allocation to go");
    await until(() => relay.relayPorts.length === 0, "the relay socket to close");
    assert.is(relay.status().streamClients, 0);
  } finally {
    await relay.stop();
  }
});

test("RelayService disconnects a TCP client that breaks STUN framing and keeps serving others", async () => {
  const relay = await startRelay();
  try {
    const port = portOf(relay.status().tcp);
    const bad = await StreamClient.connect(port);
    const good = await StreamClient.connect(port);
    bad.socket.write(new Uint8Array([0xc0, 0, 0, 0]));
    await until(() => bad.closed, "the bad client to be disconnected");
    assert.is(relay.status().streamFramingErrors, 1);
    const binding = await good.request(StunMessageType.BindingRequest, () => {}, false);
    assert.is(binding.type, StunMessageType.BindingSuccess);
    good.socket.destroy();
  } finally {
    await relay.stop();
  }
});

test("RelayService disconnects a TCP client that holds no allocation and stays silent for streamIdleSeconds", async () => {
  const relay = await startRelay({ streamIdleSeconds: 1 });
  try {
    const port = portOf(relay.status().tcp);
    const idle = await StreamClient.connect(port);
    const allocated = await StreamClient.connect(port);
    await allocated.allocate();
    const started = Date.now();
    await until(() => idle.closed, "the idle client to be disconnected", 5000);
    assert.ok(Date.now() - started >= 900, "not before a second of silence");
    assert.not.ok(allocated.closed, "a client with a live allocation stays");
    allocated.socket.destroy();
  } finally {
    await relay.stop();
  }
});

test("RelayService serves TURN over TLS when given a certificate and key", async () => {
  const relay = await startRelay({ tlsCertFile: CERT_FILE, tlsKeyFile: KEY_FILE, tcp: false });
  try {
    assert.is(relay.status().tcp, null);
    const client = await StreamClient.connect(portOf(relay.status().tls), true);
    const relayedPort = await client.allocate();
    assert.ok(relayedPort >= 61000);
    client.socket.destroy();
    await until(() => relay.status().allocations === 0, "the allocation to go with the connection");
  } finally {
    await relay.stop();
  }
});

test.run();
