// Signed stored values for the storage tests, made with RFC 8032's published keys as in
// scripts/lib/overlay_samples.ts, so every signature is reproducible.
import {
  encodeStoredDataToBeSigned,
  type StoredData,
  type StoredValue,
} from "../../../src/codec/overlay/messages/stored_data.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import type { NodeKey } from "../../../src/identity/node_key.ts";
import { resourceId } from "../../../src/identity/resource_id.ts";
import { SignatureDomain, signInDomain } from "../../../src/identity/signatures.ts";
import {
  DEFAULT_KINDS,
  type KindDefinition,
  KindRegistry,
} from "../../../src/overlay/storage/kinds.ts";
import { LocalStore, type LocalStoreInit } from "../../../src/overlay/storage/local_store.ts";
import {
  nodeKeyFromSeed,
  RFC8032_TEST1_SEED,
  RFC8032_TEST2_SEED,
} from "../../../scripts/lib/fixed_keys.ts";

/** RFC 8032 TEST 1: node id 21fe31dfa154a261626bf854046fd227. */
export const ALICE_NODE: NodeKey = nodeKeyFromSeed(RFC8032_TEST1_SEED);
/** RFC 8032 TEST 2. */
export const BOB_NODE: NodeKey = nodeKeyFromSeed(RFC8032_TEST2_SEED);
/** RFC 8032 TEST 3. */
export const CAROL_NODE: NodeKey = nodeKeyFromSeed(
  "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
);

/** An address of record's resource id. */
export const AOR = resourceId("sip:alice@mesh.example.org");
/** 2026-11-25T12:00:00Z, as in the overlay samples. */
export const T0 = 1_795_003_200;

/** An array kind for the selector tests (no built-in kind uses arrays). */
export const TEST_ARRAY: KindDefinition = {
  id: 100,
  name: "TEST-ARRAY",
  dataModel: "array",
  accessPolicy: "NODE-MATCH",
  maxCount: 4,
  maxSize: 64,
};

export const utf8 = (text: string) => new TextEncoder().encode(text);

/** `value` at `resource` signed by `key` (RFC 6940 section 7.1 coverage, our StoredData domain). */
export function signed(
  key: NodeKey,
  resource: Uint8Array,
  kind: number,
  value: StoredValue,
  options: { storageTime?: number; lifetime?: number } = {},
): StoredData {
  const storageTime = options.storageTime ?? T0;
  return {
    storageTime,
    lifetime: options.lifetime ?? 3600,
    value,
    signature: {
      signerKey: key.publicKeyRaw,
      sig: signInDomain(
        key.privateKey,
        SignatureDomain.StoredData,
        encodeStoredDataToBeSigned(resource, kind, storageTime, value),
      ),
    },
  };
}

/** A SIP registration by `key` (dictionary entry keyed by its node id) at `resource`. */
export function registration(
  key: NodeKey,
  contact: string,
  options: { resource?: Uint8Array; storageTime?: number; lifetime?: number; exists?: boolean } =
    {},
): StoredData {
  return signed(key, options.resource ?? AOR, 1, {
    model: "dictionary",
    key: key.nodeId,
    exists: options.exists ?? true,
    data: utf8(contact),
  }, options);
}

/** A store with the default kinds plus TEST_ARRAY, on a manual clock. */
export function makeStore(init: Partial<LocalStoreInit> = {}) {
  const clock = new ManualClock();
  const store = new LocalStore({
    kinds: new KindRegistry([...DEFAULT_KINDS, TEST_ARRAY]),
    clock,
    ...init,
  });
  return { clock, store };
}
