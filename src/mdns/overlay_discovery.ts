import { decodeTxtPairs, encodeTxtPairs } from "../codec/dns/txt_pairs.ts";

/** DNS-SD service type of overlay peers (README "Zero configuration (mDNS)" says why). */
export const OVERLAY_SERVICE_TYPE = ["_p2psip", "_udp"] as const;

/** What an overlay peer says about itself in its TXT record. */
export interface OverlayPeerIdentity {
  /** overlay=: the overlay name (hashed into the overlay id). */
  readonly overlay: string;
  /** cfg=: hex of the first 8 bytes of the configuration fingerprint. */
  readonly cfg: string;
  /** id=: the node id, 32 hex digits. */
  readonly id: string;
  /** v=: the overlay wire-format version. */
  readonly version: number;
}

/** Why a discovered peer is not a bootstrap candidate. */
export type IgnoredPeerReason = "self" | "overlay" | "config" | "version" | "malformed";

export type PeerVerdict =
  | { readonly ok: true; readonly nodeId: Uint8Array }
  | { readonly ok: false; readonly reason: IgnoredPeerReason };

const NODE_ID_HEX = /^[0-9a-f]{32}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The TXT strings of our overlay advert (RFC 6763 section 6: short keys, key=value).
 *
 * @example
 * ```ts
 * overlayTxt({ overlay: "mesh", cfg: "0a1b2c3d4e5f6071", id: "00".repeat(16), version: 1 });
 * ```
 */
export function overlayTxt(identity: OverlayPeerIdentity): Uint8Array[] {
  return encodeTxtPairs({
    overlay: identity.overlay,
    cfg: identity.cfg,
    id: identity.id,
    v: String(identity.version),
  });
}

/**
 * Whether a discovered `_p2psip._udp` instance may be a bootstrap candidate: same overlay name,
 * configuration fingerprint and version, a well-formed node id that is not ours. Nothing else in
 * it is trusted: admission still decides whether the peer lets us in and we let it in.
 */
export function judgeOverlayPeer(
  txt: readonly Uint8Array[],
  ours: OverlayPeerIdentity,
): PeerVerdict {
  const pairs = decodeTxtPairs(txt);
  const read = (key: string): string | undefined => {
    const value = pairs.get(key);
    if (!(value instanceof Uint8Array)) return undefined;
    try {
      return utf8.decode(value);
    } catch {
      return undefined;
    }
  };
  const overlay = read("overlay");
  const cfg = read("cfg");
  const id = read("id")?.toLowerCase();
  const version = read("v");
  if (overlay === undefined || cfg === undefined || id === undefined || version === undefined) {
    return { ok: false, reason: "malformed" };
  }
  if (!NODE_ID_HEX.test(id)) return { ok: false, reason: "malformed" };
  if (overlay !== ours.overlay) return { ok: false, reason: "overlay" };
  if (version !== String(ours.version)) return { ok: false, reason: "version" };
  if (cfg.toLowerCase() !== ours.cfg.toLowerCase()) return { ok: false, reason: "config" };
  if (id === ours.id.toLowerCase()) return { ok: false, reason: "self" };
  const nodeId = new Uint8Array(16);
  for (let i = 0; i < 16; i++) nodeId[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return { ok: true, nodeId };
}
