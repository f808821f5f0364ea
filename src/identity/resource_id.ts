import { createHash } from "node:crypto";
import { RESOURCE_ID_BYTES } from "../codec/overlay/constants.ts";

const utf8 = new TextEncoder();

/**
 * The overlay id of a resource: the first 128 bits of SHA-256 over its name (RFC 6940 section
 * 5.2 maps a resource name to an id with the overlay's hash; ours is SHA-256 cut to the 128-bit
 * id size of section 10.2). A string name is hashed as UTF-8, bytes are hashed as they are.
 *
 * @example
 * ```ts
 * resourceId("sip:alice@example.org"); // 16 bytes: where alice's registration is stored
 * ```
 */
export function resourceId(name: string | Uint8Array): Uint8Array {
  const bytes = typeof name === "string" ? utf8.encode(name) : name;
  return new Uint8Array(createHash("sha256").update(bytes).digest().subarray(0, RESOURCE_ID_BYTES));
}
