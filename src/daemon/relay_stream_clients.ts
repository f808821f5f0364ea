/**
 * The relay's TCP and TLS clients: one STUN framer and one fixed 5-tuple per connection, found
 * again by the 5-tuple an allocation keeps, and idle clients found by the sweep.
 *
 * @module
 */
import { StunDecodeError, StunStreamFramer } from "../codec/stun/mod.ts";
import type { StreamConnection } from "../core/stream_transport.ts";
import { type FiveTuple, fiveTupleKey } from "../relay/mod.ts";

/** Largest frame a client may send: a ChannelData of 65,535 bytes plus header and padding. */
export const MAX_STREAM_FRAME_BYTES = 4 + 0xffff + 3;

/** One connected client. */
export interface StreamClient {
  readonly connection: StreamConnection;
  /** The connection's 5-tuple, one object for its whole life (actions and allocations keep it). */
  readonly tuple: FiveTuple;
  /** Monotonic milliseconds of the last bytes received. */
  lastData: number;
}

/** What the clients table calls for each frame and each framing error. */
export interface StreamClientHandlers {
  /** One whole STUN message or ChannelData frame, valid only during the call. */
  readonly frame: (client: StreamClient, frame: Uint8Array) => void;
  /** The client broke framing (a frame over the cap, a bad first byte): it is disconnected. */
  readonly malformed: (client: StreamClient, error: StunDecodeError) => void;
  /** The connection ended, whoever ended it. */
  readonly closed: (client: StreamClient) => void;
}

/**
 * Connected stream clients by 5-tuple. Memory per client: one framer buffer of
 * MAX_STREAM_FRAME_BYTES, allocated when a frame is split across reads.
 *
 * @example
 * ```ts
 * const clients = new RelayStreamClients(clock.monotonic, handlers);
 * listener.onConnection((c) => clients.add(c));
 * clients.find(allocation.fiveTuple)?.connection.write(bytes);
 * ```
 */
export class RelayStreamClients {
  readonly #now: () => number;
  readonly #handlers: StreamClientHandlers;
  readonly #byKey = new Map<string, StreamClient>();
  /** Lookups by the tuple object an allocation holds: no key string per packet after the first. */
  readonly #byTuple = new WeakMap<FiveTuple, StreamClient>();

  constructor(now: () => number, handlers: StreamClientHandlers) {
    this.#now = now;
    this.#handlers = handlers;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Starts serving `connection`. */
  add(connection: StreamConnection): StreamClient {
    const tuple: FiveTuple = {
      transport: connection.protocol,
      client: { host: connection.remote.host, port: connection.remote.port },
      server: { host: connection.local.host, port: connection.local.port },
    };
    const client: StreamClient = { connection, tuple, lastData: this.#now() };
    const key = fiveTupleKey(tuple);
    this.#byKey.set(key, client);
    this.#byTuple.set(tuple, client);
    const framer = new StunStreamFramer({ maxFrameBytes: MAX_STREAM_FRAME_BYTES });
    const onFrame = (frame: Uint8Array) => this.#handlers.frame(client, frame);
    connection.onData((chunk) => {
      client.lastData = this.#now();
      try {
        framer.feed(chunk, onFrame);
      } catch (error) {
        if (!(error instanceof StunDecodeError)) throw error;
        this.#handlers.malformed(client, error);
        connection.close();
      }
    });
    connection.onClose(() => {
      if (this.#byKey.get(key) === client) this.#byKey.delete(key);
      this.#handlers.closed(client);
    });
    return client;
  }

  /** The client on `tuple` (any object equal to a client's 5-tuple). */
  find(tuple: FiveTuple): StreamClient | undefined {
    let client = this.#byTuple.get(tuple);
    if (client === undefined) {
      client = this.#byKey.get(fiveTupleKey(tuple));
      if (client !== undefined) this.#byTuple.set(tuple, client);
    }
    return client;
  }

  /** Disconnects clients silent for `idleMs` unless `keep(client)` says otherwise. */
  closeIdle(idleMs: number, keep: (client: StreamClient) => boolean): number {
    const cutoff = this.#now() - idleMs;
    let closed = 0;
    for (const client of this.#byKey.values()) {
      if (client.lastData <= cutoff && !keep(client)) {
        client.connection.close();
        closed++;
      }
    }
    return closed;
  }
}
