// The overlay test vectors in test/fixtures/overlay/: each valid one decodes, verifies and means
// what its .diag file says, and re-encodes to the same bytes; each invalid one fails where its
// `# expect` line says. (test/interop/cbor2_vectors_test.ts checks the valid ones with cbor2.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdir, readFile } from "node:fs/promises";
import { MAX_DATAGRAM_BYTES, MAX_MESSAGE_BYTES } from "../../../src/codec/overlay/constants.ts";
import { type AdmissionProof, decodeEnvelope } from "../../../src/codec/overlay/envelope.ts";
import { decodeFrame, encodeFrame } from "../../../src/codec/overlay/frame.ts";
import { encodeMessageBody } from "../../../src/codec/overlay/message_body.ts";
import { OverlayDecodeError } from "../../../src/codec/overlay/overlay_errors.ts";
import {
  OpenAdmission,
  OperatorAdmission,
  SharedSecretAdmission,
} from "../../../src/identity/admission.ts";
import { MessageSecurityError, openMessage } from "../../../src/overlay/message_security.ts";
import {
  SAMPLE_OPERATOR,
  SAMPLE_SHARED_SECRET,
  SAMPLE_TIME,
} from "../../../scripts/lib/overlay_samples.ts";
import {
  buildVectors,
  diagnosticLines,
  hexFileText,
  parseHexFile,
  sampleCertificate,
  VECTOR_OVERLAY_ID,
} from "../../../scripts/overlay_vectors.ts";

const ROOT = new URL("../../fixtures/overlay/", import.meta.url).pathname;

function verifierFor(proof: AdmissionProof) {
  switch (proof.type) {
    case "none":
      return new OpenAdmission();
    case "mac":
      return new SharedSecretAdmission({
        secret: SAMPLE_SHARED_SECRET,
        overlayId: VECTOR_OVERLAY_ID,
      });
    case "certificate":
      return new OperatorAdmission({
        certificate: sampleCertificate(),
        operatorPublicKey: SAMPLE_OPERATOR.publicKeyRaw,
        overlayId: VECTOR_OVERLAY_ID,
      });
  }
}

/**
 * What the full receive path says about a vector: "ok", "place: X" or "refusal: Y". Invalid vectors
 * are datagrams (1200 bytes at most); valid ones include a reassembled message frame.
 */
function verdict(bytes: Uint8Array, maxBytes: number): string {
  try {
    const frame = decodeFrame(bytes, maxBytes);
    if (frame.type !== "message") return "ok";
    const proof = decodeFrameProof(frame.envelope);
    const opened = openMessage(frame, {
      overlayId: VECTOR_OVERLAY_ID,
      admission: verifierFor(proof),
      nowSeconds: SAMPLE_TIME,
    });
    assert.equal(
      encodeMessageBody(opened.body),
      opened.envelope.body,
      "the body re-encodes to the signed bytes",
    );
    return "ok";
  } catch (error) {
    if (error instanceof OverlayDecodeError) return `place: ${error.place}`;
    if (error instanceof MessageSecurityError) return `refusal: ${error.reason}`;
    throw error;
  }
}

/** The envelope's admission proof, to pick the matching verifier; none when it does not decode. */
function decodeFrameProof(envelope: Uint8Array): AdmissionProof {
  try {
    return decodeEnvelope(envelope).admission;
  } catch {
    return { type: "none" };
  }
}

test("overlay vectors on disk are exactly what scripts/overlay_vectors.ts builds", async () => {
  const vectors = buildVectors();
  for (const v of vectors) {
    const text = await readFile(`${ROOT}${v.kind}/${v.name}.hex`, "utf8");
    assert.is(
      text,
      hexFileText(v),
      `${v.kind}/${v.name}.hex is stale: run deno run -A scripts/overlay_vectors.ts --write`,
    );
  }
  const onDisk = (await readdir(`${ROOT}valid`)).filter((f) => f.endsWith(".hex")).length +
    (await readdir(`${ROOT}invalid`)).length;
  assert.is(onDisk, vectors.length, "no vector files without a builder entry");
});

test("every valid overlay vector decodes, verifies, means its .diag and re-encodes to its bytes", async () => {
  const files = (await readdir(`${ROOT}valid`)).filter((f) => f.endsWith(".hex"));
  assert.ok(files.length >= 30, `${files.length} vectors`);
  for (const file of files) {
    const bytes = parseHexFile(await readFile(`${ROOT}valid/${file}`, "utf8"));
    assert.is(verdict(bytes, MAX_MESSAGE_BYTES), "ok", file);
    const diag = (await readFile(`${ROOT}valid/${file.replace(/\.hex$/, ".diag")}`, "utf8")).trim()
      .split("\n");
    assert.equal(diagnosticLines(bytes), diag, file);
    const frame = decodeFrame(bytes, MAX_MESSAGE_BYTES);
    assert.equal(encodeFrame(frame), bytes, `${file} re-encodes`);
  }
});

test("every invalid overlay vector fails where its # expect line says", async () => {
  const files = (await readdir(`${ROOT}invalid`)).filter((f) => f.endsWith(".hex"));
  assert.ok(files.length >= 15, `${files.length} vectors`);
  for (const file of files) {
    const text = await readFile(`${ROOT}invalid/${file}`, "utf8");
    const expected = /^# expect (.*)$/m.exec(text)?.[1];
    assert.ok(expected, `${file} has an # expect line`);
    assert.is(verdict(parseHexFile(text), MAX_DATAGRAM_BYTES), expected, file);
  }
});

test.run();
