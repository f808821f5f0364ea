import { decodeNodeKeyPem, type NodeKey } from "../../src/identity/node_key.ts";

/** RFC 8032 section 7.1 TEST 1 secret key: a published key, so test vectors are reproducible. */
export const RFC8032_TEST1_SEED =
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/** RFC 8032 section 7.1 TEST 2 secret key. */
export const RFC8032_TEST2_SEED =
  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

/** An Ed25519 node key from a 32-byte seed (hex), for test vectors and the simulator; never for real nodes. */
export function nodeKeyFromSeed(seedHex: string): NodeKey {
  // PKCS#8 wrapping of an Ed25519 seed (RFC 8410 section 7): fixed 16-byte prefix + 32-byte seed.
  const der = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.from(seedHex, "hex"),
  ]);
  return decodeNodeKeyPem(
    `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`,
  );
}
