import { createHash } from "node:crypto";

const utf8 = new TextEncoder();

/**
 * The 32-bit overlay id every envelope carries: the first 32 bits (big-endian) of
 * SHA-256(UTF-8 name || 0x00 || configuration fingerprint). Nodes of different overlays, or of
 * one overlay under different configurations, get different ids; a receiver refuses an envelope
 * whose id is not its own with RELOAD's Error_Incompatible_with_Overlay (RFC 6940 section 6.3.2,
 * ErrorCode.IncompatibleWithOverlay), before it looks at anything else.
 *
 * The 0x00 separator keeps name and fingerprint apart, so a name must not contain NUL (RangeError).
 *
 * @example
 * ```ts
 * overlayId("superpeer", new Uint8Array(0)); // 0x0f96e544
 * ```
 */
export function overlayId(name: string, configFingerprint: Uint8Array): number {
  if (name.length === 0 || name.includes("\u0000")) {
    throw new RangeError("Cannot derive an overlay id: the name must be non-empty and without NUL");
  }
  const digest = createHash("sha256")
    .update(utf8.encode(name))
    .update(new Uint8Array([0]))
    .update(configFingerprint)
    .digest();
  return digest.readUInt32BE(0);
}

/**
 * The overlay id a configuration joins: the one place that decides what the fingerprint is.
 *
 * For now the fingerprint is empty, so the id depends on `overlay.name` only. The overlay service
 * will define a fingerprint of the settings every node must share (hash, ring parameters,
 * admission mode); changing it here changes every id, certificates included (they are bound to
 * the overlay id), so it must be settled before certificates are issued in production.
 *
 * @example
 * ```ts
 * overlayIdForConfig({ overlay: { name: "superpeer" } }); // 0x0f96e544
 * ```
 */
export function overlayIdForConfig(
  config: { readonly overlay: { readonly name: string } },
): number {
  return overlayId(config.overlay.name, new Uint8Array(0));
}

/** An overlay id as logs and the CLI show it: 0x and 8 hex digits. */
export function formatOverlayId(id: number): string {
  return `0x${id.toString(16).padStart(8, "0")}`;
}
