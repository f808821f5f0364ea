// RFC 6940 section 7.4: the values this peer stores, as a pure state machine. No I/O, no timers:
// time is an argument (or read from the injected clock), lifetimes are data, and sweep() removes
// what has expired in one pass.
import { RESOURCE_ID_BYTES } from "../../codec/overlay/constants.ts";
import type { DataSelector, StoredDataSpecifier } from "../../codec/overlay/messages/specifier.ts";
import type { StatKindResponse, StoredMeta } from "../../codec/overlay/messages/stat.ts";
import {
  encodeStoredDataToBeSigned,
  type KindData,
  type StoredData,
  type StoredValue,
} from "../../codec/overlay/messages/stored_data.ts";
import type { FindKindResult } from "../../codec/overlay/messages/find.ts";
import type { Clock } from "../../core/clock.ts";
import { nodeIdFromPublicKey } from "../../identity/node_key.ts";
import { SignatureDomain, verifyInDomain } from "../../identity/signatures.ts";
import { checkAccess } from "./access_control.ts";
import { equalBytes, sha256, toHex } from "./bytes.ts";
import {
  DEFAULT_MAX_STORAGE_BYTES,
  DEFAULT_MAX_STORAGE_BYTES_PER_SIGNER,
  STORED_VALUE_OVERHEAD_BYTES,
} from "./constants.ts";
import { type KindDefinition, KindRegistry } from "./kinds.ts";
import { STORAGE_ERROR_REASONS, StorageError, type StorageErrorReason } from "./storage_error.ts";

export interface LocalStoreInit {
  /** The kinds this overlay stores; anything else is refused with Error_Unknown_Kind. */
  kinds: KindRegistry | readonly KindDefinition[];
  /** Bytes all values may take (data + key + 64 per value). @default {DEFAULT_MAX_STORAGE_BYTES} */
  maxBytes?: number;
  /** Bytes the values signed by one node may take. @default {DEFAULT_MAX_STORAGE_BYTES_PER_SIGNER} */
  maxBytesPerSigner?: number;
  /** `clock.now()` (milliseconds) is the default `now` of every method. */
  clock: Clock;
}

/** A Store to apply: RFC 6940 StoreReq without the message code. */
export interface StoreRequest {
  readonly resourceId: Uint8Array;
  /** 0 for the original store, n > 0 for the n-th replica (RFC 6940 section 7.4.1.1). */
  readonly replicaNumber: number;
  readonly kindData: readonly KindData[];
}

/** A kind's generation counter after a successful Store (StoreKindResponse without replicas). */
export interface StoreKindResult {
  readonly kind: number;
  readonly generation: number;
}

/** Everything stored for one resource, as handed to another peer. */
export interface StoredResource {
  readonly resourceId: Uint8Array;
  readonly kindData: KindData[];
}

/** One value as held: the value as received, and when it arrived (clock milliseconds). */
interface HeldValue {
  readonly stored: StoredData;
  readonly receivedAt: number;
  /** receivedAt + the lifetime it arrived with (seconds, here in milliseconds). */
  readonly expiresAt: number;
  /** Node id (hex) of the signer, whose budget the value is charged to. */
  readonly signer: string;
  /** Bytes charged against the budgets. */
  readonly cost: number;
}

interface KindSlot {
  /** RFC 6940 generation_counter, a uint32 here. */
  generation: number;
  /** By slot key: "" (single), decimal index (array) or hex key (dictionary). */
  readonly values: Map<string, HeldValue>;
}

interface ResourceSlot {
  readonly resourceId: Uint8Array;
  readonly kinds: Map<number, KindSlot>;
}

/** The validated effect of a StoreReq on one kind, applied only once every kind has passed. */
interface KindPlan {
  readonly kind: KindDefinition;
  generation: number;
  readonly puts: Map<string, HeldValue>;
}

const UINT32_MAX = 0xffff_ffff;
const RING = 1n << BigInt(RESOURCE_ID_BYTES * 8);

function slotKey(value: StoredValue): string {
  switch (value.model) {
    case "single":
      return "";
    case "array":
      return String(value.index);
    case "dictionary":
      return toHex(value.key);
  }
}

/** Bytes charged for one value: data, dictionary key (array index: 4), plus a fixed overhead. */
function costOf(value: StoredValue): number {
  const keyBytes = value.model === "dictionary"
    ? value.key.length
    : value.model === "array"
    ? 4
    : 0;
  return value.data.length + keyBytes + STORED_VALUE_OVERHEAD_BYTES;
}

function copyStored(stored: StoredData): StoredData {
  const v = stored.value;
  const value: StoredValue = v.model === "single"
    ? { model: "single", exists: v.exists, data: v.data.slice() }
    : v.model === "array"
    ? { model: "array", index: v.index, exists: v.exists, data: v.data.slice() }
    : { model: "dictionary", key: v.key.slice(), exists: v.exists, data: v.data.slice() };
  return {
    storageTime: stored.storageTime,
    lifetime: stored.lifetime,
    value,
    signature: {
      signerKey: stored.signature.signerKey.slice(),
      sig: stored.signature.sig.slice(),
    },
  };
}

/**
 * RFC 6940 section 7.4.1.1: a value replaces the one at its place only if its storage time is
 * newer. An identical copy (same time, signer and content: a retransmission or a replica) is
 * accepted; the same time with other content is refused as too old, so two writers racing within
 * one second cannot flip a value back and forth.
 */
function supersedes(incoming: StoredData, held: StoredData): boolean {
  if (incoming.storageTime !== held.storageTime) return incoming.storageTime > held.storageTime;
  return incoming.value.exists === held.value.exists &&
    equalBytes(incoming.value.data, held.value.data) &&
    equalBytes(incoming.signature.signerKey, held.signature.signerKey);
}

/** Same time, content, signer and signature: a copy of the very value held. */
function identical(incoming: StoredData, held: StoredData): boolean {
  return incoming.storageTime === held.storageTime && supersedes(incoming, held) &&
    equalBytes(incoming.signature.sig, held.signature.sig);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot create local store: ${name} must be a positive integer`);
  }
  return value;
}

function isLive(held: HeldValue | undefined, now: number): held is HeldValue {
  return held !== undefined && held.expiresAt > now;
}

/** The value with its lifetime reduced by the time it has been held here (never below 0). */
function withRemainingLifetime(held: HeldValue, now: number): StoredData {
  const remaining = Math.max(0, Math.floor(held.stored.lifetime - (now - held.receivedAt) / 1000));
  return { ...held.stored, lifetime: remaining };
}

/** Array values by index, dictionary values by key: a stable order for answers. */
function orderedValues(slot: KindSlot): HeldValue[] {
  const values = [...slot.values.values()];
  return values.sort((a, b) => {
    const va = a.stored.value;
    const vb = b.stored.value;
    if (va.model === "array" && vb.model === "array") return va.index - vb.index;
    const ka = slotKey(va);
    const kb = slotKey(vb);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * The overlay's local storage (RFC 6940 section 7.4): values per (resource id, kind), each kind
 * with its generation counter and its values in the kind's data model (one single value, an array
 * by index, a dictionary by key).
 *
 * - `store()` validates a whole StoreReq (kind, data model, size, signature, access control,
 *   max-count, generation counter, storage time, byte budgets) and then applies all of it, or
 *   none of it; refusals are counted by reason in `refusals`.
 * - Values with `exists: false` are deletes. They are kept (as tombstones) until their lifetime
 *   ends, so an older copy that arrives later is refused as too old instead of resurrecting the
 *   value; they occupy their place in the kind's max-count and in the budgets until then, and
 *   are returned by `fetch()` and `entries()` like any value so that the delete travels too.
 * - Memory is bounded by `maxBytes` overall and `maxBytesPerSigner` per signing node; a value
 *   costs its data length + its dictionary key length (array: 4) + 64 bytes.
 * - `now` is in milliseconds on the clock's `now()` scale (the default when left out); a value's
 *   lifetime (seconds) counts from its arrival, and answers carry the lifetime left. The wall
 *   clock is used, like the replay window's: a clock step (NTP at boot) shortens or stretches
 *   lifetimes by the step, so run NTP before the overlay starts.
 *
 * Returned values share their byte arrays with the store: treat them as read-only.
 *
 * @example
 * ```ts
 * const store = new LocalStore({ kinds: DEFAULT_KINDS, clock: systemClock });
 * store.store({ resourceId, replicaNumber: 0, kindData: [{ kind: 1, generation: 0, values: [signed] }] });
 * store.fetch(resourceId, [{ kind: 1, generation: 0, selector: { model: "dictionary", keys: [] } }]);
 * ```
 */
export class LocalStore {
  readonly #kinds: KindRegistry;
  readonly #maxBytes: number;
  readonly #maxBytesPerSigner: number;
  readonly #clock: Clock;
  /** By resource id hex. */
  readonly #resources = new Map<string, ResourceSlot>();
  readonly #bytesBySigner = new Map<string, number>();
  readonly #refusals = Object.fromEntries(STORAGE_ERROR_REASONS.map((r) => [r, 0])) as Record<
    StorageErrorReason,
    number
  >;
  #bytesUsed = 0;
  /** Earliest expiry of any held value (a lower bound): a budget refusal sweeps first if it passed. */
  #nextExpiry = Infinity;

  constructor(init: LocalStoreInit) {
    this.#kinds = init.kinds instanceof KindRegistry ? init.kinds : new KindRegistry(init.kinds);
    this.#maxBytes = positiveInteger("maxBytes", init.maxBytes ?? DEFAULT_MAX_STORAGE_BYTES);
    this.#maxBytesPerSigner = positiveInteger(
      "maxBytesPerSigner",
      init.maxBytesPerSigner ?? DEFAULT_MAX_STORAGE_BYTES_PER_SIGNER,
    );
    this.#clock = init.clock;
  }

  /** Bytes charged for everything held (see the class comment for what a value costs). */
  get bytesUsed(): number {
    return this.#bytesUsed;
  }

  /** Bytes charged to the values signed by one node (node id as lower-case hex). */
  bytesBySigner(nodeIdHex: string): number {
    return this.#bytesBySigner.get(nodeIdHex.toLowerCase()) ?? 0;
  }

  /** Refused Store requests by reason, since the store was made. */
  get refusals(): Readonly<Record<StorageErrorReason, number>> {
    return { ...this.#refusals };
  }

  /** Values held per kind id, deletes and not yet swept expired values included. */
  countByKind(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const resource of this.#resources.values()) {
      for (const [kind, slot] of resource.kinds) {
        counts.set(kind, (counts.get(kind) ?? 0) + slot.values.size);
      }
    }
    return counts;
  }

  /**
   * Applies a StoreReq (RFC 6940 section 7.4.1) at time `now`: every kind and value is checked
   * first, and only if all pass is anything stored. Returns each kind's new generation counter;
   * throws StorageError (counted in `refusals`) otherwise.
   */
  store(request: StoreRequest, now: number = this.#now()): StoreKindResult[] {
    try {
      if (request.resourceId.length !== RESOURCE_ID_BYTES) {
        throw new TypeError(
          `Cannot store: resource id is ${request.resourceId.length} bytes, expected ${RESOURCE_ID_BYTES}`,
        );
      }
      const plans = this.#plan(request, now);
      let overBudget = this.#checkBudgets(request.resourceId, plans);
      if (overBudget !== undefined && this.#nextExpiry <= now) {
        this.sweep(now);
        overBudget = this.#checkBudgets(request.resourceId, plans);
      }
      if (overBudget !== undefined) throw overBudget;
      return this.#apply(request.resourceId, plans);
    } catch (error) {
      if (error instanceof StorageError) this.#refusals[error.reason]++;
      throw error;
    }
  }

  /**
   * Answers a Fetch (RFC 6940 section 7.4.2): per specifier, the kind's generation counter and the
   * selected values with the lifetime they have left; expired values are left out. A specifier
   * whose non-zero generation equals the stored one gets the kind back without values (unchanged).
   * A kind stored nowhere here comes back with generation 0 and no values.
   */
  fetch(
    resourceId: Uint8Array,
    specifiers: readonly StoredDataSpecifier[],
    now: number = this.#now(),
  ): KindData[] {
    return specifiers.map((specifier) => {
      const { generation, selected } = this.#select(resourceId, specifier, now);
      return {
        kind: specifier.kind,
        generation,
        values: selected.map((held) => withRemainingLifetime(held, now)),
      };
    });
  }

  /**
   * Answers a Stat (RFC 6940 section 7.4.3): like fetch(), with each value's length and SHA-256
   * hash instead of its data.
   */
  stat(
    resourceId: Uint8Array,
    specifiers: readonly StoredDataSpecifier[],
    now: number = this.#now(),
  ): StatKindResponse[] {
    return specifiers.map((specifier) => {
      const { generation, selected } = this.#select(resourceId, specifier, now);
      const values = selected.map((held): StoredMeta => {
        const { storageTime, lifetime, value } = withRemainingLifetime(held, now);
        const common = {
          exists: value.exists,
          length: value.data.length,
          hash: sha256(value.data),
        };
        return {
          storageTime,
          lifetime,
          meta: value.model === "single"
            ? { model: "single", ...common }
            : value.model === "array"
            ? { model: "array", index: value.index, ...common }
            : { model: "dictionary", key: value.key, ...common },
        };
      });
      return { kind: specifier.kind, generation, values };
    });
  }

  /**
   * Answers a Find (RFC 6940 section 7.4.4): for each kind, the resource id holding a live
   * (unexpired, existing) value of it that comes first at or after `resourceId` going round the
   * ring, or null. `inRange` limits the answer to the ids this peer is responsible for.
   */
  find(
    kinds: readonly number[],
    resourceId: Uint8Array,
    options: { inRange?: (resourceId: Uint8Array) => boolean; now?: number } = {},
  ): FindKindResult[] {
    const now = options.now ?? this.#now();
    const from = BigInt(`0x${toHex(resourceId) || "0"}`);
    return kinds.map((kind) => {
      this.#kind(kind);
      let best: ResourceSlot | undefined;
      let bestDistance = RING;
      for (const [hex, resource] of this.#resources) {
        const slot = resource.kinds.get(kind);
        if (slot === undefined) continue;
        let live = false;
        for (const held of slot.values.values()) {
          if (isLive(held, now) && held.stored.value.exists) {
            live = true;
            break;
          }
        }
        if (!live || (options.inRange !== undefined && !options.inRange(resource.resourceId))) {
          continue;
        }
        const distance = (((BigInt(`0x${hex}`) - from) % RING) + RING) % RING;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = resource;
        }
      }
      return { kind, closest: best === undefined ? null : best.resourceId.slice() };
    });
  }

  /**
   * Removes every value (delete or not) whose lifetime has ended, and kinds and resources left
   * empty; frees their bytes. One pass over everything. Returns how many values it removed.
   */
  sweep(now: number = this.#now()): number {
    let removed = 0;
    let nextExpiry = Infinity;
    for (const [hex, resource] of this.#resources) {
      for (const [kind, slot] of resource.kinds) {
        for (const [key, held] of slot.values) {
          if (held.expiresAt <= now) {
            slot.values.delete(key);
            this.#charge(held, -1);
            removed++;
          } else if (held.expiresAt < nextExpiry) {
            nextExpiry = held.expiresAt;
          }
        }
        if (slot.values.size === 0) resource.kinds.delete(kind);
      }
      if (resource.kinds.size === 0) this.#resources.delete(hex);
    }
    this.#nextExpiry = nextExpiry;
    return removed;
  }

  /**
   * Everything held for the resources `filter` accepts, with lifetimes reduced and expired values
   * left out (deletes included, so they travel too): what to hand a joining peer for its key
   * range, or to store again at new replicas.
   */
  entries(
    filter: (resourceId: Uint8Array) => boolean,
    now: number = this.#now(),
  ): StoredResource[] {
    const out: StoredResource[] = [];
    for (const resource of this.#resources.values()) {
      if (!filter(resource.resourceId)) continue;
      const kindData: KindData[] = [];
      for (const [kind, slot] of resource.kinds) {
        const values = orderedValues(slot)
          .filter((held) => isLive(held, now))
          .map((held) => withRemainingLifetime(held, now));
        if (values.length > 0) kindData.push({ kind, generation: slot.generation, values });
      }
      if (kindData.length > 0) out.push({ resourceId: resource.resourceId.slice(), kindData });
    }
    return out;
  }

  /** Drops everything held for the resources `filter` accepts; returns how many values it dropped. */
  remove(filter: (resourceId: Uint8Array) => boolean): number {
    let removed = 0;
    for (const [hex, resource] of this.#resources) {
      if (!filter(resource.resourceId)) continue;
      for (const slot of resource.kinds.values()) {
        for (const held of slot.values.values()) {
          this.#charge(held, -1);
          removed++;
        }
      }
      this.#resources.delete(hex);
    }
    return removed;
  }

  #now(): number {
    return this.#clock.now();
  }

  #kind(id: number): KindDefinition {
    const kind = this.#kinds.get(id);
    if (kind === undefined) {
      throw new StorageError(
        "unknown-kind",
        `Cannot use kind ${id}: not configured on this overlay`,
        {
          kind: id,
        },
      );
    }
    return kind;
  }

  /** Checks everything but the budgets; returns the puts per kind. Changes nothing. */
  #plan(request: StoreRequest, now: number): Map<number, KindPlan> {
    const { resourceId } = request;
    const resource = this.#resources.get(toHex(resourceId));
    const plans = new Map<number, KindPlan>();
    for (const kindData of request.kindData) {
      const kind = this.#kind(kindData.kind);
      const current = resource?.kinds.get(kind.id);
      let plan = plans.get(kind.id);
      if (plan === undefined) {
        plan = { kind, generation: current?.generation ?? 0, puts: new Map() };
        plans.set(kind.id, plan);
      }
      // RFC 6940 section 7.4.1.1: a non-zero generation_counter below the stored one MUST be refused.
      if (kindData.generation !== 0 && kindData.generation < plan.generation) {
        throw new StorageError(
          "generation-too-low",
          `Cannot store kind ${kind.id}: generation ${kindData.generation} is below the stored ${plan.generation}`,
          { kind: kind.id },
        );
      }
      for (const stored of kindData.values) {
        const key = slotKey(stored.value);
        const previous = plan.puts.get(key) ?? current?.values.get(key);
        // A copy of a value we verified already (a replica push, a retransmitted store): its
        // signature need not be checked again.
        const signer = isLive(previous, now) && identical(stored, previous.stored)
          ? previous.signer
          : this.#checkValue(resourceId, kind, stored);
        if (isLive(previous, now) && !supersedes(stored, previous.stored)) {
          throw new StorageError(
            "data-too-old",
            `Cannot store kind ${kind.id}: storage time ${stored.storageTime} is not newer than the stored ${previous.stored.storageTime}`,
            { kind: kind.id },
          );
        }
        const copy = copyStored(stored);
        plan.puts.set(key, {
          stored: copy,
          receivedAt: now,
          expiresAt: now + copy.lifetime * 1000,
          signer,
          cost: costOf(copy.value),
        });
      }
      let count = plan.puts.size;
      for (const [key, held] of current?.values ?? []) {
        if (isLive(held, now) && !plan.puts.has(key)) count++;
      }
      if (count > kind.maxCount) {
        throw new StorageError(
          "data-too-large",
          `Cannot store kind ${kind.id}: ${count} values would exceed its max-count ${kind.maxCount}`,
          { kind: kind.id },
        );
      }
      if (kindData.values.length > 0) {
        // RFC 6940 section 7.4.1.1: a replica keeps the generation counter of the primary's store.
        plan.generation = request.replicaNumber > 0 && kindData.generation !== 0
          ? kindData.generation
          : plan.generation >= UINT32_MAX
          ? 1
          : plan.generation + 1;
      }
    }
    return plans;
  }

  /**
   * Data model, size, signature (RFC 6940 section 7.1) and access control (7.3) of one value,
   * cheapest first; returns the signer's node id as hex.
   */
  #checkValue(resourceId: Uint8Array, kind: KindDefinition, stored: StoredData): string {
    const { value, signature } = stored;
    if (value.model !== kind.dataModel) {
      throw new StorageError(
        "wrong-model",
        `Cannot store kind ${kind.id}: a ${value.model} value in a ${kind.dataModel} kind`,
        { kind: kind.id },
      );
    }
    if (value.data.length > kind.maxSize) {
      throw new StorageError(
        "data-too-large",
        `Cannot store kind ${kind.id}: value of ${value.data.length} bytes exceeds its max-size ${kind.maxSize}`,
        { kind: kind.id },
      );
    }
    let valid: boolean;
    try {
      const toBeSigned = encodeStoredDataToBeSigned(
        resourceId,
        kind.id,
        stored.storageTime,
        value,
      );
      valid = verifyInDomain(
        signature.signerKey,
        SignatureDomain.StoredData,
        toBeSigned,
        signature.sig,
      );
    } catch (error) {
      throw new StorageError("bad-signature", `Cannot verify kind ${kind.id} value: malformed`, {
        kind: kind.id,
        cause: error,
      });
    }
    if (!valid) {
      throw new StorageError(
        "bad-signature",
        `Cannot store kind ${kind.id}: the value's signature does not verify`,
        { kind: kind.id },
      );
    }
    const nodeId = nodeIdFromPublicKey(signature.signerKey);
    checkAccess(kind, resourceId, value, { nodeId });
    return toHex(nodeId);
  }

  /** The budget refusal the plans would cause, or undefined when they fit. */
  #checkBudgets(resourceId: Uint8Array, plans: Map<number, KindPlan>): StorageError | undefined {
    const resource = this.#resources.get(toHex(resourceId));
    let total = 0;
    const bySigner = new Map<string, number>();
    for (const plan of plans.values()) {
      const current = resource?.kinds.get(plan.kind.id);
      for (const [key, put] of plan.puts) {
        const old = current?.values.get(key);
        total += put.cost - (old?.cost ?? 0);
        bySigner.set(put.signer, (bySigner.get(put.signer) ?? 0) + put.cost);
        if (old !== undefined) bySigner.set(old.signer, (bySigner.get(old.signer) ?? 0) - old.cost);
      }
    }
    if (total > 0 && this.#bytesUsed + total > this.#maxBytes) {
      return new StorageError(
        "data-too-large",
        `Cannot store: ${total} more bytes would exceed the storage budget of ${this.#maxBytes}`,
      );
    }
    for (const [signer, delta] of bySigner) {
      const used = this.#bytesBySigner.get(signer) ?? 0;
      if (delta > 0 && used + delta > this.#maxBytesPerSigner) {
        return new StorageError(
          "data-too-large",
          `Cannot store: ${delta} more bytes would exceed node ${signer}'s budget of ${this.#maxBytesPerSigner}`,
        );
      }
    }
    return undefined;
  }

  #apply(resourceId: Uint8Array, plans: Map<number, KindPlan>): StoreKindResult[] {
    const hex = toHex(resourceId);
    let resource = this.#resources.get(hex);
    const results: StoreKindResult[] = [];
    for (const plan of plans.values()) {
      if (plan.puts.size > 0) {
        if (resource === undefined) {
          resource = { resourceId: resourceId.slice(), kinds: new Map() };
          this.#resources.set(hex, resource);
        }
        let slot = resource.kinds.get(plan.kind.id);
        if (slot === undefined) {
          slot = { generation: 0, values: new Map() };
          resource.kinds.set(plan.kind.id, slot);
        }
        for (const [key, put] of plan.puts) {
          const old = slot.values.get(key);
          if (old !== undefined) this.#charge(old, -1);
          slot.values.set(key, put);
          this.#charge(put, 1);
          if (put.expiresAt < this.#nextExpiry) this.#nextExpiry = put.expiresAt;
        }
        slot.generation = plan.generation;
      }
      results.push({ kind: plan.kind.id, generation: plan.generation });
    }
    return results;
  }

  #charge(held: HeldValue, sign: 1 | -1): void {
    this.#bytesUsed += sign * held.cost;
    const next = (this.#bytesBySigner.get(held.signer) ?? 0) + sign * held.cost;
    if (next === 0) this.#bytesBySigner.delete(held.signer);
    else this.#bytesBySigner.set(held.signer, next);
  }

  /** The generation and the live values a specifier selects (none when the generation is unchanged). */
  #select(
    resourceId: Uint8Array,
    specifier: StoredDataSpecifier,
    now: number,
  ): { generation: number; selected: HeldValue[] } {
    const kind = this.#kind(specifier.kind);
    const selector: DataSelector = specifier.selector;
    if (selector.model !== kind.dataModel) {
      throw new StorageError(
        "wrong-model",
        `Cannot fetch kind ${kind.id}: a ${selector.model} selector for a ${kind.dataModel} kind`,
        { kind: kind.id },
      );
    }
    const slot = this.#resources.get(toHex(resourceId))?.kinds.get(kind.id);
    const generation = slot?.generation ?? 0;
    if (slot === undefined || (specifier.generation !== 0 && specifier.generation === generation)) {
      return { generation, selected: [] };
    }
    let selected: HeldValue[];
    switch (selector.model) {
      case "single":
        selected = orderedValues(slot);
        break;
      case "array":
        selected = orderedValues(slot).filter((held) => {
          const value = held.stored.value;
          return value.model === "array" &&
            selector.ranges.some((r) => value.index >= r.first && value.index <= r.last);
        });
        break;
      case "dictionary": {
        if (selector.keys.length === 0) {
          selected = orderedValues(slot);
          break;
        }
        const keys = new Set(selector.keys.map(toHex));
        selected = [...keys].flatMap((key) => {
          const held = slot.values.get(key);
          return held === undefined ? [] : [held];
        });
        break;
      }
    }
    return { generation, selected: selected.filter((held) => isLive(held, now)) };
  }
}
