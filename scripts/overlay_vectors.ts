// deno-lint-ignore-file no-console -- a command-line tool: stdout is its interface
// Builds the overlay test vectors in test/fixtures/overlay/: valid/*.hex with their meaning in
// CBOR diagnostic notation beside them (*.diag), and invalid/*.hex with the error each must give.
// Every vector is reproducible: fixed keys (RFC 8032 TEST 1 and 2), fixed transaction ids and times,
// and Ed25519 signatures are deterministic.
// Usage: deno run -A scripts/overlay_vectors.ts [--write]   (without --write: check the files are current)
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { type CborValue, decodeCbor, encodeCbor } from "../src/codec/cbor/cbor_codec.ts";
import { BODY_CBOR_LIMITS, ENVELOPE_CBOR_LIMITS } from "../src/codec/overlay/cbor_limits.ts";
import { isRequestCode, MessageCode } from "../src/codec/overlay/constants.ts";
import type { Destination } from "../src/codec/overlay/destination.ts";
import { type AdmissionProof, encodeEnvelope } from "../src/codec/overlay/envelope.ts";
import { fragmentFrame } from "../src/codec/overlay/fragmenter.ts";
import { encodeFrame } from "../src/codec/overlay/frame.ts";
import { sealMessage } from "../src/overlay/message_security.ts";
import { SignatureDomain, signInDomain } from "../src/identity/signatures.ts";
import { cborDiagnostic } from "./lib/cbor_diagnostic.ts";
import {
  SAMPLE_OPERATOR,
  SAMPLE_PEER,
  SAMPLE_RESOURCE,
  SAMPLE_SENDER,
  SAMPLE_SHARED_SECRET,
  SAMPLE_TIME,
  sampleBodies,
} from "./lib/overlay_samples.ts";
import { SharedSecretAdmission } from "../src/identity/admission.ts";
import { issueCertificate } from "../src/identity/enrollment.ts";
import { Role } from "../src/codec/overlay/enrollment_certificate.ts";

/** Overlay id of the vectors ("superpeer-vectors"). */
export const VECTOR_OVERLAY_ID = 0x5e7e_c701;

export interface Vector {
  readonly kind: "valid" | "invalid";
  readonly name: string;
  readonly comment: string;
  readonly bytes: Uint8Array;
  /** Valid: the meaning, one line per CBOR level. Invalid: `place: ...` or `refusal: ...`. */
  readonly expect: string[];
}

/** The sample sender's certificate: all roles, valid for a year from SAMPLE_TIME. */
export function sampleCertificate(): Uint8Array {
  return issueCertificate({
    operatorKey: SAMPLE_OPERATOR.privateKey,
    nodePublicKey: SAMPLE_SENDER.publicKeyRaw,
    overlayId: VECTOR_OVERLAY_ID,
    roles: Role.Peer | Role.Relay | Role.Proxy,
    notAfter: SAMPLE_TIME + 365 * 86_400,
  });
}

const txid = (name: string) =>
  new Uint8Array(createHash("sha256").update(`tx:${name}`).digest().subarray(0, 8));

/** The diagnostic lines of a message frame: frame, envelope, certificate (if any), body. */
export function diagnosticLines(frameBytes: Uint8Array): string[] {
  const frame = decodeCbor(frameBytes, {
    maxDepth: 3,
    maxArrayItems: 64,
    maxItems: 200,
  }) as CborValue[];
  const lines = [`frame: ${cborDiagnostic(frame)}`];
  if (frame[0] !== 1) return lines;
  const envelope = decodeCbor(frame[3] as Uint8Array, ENVELOPE_CBOR_LIMITS) as CborValue[];
  lines.push(`envelope: ${cborDiagnostic(envelope)}`);
  const proof = envelope[8];
  if (Array.isArray(proof) && proof[0] === 1) {
    lines.push(
      `certificate: ${cborDiagnostic(decodeCbor(proof[1] as Uint8Array, ENVELOPE_CBOR_LIMITS))}`,
    );
  }
  lines.push(`body: ${cborDiagnostic(decodeCbor(envelope[9] as Uint8Array, BODY_CBOR_LIMITS))}`);
  return lines;
}

function seal(name: string, body: Parameters<typeof sealMessage>[0]["body"], extra: {
  admission?: AdmissionProof;
  via?: Destination[];
  ttl?: number;
  overlayId?: number;
} = {}): Uint8Array {
  const toResource = isRequestCode(body.code) && "resourceId" in body;
  const destinations: Destination[] = toResource
    ? [{ type: "resource", id: SAMPLE_RESOURCE }]
    : [{ type: "node", id: SAMPLE_PEER.nodeId }];
  return sealMessage({
    key: SAMPLE_SENDER,
    overlayId: extra.overlayId ?? VECTOR_OVERLAY_ID,
    transactionId: txid(name),
    destinations,
    sentAt: SAMPLE_TIME,
    admission: extra.admission ?? { type: "none" },
    body,
    ...(extra.via ? { via: extra.via } : {}),
    ...(extra.ttl !== undefined ? { ttl: extra.ttl } : {}),
  }).frame;
}

/** Signs arbitrary envelope fields (for vectors whose body our encoder would refuse to write). */
function sealRawBody(name: string, body: CborValue): Uint8Array {
  const envelope = encodeEnvelope({
    overlayId: VECTOR_OVERLAY_ID,
    transactionId: txid(name),
    destinations: [{ type: "node", id: SAMPLE_PEER.nodeId }],
    options: [],
    maxResponseLength: 0,
    sentAt: SAMPLE_TIME,
    senderKey: SAMPLE_SENDER.publicKeyRaw,
    admission: { type: "none" },
    body: encodeCbor(body),
  });
  const signature = signInDomain(
    SAMPLE_SENDER.privateKey,
    SignatureDomain.OverlayMessage,
    envelope,
  );
  return encodeFrame({ type: "message", ttl: 100, via: [], envelope, signature });
}

const hex = (s: string) =>
  new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

/** Every vector, in a stable order. */
export function buildVectors(): Vector[] {
  const out: Vector[] = [];
  const valid = (name: string, comment: string, bytes: Uint8Array) =>
    out.push({ kind: "valid", name, comment, bytes, expect: diagnosticLines(bytes) });
  const invalid = (name: string, comment: string, bytes: Uint8Array, expect: string) =>
    out.push({ kind: "invalid", name, comment, bytes, expect: [expect] });

  for (const { name, body } of sampleBodies()) {
    const frame = seal(name, body);
    if (frame.length <= 1200) {
      valid(name, `${name}: one datagram`, frame);
    } else {
      valid(
        name,
        `${name}: ${frame.length}-byte message frame (travels as the fragments ${name}_fragment_N)`,
        frame,
      );
      fragmentFrame(frame, txid(name)).forEach((fragment, i) =>
        valid(
          `${name}_fragment_${i}`,
          `${name}: fragment ${i} of the ${frame.length}-byte frame`,
          fragment,
        )
      );
    }
  }
  const ping = { code: MessageCode.PingReq, padding: new Uint8Array(0) } as const;
  valid(
    "ack",
    "hop-by-hop acknowledgement of the ping_req frame: the first 8 bytes of its signature",
    encodeFrame({ type: "ack", id: seal("ping_req", ping).subarray(-64, -56), offset: 0 }),
  );
  valid(
    "ping_req_forwarded",
    "ping_req after three hops: TTL 97, via list of the peers it crossed",
    seal("ping_req", ping, {
      ttl: 97,
      via: [{ type: "node", id: SAMPLE_PEER.nodeId }, { type: "opaque", id: 0x8001 }, {
        type: "resource",
        id: SAMPLE_RESOURCE,
      }],
    }),
  );
  const sharedSecret = new SharedSecretAdmission({
    secret: SAMPLE_SHARED_SECRET,
    overlayId: VECTOR_OVERLAY_ID,
  });
  valid(
    "ping_req_shared_secret",
    "ping_req with a shared-secret admission MAC",
    seal("ping_req_mac", ping, {
      admission: sharedSecret.proofFor(SAMPLE_SENDER.publicKeyRaw),
    }),
  );
  valid(
    "ping_req_certificate",
    "ping_req with an enrollment certificate (operator: RFC 8032 TEST 3 key)",
    seal("ping_req_cert", ping, {
      admission: { type: "certificate", certificate: sampleCertificate() },
    }),
  );

  // Invalid: CBOR-level faults.
  const pingFrame = seal("ping_req", ping);
  invalid(
    "truncated",
    "a ping frame missing its last byte",
    pingFrame.subarray(0, pingFrame.length - 1),
    `place: frame byte ${pingFrame.length - 66}`,
  ); // the signature string
  invalid(
    "trailing_byte",
    "a ping frame followed by one more byte",
    Uint8Array.from([...pingFrame, 0]),
    `place: frame byte ${pingFrame.length}`,
  );
  invalid(
    "ttl_not_shortest",
    "TTL 5 written in two bytes (18 05)",
    hex("85 01 1805 80 41 80 5840" + "00".repeat(64)),
    "place: frame byte 2",
  );
  invalid(
    "ttl_float",
    "TTL as a half-precision float",
    hex("85 01 f95640 80 41 80 5840" + "00".repeat(64)),
    "place: frame byte 2",
  );
  invalid(
    "ttl_negative",
    "TTL -1",
    hex("85 01 20 80 41 80 5840" + "00".repeat(64)),
    "place: frame byte 2",
  );
  invalid(
    "via_indefinite",
    "indefinite-length via list",
    hex("85 01 00 9f ff 41 80 5840" + "00".repeat(64)),
    "place: frame byte 3",
  );
  invalid("frame_map", "a map instead of an array", hex("a1 01 01"), "place: frame byte 0");
  invalid(
    "frame_tagged",
    "the frame wrapped in tag 24",
    Uint8Array.from([0xd8, 0x18, ...pingFrame.subarray(0, 40)]),
    "place: frame byte 0",
  );
  invalid(
    "array_bomb",
    "an array claiming 2^32-1 items",
    hex("9affffffff 00"),
    "place: frame byte 0",
  );
  invalid(
    "depth_bomb",
    "arrays nested 64 deep",
    hex("81".repeat(64) + "00"),
    "place: frame byte 3",
  );
  // Invalid: shape faults.
  invalid(
    "unknown_frame_type",
    "frame type 4",
    hex("85 04 00 80 41 80 5840" + "00".repeat(64)),
    "place: frame.type",
  );
  invalid("too_long", "a 1201-byte datagram", new Uint8Array(1201).fill(0x85), "place: frame");
  invalid(
    "short_node_id",
    "a 15-byte node id in the via list",
    hex("85 01 00 81 4f" + "00".repeat(15) + " 41 80 5840" + "00".repeat(64)),
    "place: frame.via[0]",
  );
  invalid(
    "fragment_offset",
    "a fragment starting at its total length",
    hex("85 02 48 0000000000000000 0a 0a 41 00"),
    "place: fragment.offset",
  );
  // Invalid: signed messages that must be refused.
  const flipped = pingFrame.slice();
  flipped[flipped.length - 67]! ^= 0x01; // last byte of the envelope (the body); 58 40 + 64 signature bytes follow
  invalid(
    "bad_signature",
    "ping_req with one bit of its body flipped",
    flipped,
    "refusal: bad-signature",
  );
  invalid(
    "wrong_overlay",
    "ping_req for another overlay",
    seal("ping_req", ping, { overlayId: 0x0badc0de }),
    "refusal: wrong-overlay",
  );
  invalid(
    "unknown_message_code",
    "a signed body with message code 99",
    sealRawBody("unknown", [99]),
    "place: body.code",
  );
  invalid(
    "find_req_too_many_kinds",
    "a signed FindReq asking for 17 kinds (at most 16)",
    sealRawBody("find17", [
      MessageCode.FindReq,
      SAMPLE_RESOURCE,
      Array.from({ length: 17 }, (_, i) => i + 1),
    ]),
    "place: FindReq.kinds",
  );
  invalid(
    "store_req_short_resource",
    "a signed StoreReq with a 15-byte resource id",
    sealRawBody("store15", [MessageCode.StoreReq, new Uint8Array(15), 0, []]),
    "place: StoreReq.resourceId",
  );
  return out;
}

/** The .hex file text: comments, then the bytes, 32 per line. */
export function hexFileText(vector: Vector): string {
  const hexText = Buffer.from(vector.bytes).toString("hex").match(/.{1,64}/g)!.join("\n");
  const expect = vector.kind === "invalid" ? `# expect ${vector.expect[0]}\n` : "";
  return `# ${vector.comment}\n# ${vector.bytes.length} bytes; sender: RFC 8032 TEST 1 key\n${expect}${hexText}\n`;
}

/** Parses a .hex file: `#` starts a comment; whitespace is ignored. */
export function parseHexFile(text: string): Uint8Array {
  const digits = text.split("\n").map((l) => l.split("#")[0]).join("").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(digits, "hex"));
}

const ROOT = new URL("../test/fixtures/overlay/", import.meta.url).pathname;

if (import.meta.main) {
  const vectors = buildVectors();
  if (Deno.args.includes("--write")) {
    for (const dir of ["valid", "invalid"]) {
      await rm(`${ROOT}${dir}`, { recursive: true, force: true });
      await mkdir(`${ROOT}${dir}`, { recursive: true });
    }
    for (const v of vectors) {
      await writeFile(`${ROOT}${v.kind}/${v.name}.hex`, hexFileText(v));
      if (v.kind === "valid") {
        await writeFile(`${ROOT}valid/${v.name}.diag`, v.expect.join("\n") + "\n");
      }
    }
    console.log(`wrote ${vectors.length} vectors to ${ROOT}`);
  } else {
    let stale = 0;
    for (const v of vectors) {
      const text = await readFile(`${ROOT}${v.kind}/${v.name}.hex`, "utf8").catch(() => "");
      if (text !== hexFileText(v)) {
        console.log(`stale: ${v.kind}/${v.name}.hex`);
        stale++;
      }
    }
    const files = (await readdir(`${ROOT}valid`)).length + (await readdir(`${ROOT}invalid`)).length;
    console.log(`${vectors.length} vectors, ${stale} stale, ${files} files`);
    if (stale > 0) Deno.exit(1);
  }
}
