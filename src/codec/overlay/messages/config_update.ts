// RFC 6940 section 6.5.4 ConfigUpdate: pushes a newer overlay configuration document (type
// config, with its sequence number) or kind descriptions (type kind) to a peer. The documents are
// opaque here; the configuration layer parses and verifies them.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asBytes, asCode, asList, asUint } from "../shape.ts";
import { checkBytes, checkCode, checkUint, encodeList } from "./field_checks.ts";

export const MAX_CONFIG_DOCUMENT_BYTES = 8192;
export const MAX_KIND_DESCRIPTION_BYTES = 1024;
export const MAX_KIND_DESCRIPTIONS = 16;

/** RFC 6940 ConfigUpdateType. */
export const ConfigUpdateType = {
  Config: 1,
  Kind: 2,
} as const;
export type ConfigUpdateType = (typeof ConfigUpdateType)[keyof typeof ConfigUpdateType];
const CONFIG_UPDATE_TYPES: readonly ConfigUpdateType[] = [
  ConfigUpdateType.Config,
  ConfigUpdateType.Kind,
];

/** A whole configuration document. */
export interface ConfigUpdateConfigReq {
  readonly code: typeof MessageCode.ConfigUpdateReq;
  readonly type: typeof ConfigUpdateType.Config;
  /** The document's sequence number; a peer ignores documents older than its own. */
  readonly sequence: number;
  readonly configDocument: Uint8Array;
}

/** Kind descriptions to add to the configuration. */
export interface ConfigUpdateKindReq {
  readonly code: typeof MessageCode.ConfigUpdateReq;
  readonly type: typeof ConfigUpdateType.Kind;
  readonly kindDescriptions: readonly Uint8Array[];
}

export type ConfigUpdateReq = ConfigUpdateConfigReq | ConfigUpdateKindReq;

export interface ConfigUpdateAns {
  readonly code: typeof MessageCode.ConfigUpdateAns;
}

/**
 * `[33, 1, sequence, config-document]` or `[33, 2, [* kind-description]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.ConfigUpdateReq, type: ConfigUpdateType.Config, sequence: 7, configDocument });
 * ```
 */
export const configUpdateReqCodec: BodyCodec<ConfigUpdateReq> = {
  code: MessageCode.ConfigUpdateReq,
  name: "ConfigUpdateReq",
  encodeFields(message) {
    const type = checkCode(message.type, "ConfigUpdateReq.type", CONFIG_UPDATE_TYPES);
    if (message.type === ConfigUpdateType.Config) {
      return [
        type,
        checkUint(message.sequence, "ConfigUpdateReq.sequence"),
        checkBytes(
          message.configDocument,
          "ConfigUpdateReq.configDocument",
          1,
          MAX_CONFIG_DOCUMENT_BYTES,
        ),
      ];
    }
    if (message.type === ConfigUpdateType.Kind) {
      return [
        type,
        encodeList(
          message.kindDescriptions,
          "ConfigUpdateReq.kindDescriptions",
          MAX_KIND_DESCRIPTIONS,
          (description, place) => checkBytes(description, place, 1, MAX_KIND_DESCRIPTION_BYTES),
        ),
      ];
    }
    throw new OverlayEncodeError("ConfigUpdateReq.type: unreachable");
  },
  decodeFields(fields, place) {
    asArray(fields, place, 2, 3);
    const type = asCode(fields[0], `${place}.type`, CONFIG_UPDATE_TYPES);
    if (type === ConfigUpdateType.Config) {
      asArray(fields, place, 3, 3);
      return {
        code: MessageCode.ConfigUpdateReq,
        type,
        sequence: asUint(fields[1], `${place}.sequence`),
        configDocument: asBytes(fields[2], `${place}.configDocument`, 1, MAX_CONFIG_DOCUMENT_BYTES),
      };
    }
    asArray(fields, place, 2, 2);
    return {
      code: MessageCode.ConfigUpdateReq,
      type,
      kindDescriptions: asList(
        fields[1],
        `${place}.kindDescriptions`,
        MAX_KIND_DESCRIPTIONS,
        (description, at) => asBytes(description, at, 1, MAX_KIND_DESCRIPTION_BYTES),
      ),
    };
  },
};

/** `[34]`. */
export const configUpdateAnsCodec: BodyCodec<ConfigUpdateAns> = {
  code: MessageCode.ConfigUpdateAns,
  name: "ConfigUpdateAns",
  encodeFields: () => [],
  decodeFields(fields, place) {
    asArray(fields, place, 0, 0);
    return { code: MessageCode.ConfigUpdateAns };
  },
};
