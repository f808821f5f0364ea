import type { CborValue } from "../cbor/cbor_codec.ts";

/**
 * How one message type maps to the fields after its code in `[code, ...fields]`. Each message
 * file under messages/ exports one codec per request and answer.
 */
export interface BodyCodec<M extends { readonly code: number }> {
  readonly code: M["code"];
  /** Name for logs and the bench, e.g. "PingReq". */
  readonly name: string;
  /** The fields after the code; throws OverlayEncodeError when a field is out of range. */
  encodeFields(message: M): CborValue[];
  /** Decodes the fields after the code; `place` prefixes error places ("body.padding"). */
  decodeFields(fields: readonly CborValue[], place: string): M;
}
