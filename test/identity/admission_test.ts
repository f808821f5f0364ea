import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHmac } from "node:crypto";
import { Role } from "../../src/codec/overlay/enrollment_certificate.ts";
import type { AdmissionProof } from "../../src/codec/overlay/envelope.ts";
import {
  createAdmissionPolicy,
  OpenAdmission,
  OperatorAdmission,
  SharedSecretAdmission,
} from "../../src/identity/admission.ts";
import { AdmissionError, type AdmissionFailure } from "../../src/identity/admission_error.ts";
import { issueCertificate } from "../../src/identity/enrollment.ts";
import { generateNodeKey } from "../../src/identity/node_key.ts";

const NOW = 1_750_000_000;
const OVERLAY = 0x0f96e544;
const SECRET = new Uint8Array(32).map((_, i) => i);
const operator = generateNodeKey();
const alice = generateNodeKey();
const bob = generateNodeKey();

function reasonOf(fn: () => unknown): AdmissionFailure {
  try {
    fn();
  } catch (error) {
    assert.instance(error, AdmissionError);
    return (error as AdmissionError).reason;
  }
  throw new Error("expected an AdmissionError");
}

function certificateFor(
  key: Uint8Array,
  overrides: { overlayId?: number; roles?: number; notAfter?: number } = {},
): Uint8Array {
  return issueCertificate({
    operatorKey: operator.privateKey,
    nodePublicKey: key,
    overlayId: OVERLAY,
    roles: Role.Peer,
    notAfter: NOW + 3600,
    ...overrides,
  });
}

function operatorPolicy(own: Uint8Array, requiredRoles?: number): OperatorAdmission {
  return new OperatorAdmission({
    certificate: own,
    operatorPublicKey: operator.publicKeyRaw,
    overlayId: OVERLAY,
    ...(requiredRoles === undefined ? {} : { requiredRoles }),
  });
}

test("OperatorAdmission: our proof is our certificate, and a peer with the same policy accepts it", () => {
  const mine = certificateFor(alice.publicKeyRaw);
  const policy = operatorPolicy(mine);
  const proof = policy.proofFor(alice.publicKeyRaw);
  assert.equal(proof, { type: "certificate", certificate: mine });
  const peer = operatorPolicy(certificateFor(bob.publicKeyRaw));
  peer.check(proof, alice.publicKeyRaw, NOW);
  peer.check(proof, alice.publicKeyRaw, NOW); // second time from the verified-certificate cache
});

test("OperatorAdmission.check refuses missing proofs, foreign, expired and wrong-role certificates", () => {
  const peer = operatorPolicy(certificateFor(bob.publicKeyRaw), Role.Peer);
  const aliceProof: AdmissionProof = {
    type: "certificate",
    certificate: certificateFor(alice.publicKeyRaw),
  };
  assert.is(reasonOf(() => peer.check({ type: "none" }, alice.publicKeyRaw, NOW)), "missing-proof");
  assert.is(
    reasonOf(() => peer.check({ type: "mac", mac: new Uint8Array(16) }, alice.publicKeyRaw, NOW)),
    "missing-proof",
  );
  // Bob replays alice's certificate under his own key.
  assert.is(reasonOf(() => peer.check(aliceProof, bob.publicKeyRaw, NOW)), "foreign-certificate");
  // A cached certificate is still checked for expiry.
  peer.check(aliceProof, alice.publicKeyRaw, NOW);
  assert.is(reasonOf(() => peer.check(aliceProof, alice.publicKeyRaw, NOW + 3601)), "expired");
  const relayOnly = {
    type: "certificate",
    certificate: certificateFor(alice.publicKeyRaw, { roles: Role.Relay }),
  } as const;
  assert.is(reasonOf(() => peer.check(relayOnly, alice.publicKeyRaw, NOW)), "missing-role");
  const otherOverlay = {
    type: "certificate",
    certificate: certificateFor(alice.publicKeyRaw, { overlayId: 1 }),
  } as const;
  assert.is(reasonOf(() => peer.check(otherOverlay, alice.publicKeyRaw, NOW)), "wrong-overlay");
  const forged = issueCertificate({
    operatorKey: alice.privateKey,
    nodePublicKey: alice.publicKeyRaw,
    overlayId: OVERLAY,
    roles: Role.Peer,
    notAfter: NOW + 3600,
  });
  assert.is(
    reasonOf(() =>
      peer.check({ type: "certificate", certificate: forged }, alice.publicKeyRaw, NOW)
    ),
    "wrong-operator",
  );
});

test("OperatorAdmission refuses our own certificate when it cannot work", () => {
  const other = generateNodeKey();
  assert.is(
    reasonOf(() =>
      new OperatorAdmission({
        certificate: certificateFor(alice.publicKeyRaw),
        operatorPublicKey: other.publicKeyRaw,
        overlayId: OVERLAY,
      })
    ),
    "wrong-operator",
  );
  assert.is(
    reasonOf(() => operatorPolicy(certificateFor(alice.publicKeyRaw, { overlayId: 7 }))),
    "wrong-overlay",
  );
  assert.is(reasonOf(() => operatorPolicy(new Uint8Array([1, 2, 3]))), "bad-certificate");
  const policy = operatorPolicy(certificateFor(alice.publicKeyRaw));
  assert.is(reasonOf(() => policy.proofFor(bob.publicKeyRaw)), "foreign-certificate");
});

test("SharedSecretAdmission: the proof is HMAC-SHA256(secret, label 0x00 overlay-id key)[0..16]", () => {
  const policy = new SharedSecretAdmission({ secret: SECRET, overlayId: OVERLAY });
  const expected = createHmac("sha256", SECRET)
    .update(Buffer.from("superpeer/admission/v1\u0000", "utf8"))
    .update(Buffer.from([0x0f, 0x96, 0xe5, 0x44]))
    .update(alice.publicKeyRaw)
    .digest()
    .subarray(0, 16);
  const proof = policy.proofFor(alice.publicKeyRaw);
  assert.equal(proof, { type: "mac", mac: new Uint8Array(expected) });
  new SharedSecretAdmission({ secret: SECRET.slice(), overlayId: OVERLAY }).check(
    proof,
    alice.publicKeyRaw,
    NOW,
  );
});

test("SharedSecretAdmission.check refuses a wrong secret, another overlay, another key, no MAC", () => {
  const peer = new SharedSecretAdmission({ secret: SECRET, overlayId: OVERLAY });
  const wrongSecret = new SharedSecretAdmission({
    secret: new Uint8Array(32).fill(7),
    overlayId: OVERLAY,
  });
  const otherOverlay = new SharedSecretAdmission({ secret: SECRET, overlayId: OVERLAY + 1 });
  const check = (proof: AdmissionProof, key = alice.publicKeyRaw) => () =>
    peer.check(proof, key, NOW);
  assert.is(reasonOf(check(wrongSecret.proofFor(alice.publicKeyRaw))), "bad-mac");
  assert.is(reasonOf(check(otherOverlay.proofFor(alice.publicKeyRaw))), "bad-mac");
  assert.is(reasonOf(check(peer.proofFor(alice.publicKeyRaw), bob.publicKeyRaw)), "bad-mac");
  assert.is(reasonOf(check({ type: "mac", mac: new Uint8Array(15) })), "bad-mac");
  assert.is(reasonOf(check({ type: "none" })), "missing-proof");
  assert.is(
    reasonOf(check({ type: "certificate", certificate: new Uint8Array(113) })),
    "missing-proof",
  );
});

test("SharedSecretAdmission refuses a secret shorter than 16 bytes", () => {
  assert.throws(
    () => new SharedSecretAdmission({ secret: new Uint8Array(15), overlayId: OVERLAY }),
    (e: unknown) => e instanceof RangeError,
  );
  new SharedSecretAdmission({ secret: new Uint8Array(16), overlayId: OVERLAY });
});

test("OpenAdmission proves nothing and accepts anything", () => {
  const policy = new OpenAdmission();
  assert.equal(policy.proofFor(alice.publicKeyRaw), { type: "none" });
  policy.check({ type: "none" }, alice.publicKeyRaw, NOW);
  policy.check({ type: "mac", mac: new Uint8Array(16) }, bob.publicKeyRaw, NOW);
});

test("createAdmissionPolicy makes the policy of each mode", () => {
  assert.is(createAdmissionPolicy({ mode: "open" }).mode, "open");
  assert.instance(
    createAdmissionPolicy({ mode: "shared-secret", overlayId: OVERLAY, secret: SECRET }),
    SharedSecretAdmission,
  );
  const operatorMode = createAdmissionPolicy({
    mode: "operator",
    overlayId: OVERLAY,
    operatorPublicKey: operator.publicKeyRaw,
    certificate: certificateFor(alice.publicKeyRaw),
  });
  assert.instance(operatorMode, OperatorAdmission);
});

test.run();
