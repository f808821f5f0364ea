import { createHash } from "node:crypto";
import { encodeCbor } from "../codec/cbor/cbor_codec.ts";
import { OVERLAY_PROTOCOL_VERSION } from "../codec/overlay/constants.ts";

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

/** The overlay settings every node of one overlay must share; they make up its fingerprint. */
export interface OverlayIdentitySettings {
  readonly name: string;
  readonly admission: string;
  /** base64url Ed25519 key of the operator; empty unless admission is "operator". */
  readonly operatorPublicKey: string;
}

/**
 * The configuration fingerprint: SHA-256 of the deterministic CBOR array
 * [wire-format version, admission mode, operator public key]. Two nodes that disagree on any of
 * these cannot work together, so they get different overlay ids and refuse each other with
 * Error_Incompatible_with_Overlay instead of failing later in confusing ways. The shared secret is
 * deliberately not part of it (the id travels in every message). Certificates are bound to the id,
 * which is right: a certificate of one operator must not admit a node to another operator's overlay.
 */
export function configFingerprint(settings: OverlayIdentitySettings): Uint8Array {
  const operatorKey = settings.admission === "operator" ? settings.operatorPublicKey : "";
  return new Uint8Array(
    createHash("sha256").update(
      encodeCbor([OVERLAY_PROTOCOL_VERSION, settings.admission, operatorKey]),
    ).digest(),
  );
}

/**
 * The overlay id a configuration joins: its name and the fingerprint of the shared settings.
 *
 * @example
 * ```ts
 * overlayIdForConfig({ overlay: { name: "superpeer", admission: "open", operatorPublicKey: "" } });
 * ```
 */
export function overlayIdForConfig(config: { readonly overlay: OverlayIdentitySettings }): number {
  return overlayId(config.overlay.name, configFingerprint(config.overlay));
}

/** An overlay id as logs and the CLI show it: 0x and 8 hex digits. */
export function formatOverlayId(id: number): string {
  return `0x${id.toString(16).padStart(8, "0")}`;
}
