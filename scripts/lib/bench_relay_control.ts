// The TURN control plane of the relay bench: Allocate with long-term credentials (401 -> realm and
// nonce -> authenticated Allocate) and ChannelBind to the sink, from one UDP client port per
// allocation, built with our own STUN codec. The socket is closed afterwards: TURN binds an
// allocation to the client's 5-tuple, so the C load generator binds the same port and sends
// ChannelData for it.
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import {
  decodeErrorCode,
  decodeNonce,
  decodeRealm,
  decodeStunMessage,
  decodeXorAddress,
  encodeChannelNumber,
  encodeLifetime,
  encodeNonce,
  encodeRealm,
  encodeRequestedTransport,
  encodeUsername,
  encodeXorPeerAddress,
  longTermKey,
  StunAttribute,
  StunClass,
  type StunMessage,
  StunMessageBuilder,
  StunMessageType,
  TRANSPORT_PROTOCOL_UDP,
} from "../../src/codec/stun/mod.ts";

/** The channel every bench allocation binds to the sink (the C generator's CHANNEL). */
export const BENCH_CHANNEL = 0x4000;

/** Who the bench is to the relay under test. */
export interface BenchCredentials {
  readonly username: string;
  readonly password: string;
}

/** One allocation the bench made: its client port, relayed address and when it was last bound. */
export interface BenchAllocation {
  readonly clientPort: number;
  readonly relayed: { host: string; port: number };
  realm: string;
  nonce: string;
  boundAt: number;
}

/** A TURN request that got an error answer or none. */
export class TurnSetupError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "TurnSetupError";
  }
}

const TIMEOUT_MS = 400;
const ALLOCATE_TRIES_ON_508 = 5;
const TRIES = 4;

/** One client socket with request/answer by transaction id. */
class SetupSocket {
  readonly #socket: dgram.Socket;
  readonly #waiting = new Map<string, (m: StunMessage) => void>();
  readonly #builder = new StunMessageBuilder({ capacity: 1024 });

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on("message", (bytes: Buffer) => {
      let message: StunMessage;
      try {
        message = decodeStunMessage(new Uint8Array(bytes));
      } catch {
        return; // ChannelData or noise
      }
      const id = Buffer.from(message.bytes.subarray(8, 20)).toString("hex");
      this.#waiting.get(id)?.(message);
    });
  }

  static async bind(port: number): Promise<SetupSocket> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on("error", () => {}); // ICMP errors of a dead server: the request times out
    return new SetupSocket(socket);
  }

  get builder(): StunMessageBuilder {
    return this.#builder;
  }

  /** Sends what `build` writes (fresh transaction id each try) and waits for its answer. */
  async request(
    server: { host: string; port: number },
    build: (b: StunMessageBuilder, id: Uint8Array) => Uint8Array,
    tries = TRIES,
  ): Promise<StunMessage> {
    for (let attempt = 0; attempt < tries; attempt++) {
      const id = crypto.getRandomValues(new Uint8Array(12));
      const key = Buffer.from(id).toString("hex");
      const bytes = build(this.#builder, id).slice();
      const answer = new Promise<StunMessage | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), TIMEOUT_MS * (attempt + 1));
        this.#waiting.set(key, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
      this.#socket.send(bytes, server.port, server.host);
      const message = await answer;
      this.#waiting.delete(key);
      if (message !== undefined) return message;
    }
    throw new TurnSetupError(
      `No answer from ${server.host}:${server.port} after ${tries} tries`,
      0,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

function errorCodeOf(message: StunMessage): number {
  if (message.messageClass !== StunClass.ErrorResponse) return 0;
  const at = message.indexOf(StunAttribute.ErrorCode);
  return at < 0 ? -1 : decodeErrorCode(message, at).code;
}

function authenticated(
  b: StunMessageBuilder,
  credentials: BenchCredentials,
  realm: string,
  nonce: string,
): Uint8Array {
  encodeUsername(b, credentials.username);
  encodeRealm(b, realm);
  encodeNonce(b, nonce);
  const key = longTermKey({ ...credentials, realm });
  return b.finish({ integrityKey: key, fingerprint: true });
}

/** Takes the realm and nonce of a 401 or 438 answer. */
function challenge(message: StunMessage): { realm: string; nonce: string } | undefined {
  const r = message.indexOf(StunAttribute.Realm);
  const n = message.indexOf(StunAttribute.Nonce);
  if (r < 0 || n < 0) return undefined;
  return { realm: decodeRealm(message, r), nonce: decodeNonce(message, n) };
}

async function channelBind(
  socket: SetupSocket,
  server: { host: string; port: number },
  credentials: BenchCredentials,
  allocation: BenchAllocation,
  sink: { host: string; port: number },
): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const answer = await socket.request(server, (b, id) => {
      b.begin(StunMessageType.ChannelBindRequest, id);
      encodeChannelNumber(b, BENCH_CHANNEL);
      encodeXorPeerAddress(b, { family: 4, ...sink });
      return authenticated(b, credentials, allocation.realm, allocation.nonce);
    });
    const code = errorCodeOf(answer);
    if (code === 0) {
      allocation.boundAt = performance.now();
      return;
    }
    const fresh = code === 438 ? challenge(answer) : undefined;
    if (fresh === undefined) {
      throw new TurnSetupError(`ChannelBind from port ${allocation.clientPort}: ${code}`, code);
    }
    allocation.realm = fresh.realm;
    allocation.nonce = fresh.nonce;
  }
  throw new TurnSetupError(
    `ChannelBind from port ${allocation.clientPort}: stale nonce twice`,
    438,
  );
}

/**
 * Allocates from 127.0.0.1:`clientPort` (lifetime 3600 s asked; servers clamp it) and binds
 * BENCH_CHANNEL to `sink`, which also installs the permission for the sink's address.
 */
export async function allocateFrom(
  clientPort: number,
  server: { host: string; port: number },
  credentials: BenchCredentials,
  sink: { host: string; port: number },
): Promise<BenchAllocation> {
  const socket = await SetupSocket.bind(clientPort);
  try {
    const first = await socket.request(server, (b, id) => {
      b.begin(StunMessageType.AllocateRequest, id);
      encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP);
      return b.finish({ fingerprint: true });
    });
    const asked = challenge(first);
    if (errorCodeOf(first) !== 401 || asked === undefined) {
      throw new TurnSetupError(
        `Allocate from port ${clientPort}: expected 401, got ${errorCodeOf(first)}`,
        errorCodeOf(first),
      );
    }
    // 508: the relay port the server picked was taken (other daemons on this machine use the same
    // range); a client tries again and the server picks another port.
    let second: StunMessage;
    let code: number;
    let tries = 0;
    do {
      second = await socket.request(server, (b, id) => {
        b.begin(StunMessageType.AllocateRequest, id);
        encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP);
        encodeLifetime(b, 3600);
        return authenticated(b, credentials, asked.realm, asked.nonce);
      });
      code = errorCodeOf(second);
    } while (code === 508 && ++tries < ALLOCATE_TRIES_ON_508);
    if (code !== 0) throw new TurnSetupError(`Allocate from port ${clientPort}: ${code}`, code);
    const at = second.indexOf(StunAttribute.XorRelayedAddress);
    if (at < 0) throw new TurnSetupError("Allocate success without XOR-RELAYED-ADDRESS", -1);
    const relayed = decodeXorAddress(second, at);
    const allocation: BenchAllocation = {
      clientPort,
      relayed: { host: relayed.host, port: relayed.port },
      realm: asked.realm,
      nonce: asked.nonce,
      boundAt: 0,
    };
    await channelBind(socket, server, credentials, allocation, sink);
    return allocation;
  } finally {
    await socket.close();
  }
}

/** ChannelBind again from the allocation's port: refreshes the channel and the permission. */
export async function rebind(
  allocation: BenchAllocation,
  server: { host: string; port: number },
  credentials: BenchCredentials,
  sink: { host: string; port: number },
): Promise<void> {
  const socket = await SetupSocket.bind(allocation.clientPort);
  try {
    await channelBind(socket, server, credentials, allocation, sink);
  } finally {
    await socket.close();
  }
}

/** A STUN Binding answered: the server is up. */
export async function stunPing(server: { host: string; port: number }): Promise<boolean> {
  const socket = await SetupSocket.bind(0);
  try {
    const answer = await socket.request(server, (b, id) => {
      b.begin(StunMessageType.BindingRequest, id);
      return b.finish({ fingerprint: true });
    }, 1);
    return answer.type === StunMessageType.BindingSuccess;
  } catch {
    return false;
  } finally {
    await socket.close();
  }
}

/** Binds 127.0.0.1:`port` for a moment: is it free now? */
export async function udpPortFree(port: number): Promise<boolean> {
  try {
    const socket = await SetupSocket.bind(port);
    await socket.close();
    return true;
  } catch {
    return false;
  }
}
