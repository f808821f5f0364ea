// A TURN client for the relay tests: builds requests with the codec as a real client would and
// reads the server's answers back.
import {
  decodeErrorCode,
  decodeNonce,
  decodeStunMessage,
  encodeNonce,
  encodeRealm,
  encodeRequestedTransport,
  encodeUsername,
  longTermKey,
  StunAttribute,
  type StunMessage,
  StunMessageBuilder,
  TRANSPORT_PROTOCOL_UDP,
} from "../../src/codec/stun/mod.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import {
  type FiveTuple,
  StaticCredentialStore,
  staticUserKeyHex,
  type TurnAction,
  TurnServer,
  type TurnServerComponents,
  type TurnServerInit,
} from "../../src/relay/mod.ts";

export const REALM = "example.org";
export const RELAY_V4 = "192.0.2.1";
export const PASSWORDS: Record<string, string> = { alice: "wonderland", bob: "builder" };

export function tupleOf(
  port = 50000,
  host = "198.51.100.7",
  transport: FiveTuple["transport"] = "udp",
): FiveTuple {
  return { transport, client: { host, port }, server: { host: RELAY_V4, port: 3478 } };
}

export interface Harness {
  readonly server: TurnServer;
  readonly clock: ManualClock;
  readonly metrics: MetricsRegistry;
}

export function makeServer(
  init: Partial<TurnServerInit> = {},
  components: Partial<TurnServerComponents> = {},
): Harness {
  const clock = new ManualClock();
  const metrics = new MetricsRegistry();
  const users: Record<string, string> = {};
  for (const [user, password] of Object.entries(PASSWORDS)) {
    users[user] = staticUserKeyHex(user, REALM, password);
  }
  let seed = 1;
  const server = new TurnServer(
    { realm: REALM, relayAddresses: { ipv4: RELAY_V4 }, ...init },
    {
      clock,
      metrics,
      credentials: new StaticCredentialStore({ users }),
      random: () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647;
      },
      ...components,
    },
  );
  return { server, clock, metrics };
}

let txCounter = 0;
export function newTransactionId(): Uint8Array {
  const id = new Uint8Array(12);
  crypto.getRandomValues(id);
  id[0] = txCounter++ & 0xff;
  return id;
}

export interface Exchange {
  readonly actions: readonly TurnAction[];
  /** The answer sent to the client, decoded; undefined if none. */
  readonly response: StunMessage | undefined;
  readonly bytes: Uint8Array | undefined;
}

/** What a request carries besides its attributes. */
export interface RequestOptions {
  readonly auth?: boolean;
  readonly fingerprint?: boolean;
  readonly transactionId?: Uint8Array;
  readonly username?: string;
  readonly nonce?: string;
}

/** A client on one 5-tuple with long-term credentials. */
export class TestClient {
  nonce: string | undefined;
  readonly key: Uint8Array;
  readonly builder = new StunMessageBuilder();

  constructor(
    readonly server: TurnServer,
    readonly tuple: FiveTuple,
    readonly username = "alice",
    password = PASSWORDS[username] ?? "nope",
  ) {
    this.key = longTermKey({ username, realm: REALM, password });
  }

  /** Builds a request of `type`; `attributes` writes the method's own attributes. */
  build(
    type: number,
    attributes: (b: StunMessageBuilder) => void = () => {},
    options: RequestOptions = {},
  ): Uint8Array {
    const b = this.builder.begin(type, options.transactionId ?? newTransactionId());
    attributes(b);
    const auth = options.auth ?? true;
    if (auth) {
      encodeUsername(b, options.username ?? this.username);
      encodeRealm(b, REALM);
      encodeNonce(b, options.nonce ?? this.nonce ?? "none");
    }
    return b.finish({
      ...(auth ? { integrityKey: this.key } : {}),
      fingerprint: options.fingerprint ?? false,
    }).slice();
  }

  send(bytes: Uint8Array): Exchange {
    const actions = this.server.handle(bytes, this.tuple);
    const send = actions.find((a) => a.kind === "send");
    const out = send?.kind === "send" ? send.bytes : undefined;
    const response = out === undefined ? undefined : decodeStunMessage(out);
    if (response !== undefined) {
      const at = response.indexOf(StunAttribute.Nonce);
      if (at >= 0) this.nonce = decodeNonce(response, at);
    }
    return { actions, response, bytes: out };
  }

  request(
    type: number,
    attributes: (b: StunMessageBuilder) => void = () => {},
    options: RequestOptions = {},
  ): Exchange {
    return this.send(this.build(type, attributes, options));
  }

  /** Unauthenticated Allocate (to learn the nonce), then the authenticated one. */
  allocate(attributes: (b: StunMessageBuilder) => void = () => {}): Exchange {
    if (this.nonce === undefined) {
      this.request(0x0003, (b) => encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP), {
        auth: false,
      });
    }
    return this.request(0x0003, (b) => {
      encodeRequestedTransport(b, TRANSPORT_PROTOCOL_UDP);
      attributes(b);
    });
  }
}

/** The ERROR-CODE of a response, or 0 for a success. */
export function errorOf(response: StunMessage | undefined): number {
  if (response === undefined) return -1;
  const at = response.indexOf(StunAttribute.ErrorCode);
  return at < 0 ? 0 : decodeErrorCode(response, at).code;
}
