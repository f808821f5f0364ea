import { test } from "uvu";
import * as assert from "uvu/assert";
import { DnsEncodeError } from "../../../src/codec/dns/dns_errors.ts";
import { encodeRdata } from "../../../src/codec/dns/record_data.ts";
import { decodeTxtPairs, encodeTxtPairs } from "../../../src/codec/dns/txt_pairs.ts";
import { ascii, thrown, toHex } from "./dns_vectors.ts";

const text = (strings: Uint8Array[]) => strings.map((s) => new TextDecoder().decode(s));

test("encodeTxtPairs() writes key=value, a key alone for true, in the order given", () => {
  const strings = encodeTxtPairs({ txtvers: "1", path: "/sip", secure: true, empty: "" });
  assert.equal(text(strings), ["txtvers=1", "path=/sip", "secure", "empty="]);
  const map = new Map<string, string | Uint8Array | true>([["b", Uint8Array.of(0, 0x3d, 0xff)], [
    "a",
    "é",
  ]]);
  assert.equal(encodeTxtPairs(map).map(toHex), ["623d003dff", "613dc3a9"]);
});

test("encodeTxtPairs() of no pairs is one empty string: a single zero byte (RFC 6763 6.1)", () => {
  const strings = encodeTxtPairs({});
  assert.equal(strings, [new Uint8Array(0)]);
  assert.is(toHex(encodeRdata({ type: 16, strings })), "00");
  assert.equal(encodeTxtPairs(new Map()), [new Uint8Array(0)]);
});

test("encodeTxtPairs() takes keys of printable US-ASCII without '=' and of any length", () => {
  assert.equal(text(encodeTxtPairs({ " ~!": true, "a long key of many chars": "x" })), [
    " ~!",
    "a long key of many chars=x",
  ]);
  for (const key of ["", "a=b", "tab\t", "é", "\x7f"]) {
    assert.ok(thrown(() => encodeTxtPairs({ [key]: "v" })) instanceof DnsEncodeError, key);
  }
});

test("encodeTxtPairs() refuses a key given twice in different case", () => {
  const pairs = new Map<string, string>([["Path", "/a"], ["path", "/b"]]);
  assert.ok(thrown(() => encodeTxtPairs(pairs)) instanceof DnsEncodeError);
});

test("encodeTxtPairs() refuses a pair over 255 bytes and takes one of exactly 255", () => {
  assert.is(encodeTxtPairs({ k: "v".repeat(253) })[0]!.length, 255);
  assert.ok(thrown(() => encodeTxtPairs({ k: "v".repeat(254) })) instanceof DnsEncodeError);
  assert.ok(thrown(() => encodeTxtPairs({ k: "é".repeat(127) })) instanceof DnsEncodeError); // 256
});

test("encodeTxtPairs() refuses a value that is not text, bytes or true", () => {
  const pairs = { k: false } as unknown as Record<string, true>;
  assert.ok(thrown(() => encodeTxtPairs(pairs)) instanceof DnsEncodeError);
});

test("decodeTxtPairs() follows RFC 6763 section 6.4: boolean keys, key=, first occurrence wins", () => {
  const pairs = decodeTxtPairs(
    ["txtvers=1", "Secure", "empty=", "PATH=/first", "path=/second", "a=b=c"].map(ascii),
  );
  assert.equal([...pairs.keys()], ["txtvers", "secure", "empty", "path", "a"]);
  assert.is(pairs.get("secure"), true);
  assert.equal(pairs.get("empty"), new Uint8Array(0));
  assert.equal(pairs.get("path"), ascii("/first"));
  assert.equal(pairs.get("a"), ascii("b=c")); // 6.5: the value is everything after the first "="
});

test("decodeTxtPairs() skips empty strings, strings starting with '=' and bad keys", () => {
  const pairs = decodeTxtPairs([
    new Uint8Array(0),
    ascii("=value"),
    ascii("="),
    Uint8Array.of(0x6b, 0x01, 0x3d, 0x31), // "k\x01=1"
    Uint8Array.of(0xc3, 0xa9, 0x3d, 0x31), // "é=1"
    ascii("ok=1"),
  ]);
  assert.equal([...pairs.entries()], [["ok", ascii("1")]]);
  assert.is(decodeTxtPairs([new Uint8Array(0)]).size, 0);
  assert.is(decodeTxtPairs([]).size, 0);
});

test("decodeTxtPairs() reads what encodeTxtPairs() writes", () => {
  const bytes = Uint8Array.of(0, 1, 2, 0x3d, 255);
  const pairs = decodeTxtPairs(encodeTxtPairs({ TxtVers: "1", flag: true, bin: bytes, e: "" }));
  assert.equal(
    [...pairs.entries()],
    [["txtvers", ascii("1")], ["flag", true], ["bin", bytes], ["e", new Uint8Array(0)]],
  );
});

test.run();
