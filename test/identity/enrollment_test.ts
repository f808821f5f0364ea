import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../src/codec/overlay/constants.ts";
import {
  decodeEnrollmentCertificate,
  encodeCertificateToBeSigned,
  Role,
} from "../../src/codec/overlay/enrollment_certificate.ts";
import {
  ADMISSION_ERROR_CODES,
  AdmissionError,
  type AdmissionFailure,
} from "../../src/identity/admission_error.ts";
import { issueCertificate, verifyCertificate } from "../../src/identity/enrollment.ts";
import { generateNodeKey, nodeIdFromPublicKey } from "../../src/identity/node_key.ts";
import { overlayId } from "../../src/identity/overlay_id.ts";
import { SignatureDomain, verifyInDomain } from "../../src/identity/signatures.ts";

const operator = generateNodeKey();
const node = generateNodeKey();
const OVERLAY = overlayId("mesh", new Uint8Array(0));
const NOW = 1_750_000_000;
const NOT_AFTER = NOW + 86_400;

function issue(overrides: Partial<Parameters<typeof issueCertificate>[0]> = {}): Uint8Array {
  return issueCertificate({
    operatorKey: operator.privateKey,
    nodePublicKey: node.publicKeyRaw,
    overlayId: OVERLAY,
    roles: Role.Peer | Role.Relay,
    notAfter: NOT_AFTER,
    ...overrides,
  });
}

const expectation = {
  operatorPublicKey: operator.publicKeyRaw,
  overlayId: OVERLAY,
  nodePublicKey: node.publicKeyRaw,
  now: NOW,
};

function reasonOf(fn: () => unknown): AdmissionFailure {
  try {
    fn();
  } catch (error) {
    assert.instance(error, AdmissionError);
    const e = error as AdmissionError;
    assert.is(e.code, "OVERLAY_SECURITY");
    assert.is(e.errorCode, ErrorCode.Forbidden);
    return e.reason;
  }
  throw new Error("expected an AdmissionError");
}

test("issueCertificate signs the to-be-signed bytes in the enrollment-certificate domain", () => {
  const bytes = issue();
  const cert = decodeEnrollmentCertificate(bytes);
  assert.ok(
    verifyInDomain(
      operator.publicKeyRaw,
      SignatureDomain.EnrollmentCertificate,
      encodeCertificateToBeSigned(cert),
      cert.signature,
    ),
  );
  // Not valid as any other kind of signature.
  assert.not.ok(
    verifyInDomain(
      operator.publicKeyRaw,
      SignatureDomain.OverlayMessage,
      encodeCertificateToBeSigned(cert),
      cert.signature,
    ),
  );
});

test("verifyCertificate accepts a good certificate and reports node id, roles, not-after", () => {
  const check = verifyCertificate(issue(), { ...expectation, requiredRoles: Role.Relay });
  assert.equal(check.nodeId, nodeIdFromPublicKey(node.publicKeyRaw));
  assert.is(check.roles, Role.Peer | Role.Relay);
  assert.is(check.notAfter, NOT_AFTER);
  // not-after is the last valid second.
  verifyCertificate(issue(), { ...expectation, now: NOT_AFTER });
});

test("verifyCertificate refuses every single-byte change to a certificate", () => {
  const good = issue();
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i]! ^= 0x01;
    const reason = reasonOf(() => verifyCertificate(bad, expectation));
    assert.ok(reason === "bad-certificate" || reason === "wrong-operator", `byte ${i}: ${reason}`);
  }
  assert.is(
    reasonOf(() => verifyCertificate(good.subarray(0, 50), expectation)),
    "bad-certificate",
  );
  assert.is(reasonOf(() => verifyCertificate(new Uint8Array(0), expectation)), "bad-certificate");
});

test("verifyCertificate refuses a certificate signed by another operator", () => {
  const other = generateNodeKey();
  assert.is(
    reasonOf(() => verifyCertificate(issue({ operatorKey: other.privateKey }), expectation)),
    "wrong-operator",
  );
});

test("verifyCertificate refuses a certificate for another overlay", () => {
  const bytes = issue({ overlayId: overlayId("other-mesh", new Uint8Array(0)) });
  assert.is(reasonOf(() => verifyCertificate(bytes, expectation)), "wrong-overlay");
});

test("verifyCertificate refuses a certificate presented by another node key (foreign)", () => {
  const thief = generateNodeKey();
  assert.is(
    reasonOf(() =>
      verifyCertificate(issue(), { ...expectation, nodePublicKey: thief.publicKeyRaw })
    ),
    "foreign-certificate",
  );
});

test("verifyCertificate refuses an expired certificate", () => {
  assert.is(
    reasonOf(() => verifyCertificate(issue(), { ...expectation, now: NOT_AFTER + 1 })),
    "expired",
  );
});

test("verifyCertificate refuses a certificate without a required role", () => {
  assert.is(
    reasonOf(() =>
      verifyCertificate(issue({ roles: Role.Relay }), { ...expectation, requiredRoles: Role.Peer })
    ),
    "missing-role",
  );
  assert.is(
    reasonOf(() =>
      verifyCertificate(issue(), { ...expectation, requiredRoles: Role.Peer | Role.Proxy })
    ),
    "missing-role",
  );
});

test("issueCertificate refuses a public key as the operator key", () => {
  assert.throws(
    () => issue({ operatorKey: operator.publicKey }),
    (e: unknown) => e instanceof TypeError,
  );
});

test("every admission failure is answered with RFC 6940 Error_Forbidden", () => {
  for (const code of Object.values(ADMISSION_ERROR_CODES)) assert.is(code, ErrorCode.Forbidden);
  const error = new AdmissionError("expired", "certificate expired at 2025-01-01T00:00:00.000Z");
  assert.is(
    error.message,
    "Cannot admit node: expired: certificate expired at 2025-01-01T00:00:00.000Z",
  );
  assert.is(error.name, "AdmissionError");
});

test.run();
