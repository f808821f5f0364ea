// RFC 6940 section 6.5.2 AppAttach: sets up a direct connection for an application (SIP) between
// two nodes with ICE, the request and answer each carrying one side's ICE credentials, role and
// candidates. Candidates follow RFC 6940 section 6.5.1.1 IceCandidate; the candidate types are
// RFC 8445 section 5.1.1's, and a host candidate has no related address while the others do.
import type { CborValue } from "../../cbor/cbor_codec.ts";
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { OverlayDecodeError, OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asCode, asList, asUint } from "../shape.ts";
import { decodeTransportAddress, type TransportAddress } from "../transport_address.ts";
import {
  asTextBetween,
  checkCode,
  checkText,
  checkUint,
  encodeAddressAt,
  encodeList,
} from "./field_checks.ts";

/** Longest ICE username fragment and password, in UTF-8 bytes (RFC 6940 opaque<0..2^8-1>). */
export const MAX_ICE_CREDENTIAL_BYTES = 256;
/** Longest ICE foundation (RFC 8445 section 5.1.1.3: 1 to 32 ice-chars). */
export const MAX_FOUNDATION_BYTES = 32;
/** Most candidates offered in one AppAttach. */
export const MAX_CANDIDATES = 16;

/** Well-known applications (RFC 6940 `application`: the port number the application uses). */
export const Application = {
  Sip: 5060,
  Sips: 5061,
} as const;

/** RFC 6940 AppAttach `role` ("passive" / "active"), as a code. */
export const AttachRole = {
  Passive: 1,
  Active: 2,
} as const;
export type AttachRole = (typeof AttachRole)[keyof typeof AttachRole];
const ROLES: readonly AttachRole[] = [AttachRole.Passive, AttachRole.Active];

/** Transport of a candidate (RFC 6940 `overlay_link`, extended for the application's transports). */
export const CandidateTransport = {
  Udp: 1,
  Tcp: 2,
  Tls: 3,
  Ws: 4,
  Wss: 5,
} as const;
export type CandidateTransport = (typeof CandidateTransport)[keyof typeof CandidateTransport];
const TRANSPORTS: readonly CandidateTransport[] = [1, 2, 3, 4, 5];

/** RFC 8445 section 5.1.1 candidate types (RFC 6940 CandType). */
export const CandidateType = {
  Host: 1,
  ServerReflexive: 2,
  PeerReflexive: 3,
  Relay: 4,
} as const;
export type CandidateType = (typeof CandidateType)[keyof typeof CandidateType];
const CANDIDATE_TYPES: readonly CandidateType[] = [1, 2, 3, 4];

export interface IceCandidate {
  readonly address: TransportAddress;
  readonly transport: CandidateTransport;
  readonly foundation: string;
  readonly priority: number;
  readonly type: CandidateType;
  /** The base or server address a non-host candidate was derived from; null for a host candidate. */
  readonly relatedAddress: TransportAddress | null;
}

/** The fields AppAttachReq and AppAttachAns share. */
export interface AppAttachFields {
  readonly ufrag: string;
  readonly password: string;
  /** Port number of the application, e.g. Application.Sip. */
  readonly application: number;
  readonly role: AttachRole;
  readonly candidates: readonly IceCandidate[];
}

export interface AppAttachReq extends AppAttachFields {
  readonly code: typeof MessageCode.AppAttachReq;
}

export interface AppAttachAns extends AppAttachFields {
  readonly code: typeof MessageCode.AppAttachAns;
}

function encodeCandidate(candidate: IceCandidate, place: string): CborValue {
  const type = checkCode(candidate.type, `${place}.type`, CANDIDATE_TYPES);
  if ((type === CandidateType.Host) !== (candidate.relatedAddress === null)) {
    throw new OverlayEncodeError(
      `${place}.relatedAddress: ${
        type === CandidateType.Host ? "must be null" : "is required"
      } for candidate type ${type}`,
    );
  }
  return [
    encodeAddressAt(candidate.address, `${place}.address`),
    checkCode(candidate.transport, `${place}.transport`, TRANSPORTS),
    checkText(candidate.foundation, `${place}.foundation`, 1, MAX_FOUNDATION_BYTES),
    checkUint(candidate.priority, `${place}.priority`),
    type,
    candidate.relatedAddress === null
      ? null
      : encodeAddressAt(candidate.relatedAddress, `${place}.relatedAddress`),
  ];
}

function decodeCandidate(value: CborValue, place: string): IceCandidate {
  const [address, transport, foundation, priority, type, related] = asArray(value, place, 6, 6);
  const candidateType = asCode(type, `${place}.type`, CANDIDATE_TYPES);
  if ((candidateType === CandidateType.Host) !== (related === null)) {
    throw new OverlayDecodeError(
      `${place}.relatedAddress`,
      `${
        candidateType === CandidateType.Host ? "must be null" : "is required"
      } for candidate type ${candidateType}`,
    );
  }
  return {
    address: decodeTransportAddress(address!, `${place}.address`),
    transport: asCode(transport, `${place}.transport`, TRANSPORTS),
    foundation: asTextBetween(foundation, `${place}.foundation`, 1, MAX_FOUNDATION_BYTES),
    priority: asUint(priority, `${place}.priority`),
    type: candidateType,
    relatedAddress: related === null
      ? null
      : decodeTransportAddress(related!, `${place}.relatedAddress`),
  };
}

function encodeAppAttach(message: AppAttachFields, place: string): CborValue[] {
  return [
    checkText(message.ufrag, `${place}.ufrag`, 1, MAX_ICE_CREDENTIAL_BYTES),
    checkText(message.password, `${place}.password`, 1, MAX_ICE_CREDENTIAL_BYTES),
    checkUint(message.application, `${place}.application`, 0xffff),
    checkCode(message.role, `${place}.role`, ROLES),
    encodeList(message.candidates, `${place}.candidates`, MAX_CANDIDATES, encodeCandidate),
  ];
}

function decodeAppAttach(fields: readonly CborValue[], place: string): AppAttachFields {
  asArray(fields, place, 5, 5);
  return {
    ufrag: asTextBetween(fields[0], `${place}.ufrag`, 1, MAX_ICE_CREDENTIAL_BYTES),
    password: asTextBetween(fields[1], `${place}.password`, 1, MAX_ICE_CREDENTIAL_BYTES),
    application: asUint(fields[2], `${place}.application`, 0xffff),
    role: asCode(fields[3], `${place}.role`, ROLES),
    candidates: asList(fields[4], `${place}.candidates`, MAX_CANDIDATES, decodeCandidate),
  };
}

/**
 * `[29, ufrag, password, application, role, [* candidate]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.AppAttachReq, ufrag: "a1b2", password: "secret-password-22chars", application: Application.Sip, role: AttachRole.Active, candidates: [] });
 * ```
 */
export const appAttachReqCodec: BodyCodec<AppAttachReq> = {
  code: MessageCode.AppAttachReq,
  name: "AppAttachReq",
  encodeFields: (message) => encodeAppAttach(message, "AppAttachReq"),
  decodeFields: (fields, place) => ({
    code: MessageCode.AppAttachReq,
    ...decodeAppAttach(fields, place),
  }),
};

/** `[30, ufrag, password, application, role, [* candidate]]`. */
export const appAttachAnsCodec: BodyCodec<AppAttachAns> = {
  code: MessageCode.AppAttachAns,
  name: "AppAttachAns",
  encodeFields: (message) => encodeAppAttach(message, "AppAttachAns"),
  decodeFields: (fields, place) => ({
    code: MessageCode.AppAttachAns,
    ...decodeAppAttach(fields, place),
  }),
};
