import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AuthHeaderError,
  formatDigestChallenge,
  formatDigestCredentials,
  MAX_AUTH_HEADER_LENGTH,
  MAX_AUTH_PARAMS,
  parseAuthHeader,
  parseDigestChallenge,
  parseDigestCredentials,
  quoteString,
} from "../../../src/sip/digest/mod.ts";

/** uvu calls a function `expected` as a predicate: a class would pass for any error. */
const isTypeError = (e: unknown): boolean => e instanceof TypeError;

/** The offset of the AuthHeaderError `fn` throws; fails the test when it throws nothing else. */
function errorOffset(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.instance(e, AuthHeaderError);
    return (e as AuthHeaderError).offset;
  }
  assert.unreachable("expected an AuthHeaderError");
  return -1;
}

// RFC 3261 section 22.4 example, in one line.
const RFC3261_CREDENTIALS = 'Digest username="bob", realm="biloxi.com", ' +
  'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, ' +
  'nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", ' +
  'opaque="5ccc069c403ebaf9f0171e9517f40e41"';

test("parseDigestCredentials() reads the RFC 3261 section 22.4 example", () => {
  const c = parseDigestCredentials(RFC3261_CREDENTIALS)!;
  assert.is(c.username, "bob");
  assert.is(c.realm, "biloxi.com");
  assert.is(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  assert.is(c.uri, "sip:bob@biloxi.com");
  assert.is(c.qop, "auth");
  assert.is(c.nc, "00000001");
  assert.is(c.cnonce, "0a4f113b");
  assert.is(c.response, "6629fae49393a05397450978507c4ef1");
  assert.is(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  assert.is(c.algorithm, "MD5");
  assert.is(c.userhash, false);
});

test("parseAuthHeader() unescapes quoted-pairs and keeps commas and = inside quotes", () => {
  const h = parseAuthHeader(
    'Digest username="a\\"b\\\\c", realm="x, y=z", nonce="n", uri="sip:a@b;p=1,2"',
  );
  assert.is(h.params.get("username")?.value, 'a"b\\c');
  assert.is(h.params.get("realm")?.value, "x, y=z");
  assert.is(h.params.get("uri")?.value, "sip:a@b;p=1,2");
  assert.is(h.params.size, 4);
});

test("parseAuthHeader() takes names case-insensitively, white space and CRLF folds around = and ,", () => {
  const h = parseAuthHeader('DIGEST  Realm = "r" ,\r\n  NONCE= "n",\tAlgorithm =SHA-256');
  assert.is(h.scheme, "DIGEST");
  assert.equal([...h.params.keys()], ["realm", "nonce", "algorithm"]);
  assert.is(h.params.get("algorithm")?.value, "SHA-256");
  assert.is(h.params.get("algorithm")?.quoted, false);
  assert.is(h.params.get("nonce")?.quoted, true);
});

test("parseAuthHeader() refuses a parameter given twice, in any letter case", () => {
  const offset = errorOffset(() => parseAuthHeader('Digest realm="a", nonce="n", REALM="b"'));
  assert.is(offset, 'Digest realm="a", nonce="n", '.length);
});

test("parseAuthHeader() refuses malformed values with the offset of the problem", () => {
  assert.is(errorOffset(() => parseAuthHeader('Digest username="alice')), 16);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a" nonce="n"')), 17);
  assert.is(errorOffset(() => parseAuthHeader("Digest realm x")), 13);
  assert.is(errorOffset(() => parseAuthHeader("Digest realm= , nonce=n")), 14);
  // A lone word is a token68 to the generic parser, and no Digest challenge.
  assert.is(errorOffset(() => parseDigestChallenge("Digest realm")), 0);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a",')), 17);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a",,nonce="n"')), 17);
  assert.is(errorOffset(() => parseAuthHeader("")), 0);
  assert.is(errorOffset(() => parseAuthHeader('Digest,realm="a"')), 6);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a\\')), 15);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a\r\nb"')), 15);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm="a\u0001"')), 15);
  assert.is(errorOffset(() => parseAuthHeader('Digest realm=a"b"')), 14);
});

test("parseAuthHeader() refuses values over the length cap and too many parameters", () => {
  const long = `Digest realm="${"a".repeat(MAX_AUTH_HEADER_LENGTH)}"`;
  assert.is(errorOffset(() => parseAuthHeader(long)), MAX_AUTH_HEADER_LENGTH);
  const params = (n: number) =>
    "Digest " + Array.from({ length: n }, (_, i) => `p${i}=v`).join(", ");
  assert.is(parseAuthHeader(params(MAX_AUTH_PARAMS)).params.size, MAX_AUTH_PARAMS);
  errorOffset(() => parseAuthHeader(params(MAX_AUTH_PARAMS + 1)));
});

test("parseAuthHeader() accepts UTF-8 inside quoted strings and a scheme alone", () => {
  assert.is(
    parseAuthHeader('Digest username="J\u00e4s\u00f8n"').params.get("username")?.value,
    "J\u00e4s\u00f8n",
  );
  assert.is(parseAuthHeader("Negotiate").params.size, 0);
});

test("parseAuthHeader() reads a token68 (Basic, Bearer) but not a parameter as one", () => {
  const basic = parseAuthHeader("Basic YWxhZGRpbjpvcGVuc2VzYW1l==");
  assert.is(basic.token68, "YWxhZGRpbjpvcGVuc2VzYW1l==");
  assert.is(basic.params.size, 0);
  assert.is(parseAuthHeader("Bearer a.b-c_d~e+f/g").token68, "a.b-c_d~e+f/g");
  assert.is(parseAuthHeader("Digest realm=x").token68, undefined);
  assert.is(parseAuthHeader("Digest realm=x").params.get("realm")?.value, "x");
});

test("parseDigestCredentials() keeps unknown parameters and takes quoted or bare values", () => {
  const c = parseDigestCredentials(
    'Digest username=bob, realm="r", nonce="n", uri="sip:r", response="00", ' +
      'algorithm="SHA-256", qop="auth", nc="0000000a", cnonce=c, x-vendor="yes"',
  )!;
  assert.is(c.username, "bob");
  assert.is(c.algorithm, "SHA-256");
  assert.is(c.qop, "auth");
  assert.is(c.nc, "0000000a");
  assert.is(c.params.get("x-vendor")?.value, "yes");
});

test("parseDigestCredentials() is undefined for other schemes and refuses missing parameters", () => {
  assert.is(parseDigestCredentials('Basic realm="r"'), undefined);
  const base = 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00"';
  assert.ok(parseDigestCredentials(base));
  for (const name of ["username", "realm", "nonce", "uri", "response"]) {
    const without = base.replace(new RegExp(`${name}="[^"]*"(, )?`), "").replace(/, $/, "");
    assert.throws(() => parseDigestCredentials(without), new RegExp(`missing ${name}`), name);
  }
  assert.throws(() => parseDigestCredentials(`${base}, qop=auth, cnonce="c"`), /without nc/);
  assert.throws(() => parseDigestCredentials(`${base}, qop=auth, nc=00000001`), /without cnonce/);
  assert.throws(
    () => parseDigestCredentials(`${base}, qop=auth, nc=1, cnonce="c"`),
    /8 hex digits/,
  );
});

test("parseDigestChallenge() splits qop options and reads stale", () => {
  const ch = parseDigestChallenge(
    'Digest realm="biloxi.com", qop="auth,auth-int", nonce="abc", opaque="o", stale=TRUE',
  )!;
  assert.is(ch.realm, "biloxi.com");
  assert.equal(ch.qop, ["auth", "auth-int"]);
  assert.is(ch.stale, true);
  assert.is(ch.algorithm, undefined);
  assert.is(ch.opaque, "o");
  assert.is(parseDigestChallenge('Digest realm="r", nonce="n"')!.stale, false);
  assert.is(parseDigestChallenge('Basic realm="r"'), undefined);
  assert.throws(() => parseDigestChallenge('Digest realm="r"'), /missing nonce/);
});

test("formatDigestChallenge() round-trips through parseDigestChallenge(), escaping the realm", () => {
  const text = formatDigestChallenge({
    realm: 'odd "realm" \\',
    nonce: "n1",
    algorithm: "SHA-256",
    qop: ["auth"],
    stale: true,
  });
  assert.is(
    text,
    'Digest realm="odd \\"realm\\" \\\\", nonce="n1", stale=true, algorithm=SHA-256, qop="auth"',
  );
  const ch = parseDigestChallenge(text)!;
  assert.is(ch.realm, 'odd "realm" \\');
  assert.is(ch.algorithm, "SHA-256");
  assert.equal(ch.qop, ["auth"]);
  assert.is(ch.stale, true);
  assert.throws(
    () => formatDigestChallenge({ realm: "r", nonce: "n", algorithm: "SHA 256" }),
    isTypeError,
  );
});

test("formatDigestCredentials() round-trips through parseDigestCredentials()", () => {
  const text = formatDigestCredentials({
    username: "al,ice",
    realm: "r",
    nonce: "n",
    uri: "sip:r",
    response: "ab",
    algorithm: "MD5",
    qop: "auth",
    nc: "00000002",
    cnonce: "c",
  });
  const c = parseDigestCredentials(text)!;
  assert.is(c.username, "al,ice");
  assert.is(c.nc, "00000002");
  assert.is(c.qop, "auth");
  assert.throws(
    () =>
      formatDigestCredentials({
        username: "u",
        realm: "r",
        nonce: "n",
        uri: "u",
        response: "0",
        qop: "auth",
      }),
    isTypeError,
  );
});

test("quoteString() refuses line breaks and control characters", () => {
  assert.is(quoteString("a\tb"), '"a\tb"');
  assert.throws(() => quoteString("a\r\nb"), isTypeError);
  assert.throws(() => quoteString("a\u0000"), isTypeError);
});

test.run();
