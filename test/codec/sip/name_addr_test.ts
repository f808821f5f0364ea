import { test } from "uvu";
import * as assert from "uvu/assert";
import { getParam, hasParam, parseHeaderParams } from "../../../src/codec/sip/header_params.ts";
import { parseNameAddr, serializeNameAddr } from "../../../src/codec/sip/name_addr.ts";
import { refusal } from "./sip_helpers.ts";

test("parseNameAddr() reads quoted, token and absent display names", () => {
  assert.equal(parseNameAddr('"A \\"B\\" C" <sip:a@b>;tag=x'), {
    displayName: 'A "B" C',
    uri: "sip:a@b",
    params: [{ name: "tag", value: "x" }],
  });
  assert.is(parseNameAddr("Alice   Smith\t<sip:a@b>").displayName, "Alice Smith");
  assert.is(parseNameAddr("<sip:a@b>").displayName, undefined);
  assert.is(parseNameAddr('"" <sip:a@b>').displayName, "");
});

test("parseNameAddr() addr-spec form: parameters belong to the header, not the URI", () => {
  const na = parseNameAddr("sip:+1555@gw.example.net;user=phone ; tag = 77");
  assert.is(na.uri, "sip:+1555@gw.example.net");
  assert.is(getParam(na.params, "USER"), "phone");
  assert.is(getParam(na.params, "tag"), "77");
  assert.ok(hasParam(na.params, "tag"));
  assert.not.ok(hasParam(na.params, "q"));
});

test("parseNameAddr() refuses what RFC 3261 section 20 and RFC 4475 call malformed", () => {
  for (
    const bad of [
      '"unterminated <sip:a@b>',
      "Bell, Alexander <sip:a@b>",
      "< sip:a@b >",
      "<sip:a@b",
      "sip:a@b?Route=x",
      "<no-scheme>",
      "<sip:a@b>;;tag=1",
      "<sip:a@b>;tag=",
      "<sip:a@b> junk",
      '"name" sip:a@b',
    ]
  ) {
    assert.is(refusal(() => parseNameAddr(bad, "To")).reason, "VALUE", bad);
  }
});

test("parseHeaderParams() keeps quoted values and IPv6 references as written", () => {
  assert.equal(parseHeaderParams(';a="x;y" ; b=[2001:db8::1];c', 0, "p"), [
    { name: "a", value: '"x;y"' },
    { name: "b", value: "[2001:db8::1]" },
    { name: "c", value: undefined },
  ]);
});

test("serializeNameAddr() writes the name-addr form and parses back", () => {
  for (
    const text of [
      '"Bob \\"B\\"" <sip:bob@example.com>;tag=a6c85cf',
      "sip:a@b;tag=1",
      "Bob <tel:+1555>",
    ]
  ) {
    const na = parseNameAddr(text);
    assert.equal(parseNameAddr(serializeNameAddr(na)), na, text);
  }
  assert.is(serializeNameAddr(parseNameAddr("sip:a@b;tag=1")), "<sip:a@b>;tag=1");
  assert.is(
    serializeNameAddr({ displayName: "Bell, A.", uri: "sip:a@b", params: [] }),
    '"Bell, A." <sip:a@b>',
  );
});

test.run();
