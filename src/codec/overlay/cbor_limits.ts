import type { CborSubsetLimits } from "../cbor/cbor_subset.ts";

/** Frame: `[type, ttl, [via...], envelope, signature]`; a resource destination nests 3 deep. */
export const FRAME_CBOR_LIMITS: CborSubsetLimits = {
  maxDepth: 3,
  maxArrayItems: 64,
  maxItems: 160,
};

/** Envelope: destinations and options nest 3 deep. */
export const ENVELOPE_CBOR_LIMITS: CborSubsetLimits = {
  maxDepth: 3,
  maxArrayItems: 16,
  maxItems: 96,
};

/** Message bodies: Store/Fetch answers are the deepest (kind data > stored data > value). */
export const BODY_CBOR_LIMITS: CborSubsetLimits = {
  maxDepth: 6,
  maxArrayItems: 512,
  maxItems: 8192,
};
