// RFC 6940 section 7.4.1.2 / 11: what a kind is (id, data model, access policy, max-count,
// max-size) and the kinds every superpeer overlay knows. Kinds are configuration, not wire data:
// a Store of a kind the overlay does not configure is refused with Error_Unknown_Kind.
import {
  MAX_STORED_DATA_BYTES,
  MAX_STORED_DATA_PER_KIND,
} from "../../codec/overlay/messages/stored_data.ts";

/**
 * Who may write a value (RFC 6940 section 7.3, plus our NODE-DICTIONARY-KEY):
 * - `USER-MATCH`: the resource id is H(signer's user name) (7.3.1);
 * - `NODE-MATCH`: the resource id is H(signer's node id) (7.3.2);
 * - `USER-NODE-MATCH`: USER-MATCH, and the dictionary key is the signer's node id (7.3.3);
 * - `NODE-MULTIPLE`: the resource id is H(node id || i) for some i below max-node-multiple (7.3.4);
 * - `NODE-DICTIONARY-KEY`: any resource id, but the dictionary key is the signer's node id.
 *
 * H is SHA-256 cut to 16 bytes (`resourceId()` in identity/resource_id.ts).
 */
export type AccessPolicy =
  | "USER-MATCH"
  | "NODE-MATCH"
  | "USER-NODE-MATCH"
  | "NODE-MULTIPLE"
  | "NODE-DICTIONARY-KEY";

export type KindDataModel = "single" | "array" | "dictionary";

/** One kind's configuration (RFC 6940 section 11.1 kind block). */
export interface KindDefinition {
  /** Kind-ID (IANA "RELOAD Data Kind-ID" registry for the built-in ones). */
  readonly id: number;
  readonly name: string;
  readonly dataModel: KindDataModel;
  readonly accessPolicy: AccessPolicy;
  /** Most values of this kind at one resource (a single-value kind: 1); deleted ones count. */
  readonly maxCount: number;
  /** Most bytes of one value's data. */
  readonly maxSize: number;
  /** NODE-MULTIPLE only: how many resource ids one node may write, H(node || 0 .. n-1). */
  readonly maxNodeMultiple?: number;
}

/**
 * SIP-REGISTRATION (RFC 7904 section 3, Kind-ID 1): at the resource H(address of record), a
 * dictionary of contacts keyed by the node id of the peer that registered them.
 *
 * Access policy: RFC 7904 uses USER-NODE-MATCH (the resource id is H(user name) from the writer's
 * certificate, and the key is its node id). Our phones have no overlay certificates: the Proxy
 * Peer authenticates each user with SIP Digest before it writes the registration, and signs it
 * with its own node key. So only the node half is enforced (NODE-DICTIONARY-KEY): a peer can write
 * and delete its own entry at any address of record, never another peer's entry.
 */
export const SIP_REGISTRATION: KindDefinition = {
  id: 1,
  name: "SIP-REGISTRATION",
  dataModel: "dictionary",
  accessPolicy: "NODE-DICTIONARY-KEY",
  maxCount: 64,
  maxSize: 1024,
};

/**
 * TURN-SERVICE (RFC 6940 section 9, Kind-ID 2): a relay advertises itself by storing its
 * addresses as a single value at H(node id || d), d = 0 .. 7 as a 4-byte big-endian integer
 * (NODE-MULTIPLE with max-node-multiple 8), so clients find relays with Find at random ids.
 */
export const TURN_SERVICE: KindDefinition = {
  id: 2,
  name: "TURN-SERVICE",
  dataModel: "single",
  accessPolicy: "NODE-MULTIPLE",
  maxCount: 1,
  maxSize: 256,
  maxNodeMultiple: 8,
};

/** The kinds every overlay configures. */
export const DEFAULT_KINDS: readonly KindDefinition[] = [SIP_REGISTRATION, TURN_SERVICE];

const UINT32_MAX = 0xffff_ffff;
/** Largest max-node-multiple: a NODE-MULTIPLE check hashes up to this many candidate ids. */
export const MAX_NODE_MULTIPLE = 256;

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

/** Throws TypeError / RangeError for a kind definition the store could not honour. */
function checkKindDefinition(kind: KindDefinition): void {
  const at = `Cannot register kind ${String(kind.id)} (${kind.name})`;
  if (!isUint(kind.id, UINT32_MAX)) throw new RangeError(`${at}: id is not a uint32`);
  if (kind.dataModel === "single" && kind.maxCount !== 1) {
    throw new RangeError(`${at}: a single-value kind has maxCount 1, got ${kind.maxCount}`);
  }
  // A Fetch answer lists at most MAX_STORED_DATA_PER_KIND values of a kind.
  if (!isUint(kind.maxCount, MAX_STORED_DATA_PER_KIND) || kind.maxCount < 1) {
    throw new RangeError(`${at}: maxCount must be 1 to ${MAX_STORED_DATA_PER_KIND}`);
  }
  if (!isUint(kind.maxSize, MAX_STORED_DATA_BYTES) || kind.maxSize < 1) {
    throw new RangeError(`${at}: maxSize must be 1 to ${MAX_STORED_DATA_BYTES} bytes`);
  }
  if (
    (kind.accessPolicy === "USER-NODE-MATCH" || kind.accessPolicy === "NODE-DICTIONARY-KEY") &&
    kind.dataModel !== "dictionary"
  ) {
    throw new TypeError(`${at}: ${kind.accessPolicy} needs the dictionary data model`);
  }
  if (kind.accessPolicy === "NODE-MULTIPLE") {
    if (
      kind.maxNodeMultiple === undefined || !isUint(kind.maxNodeMultiple, MAX_NODE_MULTIPLE) ||
      kind.maxNodeMultiple < 1
    ) {
      throw new RangeError(
        `${at}: NODE-MULTIPLE needs maxNodeMultiple of 1 to ${MAX_NODE_MULTIPLE}`,
      );
    }
  } else if (kind.maxNodeMultiple !== undefined) {
    throw new TypeError(`${at}: maxNodeMultiple is only for NODE-MULTIPLE`);
  }
}

/**
 * The kinds an overlay stores, by id. Refuses duplicate ids and definitions it could not honour.
 *
 * @example
 * ```ts
 * const kinds = new KindRegistry(DEFAULT_KINDS);
 * kinds.get(1)?.name; // "SIP-REGISTRATION"
 * ```
 */
export class KindRegistry {
  readonly #kinds = new Map<number, KindDefinition>();

  constructor(kinds: readonly KindDefinition[] = []) {
    for (const kind of kinds) this.add(kind);
  }

  /** Adds a kind; throws TypeError when its id is taken, RangeError when a limit is out of range. */
  add(kind: KindDefinition): void {
    checkKindDefinition(kind);
    if (this.#kinds.has(kind.id)) {
      throw new TypeError(`Cannot register kind ${kind.id} (${kind.name}): id already registered`);
    }
    this.#kinds.set(kind.id, kind);
  }

  get(id: number): KindDefinition | undefined {
    return this.#kinds.get(id);
  }

  has(id: number): boolean {
    return this.#kinds.has(id);
  }

  get size(): number {
    return this.#kinds.size;
  }

  /** The registered kinds in registration order. */
  [Symbol.iterator](): IterableIterator<KindDefinition> {
    return this.#kinds.values();
  }
}
