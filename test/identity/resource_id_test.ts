import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { resourceId } from "../../src/identity/resource_id.ts";

test("resourceId of sip:alice@example.org is the first 16 bytes of its SHA-256", () => {
  // The literal bytes of "sip:alice@example.org", hashed without going through resourceId's path.
  const literal = Buffer.from([
    0x73,
    0x69,
    0x70,
    0x3a,
    0x61,
    0x6c,
    0x69,
    0x63,
    0x65,
    0x40,
    0x65,
    0x78,
    0x61,
    0x6d,
    0x70,
    0x6c,
    0x65,
    0x2e,
    0x6f,
    0x72,
    0x67,
  ]);
  const expected = createHash("sha256").update(literal).digest().subarray(0, 16);
  const id = resourceId("sip:alice@example.org");
  assert.is(id.length, 16);
  assert.is(Buffer.from(id).toString("hex"), expected.toString("hex"));
  // `printf 'sip:alice@example.org' | sha256sum`, first 32 hex digits.
  assert.is(Buffer.from(id).toString("hex"), "b0d74a551c17e665eeede1e9ef9ba058");
});

test("resourceId hashes a string as UTF-8 and bytes as they are", () => {
  assert.equal(resourceId("sip:zoë@example.org"), resourceId(Buffer.from("sip:zoë@example.org")));
  assert.equal(resourceId(""), new Uint8Array(createHash("sha256").digest().subarray(0, 16)));
  assert.not.equal(resourceId("sip:alice@example.org"), resourceId("sip:bob@example.org"));
});

test.run();
