// SipService on real sockets on 127.0.0.1: a REGISTER with Digest over UDP (401 then 200), the
// same over TCP, OPTIONS, a users-file reload, the nonce secret kept in the data directory, and
// stop() releasing the sockets.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSipMessage, type SipMessage } from "../../src/codec/sip/mod.ts";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import { DEFAULT_CONFIG } from "../../src/daemon/config/superpeer_config.ts";
import { SIP_NONCE_SECRET_FILE, SipService } from "../../src/daemon/sip_service.ts";
import { generateNodeKey } from "../../src/identity/node_key.ts";
import {
  digestHa1,
  digestResponse,
  formatDigestCredentials,
  formatUserLine,
  makeUserRecord,
  parseDigestChallenge,
} from "../../src/sip/digest/mod.ts";
import { openTcpListener } from "../../src/transport/tcp_listener.ts";
import { openWebSocketListener } from "../../src/transport/websocket_listener.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const REALM = "sip.test";
const DOMAIN = "mesh.test";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const metrics = new MetricsRegistry();

/** A TCP port free right now (bound to 0 and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startSip(dataDir: string, wsPort = 0) {
  const service = new SipService({
    ...DEFAULT_CONFIG.sip,
    host: "127.0.0.1",
    port: 0,
    tlsPort: 0,
    wsPort,
    wssPort: 0,
    domains: [DOMAIN],
    realm: REALM,
    dataDir,
  }, {
    logger: silentLogger,
    metrics: new MetricsRegistry(),
    clock: systemClock,
    key: generateNodeKey(),
    openTransport: (address) => openUdpTransport(address, { logger: silentLogger(), metrics }),
    openStreamListener: (options) =>
      openTcpListener(options, { logger: silentLogger(), metrics: new MetricsRegistry() }),
    openWebSocketListener: (options) =>
      openWebSocketListener(options, { logger: silentLogger(), metrics: new MetricsRegistry() }),
  });
  await service.start({ signal: new AbortController().signal });
  return service;
}

async function usersDir(users: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-sip-"));
  const lines = Object.entries(users).map(([user, password]) =>
    formatUserLine(makeUserRecord(user, REALM, password))
  );
  await writeFile(join(dir, "sip_users"), lines.join("\n") + "\n");
  return dir;
}

function register(port: number, transport: string, cseq: number, authorization?: string): string {
  return [
    `REGISTER sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bKsvc${transport}${cseq};rport`,
    "Max-Forwards: 70",
    `To: <sip:alice@${DOMAIN}>`,
    `From: <sip:alice@${DOMAIN}>;tag=svc`,
    `Call-ID: svc-${transport}@127.0.0.1`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:alice@127.0.0.1:${port};transport=${transport.toLowerCase()}>`,
    "Expires: 300",
    ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

function answer(challenge: SipMessage, password = "wonderland"): string {
  const c = parseDigestChallenge(challenge.headers.get("www-authenticate")!)!;
  const uri = `sip:${DOMAIN}`;
  const ha1 = digestHa1("SHA-256", { username: "alice", realm: REALM, password });
  const fields = { qop: "auth" as const, nc: "00000001", cnonce: "feedbeef" };
  const response = digestResponse("SHA-256", {
    ha1,
    method: "REGISTER",
    uri,
    nonce: c.nonce,
    ...fields,
  });
  return formatDigestCredentials({
    username: "alice",
    realm: REALM,
    nonce: c.nonce,
    uri,
    response,
    algorithm: "SHA-256",
    ...fields,
  });
}

/** A UDP phone: send text, await the next message. */
class UdpPhone {
  readonly #queue: SipMessage[] = [];
  #wake: (() => void) | undefined;
  constructor(readonly transport: DatagramTransport) {
    transport.onDatagram((bytes) => {
      this.#queue.push(parseSipMessage(Uint8Array.from(bytes)));
      this.#wake?.();
    });
  }
  static async open() {
    return new UdpPhone(
      await openUdpTransport({ host: "127.0.0.1", port: 0 }, { logger: silentLogger(), metrics }),
    );
  }
  send(text: string, to: DatagramAddress): void {
    this.transport.send(encoder.encode(text), to);
  }
  async next(timeoutMs = 3000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      if (Date.now() > deadline) throw new Error("no SIP message within the timeout");
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.#queue.shift()!;
  }
}

test("SipService registers a user over UDP with Digest: 401, then 200 with the contact", async () => {
  const dir = await usersDir({ alice: "wonderland" });
  const sip = await startSip(dir);
  const phone = await UdpPhone.open();
  try {
    const to = sip.address!;
    const port = phone.transport.local.port;
    phone.send(register(port, "UDP", 1), to);
    const challenge = await phone.next();
    assert.is(challenge.status, 401);
    phone.send(register(port, "UDP", 2, answer(challenge)), to);
    const ok = await phone.next();
    assert.is(ok.status, 200, ok.reason);
    const contacts = ok.contacts();
    assert.ok(contacts !== "*" && contacts[0]!.uri.startsWith("sip:alice@127.0.0.1"));
    assert.is(sip.status().bindings, 1);
    // a wrong password gets another 401, and OPTIONS to the domain gets 200 with Allow
    phone.send(register(port, "UDP", 3, answer(challenge, "wrong")), to);
    assert.is((await phone.next()).status, 401);
    phone.send(
      register(port, "UDP", 4).replace(/REGISTER/g, "OPTIONS").replace(/Contact: .*\r\n/, ""),
      to,
    );
    const options = await phone.next();
    assert.is(options.status, 200);
    assert.match(options.headers.get("allow") ?? "", /INVITE/);
    // the nonce secret is kept, mode 0600
    const secret = await stat(join(dir, SIP_NONCE_SECRET_FILE));
    assert.is(secret.mode & 0o777, 0o600);
  } finally {
    await phone.transport.close();
    await sip.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("SipService registers over TCP on the same port and answers on the connection", async () => {
  const dir = await usersDir({ alice: "wonderland" });
  const sip = await startSip(dir);
  const socket = connect({ host: "127.0.0.1", port: sip.address!.port });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    let buffer = "";
    const nextMessage = () =>
      new Promise<SipMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no TCP answer")), 3000);
        const check = () => {
          const end = buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const text = buffer.slice(0, end + 4);
          buffer = buffer.slice(end + 4);
          socket.off("data", onData);
          clearTimeout(timer);
          resolve(parseSipMessage(encoder.encode(text)));
        };
        const onData = (chunk: Uint8Array) => {
          buffer += decoder.decode(chunk);
          check();
        };
        socket.on("data", onData);
        check();
      });
    const port = socket.localPort!;
    socket.write(register(port, "TCP", 1));
    const challenge = await nextMessage();
    assert.is(challenge.status, 401);
    socket.write(register(port, "TCP", 2, answer(challenge)));
    assert.is((await nextMessage()).status, 200);
    assert.is(sip.status().streamFlows, 1);
  } finally {
    socket.destroy();
    await sip.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("SipService reloads the users file and refuses REGISTER while there is none", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-sip-"));
  const sip = await startSip(dir);
  const phone = await UdpPhone.open();
  try {
    assert.is(sip.status().users, 0);
    const to = sip.address!;
    const port = phone.transport.local.port;
    phone.send(register(port, "UDP", 1), to);
    const challenge = await phone.next();
    phone.send(register(port, "UDP", 2, answer(challenge)), to);
    assert.is((await phone.next()).status, 401, "unknown user before the file exists");
    await writeFile(
      join(dir, "sip_users"),
      formatUserLine(makeUserRecord("alice", REALM, "wonderland")) + "\n",
    );
    await sip.reloadUsers();
    assert.is(sip.status().users, 1);
    phone.send(register(port, "UDP", 3), to);
    const again = await phone.next();
    phone.send(register(port, "UDP", 4, answer(again)), to);
    assert.is((await phone.next()).status, 200);
    assert.ok((await readFile(join(dir, SIP_NONCE_SECRET_FILE))).length >= 16);
  } finally {
    await phone.transport.close();
    await sip.stop();
    await rm(dir, { recursive: true, force: true });
  }
  assert.is(sip.address, undefined, "stop() released the socket");
});

test("SipService registers a browser-style client over WebSocket (RFC 7118, subprotocol sip)", async () => {
  const dir = await usersDir({ alice: "wonderland" });
  const sip = await startSip(dir, await freePort());
  const wsAddress = sip.status().ws as string;
  const ws = new WebSocket(`ws://${wsAddress}`, "sip");
  const inbox: SipMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("WebSocket did not open"));
    });
    assert.is(ws.protocol, "sip");
    const kinds: string[] = [];
    ws.onmessage = (event) => {
      // an assertion here would throw inside the event handler, not fail the test: record it
      kinds.push(typeof event.data);
      if (typeof event.data === "string") inbox.push(parseSipMessage(encoder.encode(event.data)));
    };
    const next = async () => {
      const deadline = Date.now() + 3000;
      while (inbox.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const message = inbox.shift();
      if (message === undefined) throw new Error("no answer over the WebSocket");
      return message;
    };
    const wsRegister = (cseq: number, authorization?: string) =>
      register(0, "WS", cseq, authorization).replace("127.0.0.1:0", "df7jal23ls0d.invalid");
    ws.send(wsRegister(1));
    const challenge = await next();
    assert.is(challenge.status, 401);
    ws.send(wsRegister(2, answer(challenge)));
    assert.is((await next()).status, 200);
    assert.is(sip.status().bindings, 1);
    assert.equal(kinds, ["string", "string"], "SIP over WebSocket comes as text frames");
  } finally {
    ws.close();
    await sip.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
