import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, sign, verify } from "node:crypto";
import { SuperpeerError } from "../../src/core/errors.ts";
import {
  decodeNodeKeyPem,
  encodeNodeKeyPem,
  formatNodeId,
  formatPublicKey,
  generateNodeKey,
  NODE_ID_BYTES,
  NODE_ID_CACHE_SIZE,
  nodeIdFromPublicKey,
  parsePublicKey,
} from "../../src/identity/node_key.ts";

// RFC 8032 section 7.1, TEST 1: secret key 9d61b19d... gives public key d75a9801...
const RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

function pkcs8FromSeed(seedHex: string): string {
  // PKCS#8 wrapping of an Ed25519 seed (RFC 8410 section 7): fixed 16-byte prefix + 32-byte seed.
  const der = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.from(seedHex, "hex"),
  ]);
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
}

test("decodeNodeKeyPem derives the RFC 8032 test-vector public key and its node id", () => {
  const key = decodeNodeKeyPem(pkcs8FromSeed(RFC8032_SECRET));
  assert.is(Buffer.from(key.publicKeyRaw).toString("hex"), RFC8032_PUBLIC);
  const expected = createHash("sha256").update(Buffer.from(RFC8032_PUBLIC, "hex")).digest()
    .subarray(0, 16);
  assert.is(formatNodeId(key.nodeId), expected.toString("hex"));
  assert.is(key.nodeId.length, NODE_ID_BYTES);
});

test("encodeNodeKeyPem and decodeNodeKeyPem round-trip to the same node id and a working key", () => {
  const key = generateNodeKey();
  const again = decodeNodeKeyPem(encodeNodeKeyPem(key));
  assert.equal(again.nodeId, key.nodeId);
  const message = Buffer.from("overlay message");
  assert.ok(verify(null, message, key.publicKey, sign(null, message, again.privateKey)));
});

test("nodeIdFromPublicKey gives different ids for different keys", () => {
  assert.not.equal(
    nodeIdFromPublicKey(generateNodeKey().publicKeyRaw),
    nodeIdFromPublicKey(generateNodeKey().publicKeyRaw),
  );
});

test("decodeNodeKeyPem rejects garbage and non-Ed25519 keys with KEY_FILE", async () => {
  for (
    const pem of ["not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
  ) {
    try {
      decodeNodeKeyPem(pem);
      assert.unreachable();
    } catch (error) {
      assert.instance(error, SuperpeerError);
      assert.is((error as SuperpeerError).code, "KEY_FILE");
    }
  }
  const { generateKeyPairSync } = await import("node:crypto");
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    format: "pem",
    type: "pkcs8",
  }).toString();
  assert.throws(() => decodeNodeKeyPem(ec), /expected an Ed25519 key/);
});

test("formatPublicKey and parsePublicKey use 43 base64url characters (RFC 8032 test 1 key)", () => {
  const raw = new Uint8Array(Buffer.from(RFC8032_PUBLIC, "hex"));
  assert.is(formatPublicKey(raw), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  assert.equal(parsePublicKey("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"), raw);
  const key = generateNodeKey();
  assert.equal(parsePublicKey(formatPublicKey(key.publicKeyRaw)), key.publicKeyRaw);
  for (
    const bad of [
      "",
      "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR", // 42 characters
      "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=", // padded
      "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", // standard base64
      "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp", // non-zero trailing bits
    ]
  ) {
    assert.throws(() => parsePublicKey(bad), (e: unknown) => e instanceof TypeError, bad);
  }
});

test("nodeIdFromPublicKey: the cache of recent keys returns SHA-256's first 16 bytes, past its size too", () => {
  const keys = Array.from({ length: NODE_ID_CACHE_SIZE + 50 }, (_, i) => {
    const k = new Uint8Array(32);
    new DataView(k.buffer).setUint32(0, i);
    return k;
  });
  for (const round of [0, 1]) {
    for (const k of [keys[0]!, keys[1]!, keys.at(-1)!, keys[NODE_ID_CACHE_SIZE]!]) {
      const want = createHash("sha256").update(k).digest().subarray(0, 16);
      assert.equal(nodeIdFromPublicKey(k), new Uint8Array(want), `round ${round}`);
    }
    for (const k of keys) nodeIdFromPublicKey(k); // overflow the cache
  }
  const id = nodeIdFromPublicKey(keys[0]!);
  id[0] = id[0]! ^ 0xff; // the caller's copy: changing it leaves the cache alone
  assert.not.equal(nodeIdFromPublicKey(keys[0]!)[0], id[0]);
});

test.run();
