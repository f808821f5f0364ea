import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  digestAlgorithm,
  digestHa1,
  digestHash,
  digestResponse,
} from "../../../src/sip/digest/mod.ts";

/** uvu calls a function `expected` as a predicate: a class would pass for any error. */
const isTypeError = (e: unknown): boolean => e instanceof TypeError;

// RFC 2617 section 3.5.
const RFC2617 = {
  username: "Mufasa",
  realm: "testrealm@host.com",
  password: "Circle Of Life",
  nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
  uri: "/dir/index.html",
  cnonce: "0a4f113b",
};

// RFC 7616 section 3.9.1 (note "of" in lower case in this password).
const RFC7616 = {
  username: "Mufasa",
  realm: "http-auth@example.org",
  password: "Circle of Life",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  uri: "/dir/index.html",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};

test("digestResponse() gives the RFC 2617 section 3.5 MD5 response", () => {
  const ha1 = digestHa1("MD5", RFC2617);
  assert.is(ha1, "939e7578ed9e3c518a452acee763bce9");
  const response = digestResponse("MD5", {
    ha1,
    method: "GET",
    uri: RFC2617.uri,
    nonce: RFC2617.nonce,
    qop: "auth",
    nc: "00000001",
    cnonce: RFC2617.cnonce,
  });
  assert.is(response, "6629fae49393a05397450978507c4ef1");
});

test("digestResponse() gives the RFC 7616 section 3.9.1 SHA-256 and MD5 responses", () => {
  const input = {
    method: "GET",
    uri: RFC7616.uri,
    nonce: RFC7616.nonce,
    qop: "auth" as const,
    nc: "00000001",
    cnonce: RFC7616.cnonce,
  };
  assert.is(
    digestResponse("SHA-256", { ...input, ha1: digestHa1("SHA-256", RFC7616) }),
    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
  );
  assert.is(
    digestResponse("MD5", { ...input, ha1: digestHa1("MD5", RFC7616) }),
    "8ca523f5e9506fed4657c9700eebdbec",
  );
});

test("digestHash() SHA-512-256 is SHA-512/256 (FIPS 180-4 'abc' example), not truncated SHA-512", () => {
  assert.is(
    digestHash("SHA-512-256", "abc"),
    "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23",
  );
  assert.is(digestHash("SHA-256", "abc").length, 64);
  assert.is(digestHash("MD5", ""), "d41d8cd98f00b204e9800998ecf8427e");
});

test("digestResponse() without qop is the RFC 2069 form H(HA1:nonce:HA2)", () => {
  const ha1 = digestHa1("MD5", RFC2617);
  const ha2 = digestHash("MD5", `GET:${RFC2617.uri}`);
  assert.is(
    digestResponse("MD5", { ha1, method: "GET", uri: RFC2617.uri, nonce: RFC2617.nonce }),
    digestHash("MD5", `${ha1}:${RFC2617.nonce}:${ha2}`),
  );
  assert.throws(
    () => digestResponse("MD5", { ha1, method: "GET", uri: "/", nonce: "n", qop: "auth" }),
    isTypeError,
  );
});

test("digestHa1() hashes the UTF-8 bytes of a non-ASCII user name", () => {
  const ha1 = digestHa1("SHA-256", { username: "J\u00e4s\u00f8n", realm: "r", password: "p" });
  assert.is(ha1, digestHash("SHA-256", "J\u00e4s\u00f8n:r:p"));
  assert.is.not(ha1, digestHash("SHA-256", "Jason:r:p"));
});

test("digestAlgorithm() names the supported algorithms case-insensitively, not -sess", () => {
  assert.is(digestAlgorithm("md5"), "MD5");
  assert.is(digestAlgorithm("Sha-256"), "SHA-256");
  assert.is(digestAlgorithm("SHA-512-256"), "SHA-512-256");
  assert.is(digestAlgorithm("MD5-sess"), undefined);
  assert.is(digestAlgorithm("SHA-256-sess"), undefined);
  assert.is(digestAlgorithm("AKAv1-MD5"), undefined);
});

test.run();
