import { test } from "uvu";
import * as assert from "uvu/assert";
import { DnsEncodeError } from "../../../src/codec/dns/dns_errors.ts";
import type { DnsRecord } from "../../../src/codec/dns/dns_types.ts";
import { compareRecords, rdataEqual, recordsEqual } from "../../../src/codec/dns/record_compare.ts";
import { ascii, HOST, record, thrown } from "./dns_vectors.ts";

const a = (address: string, name = HOST): DnsRecord => record(name, { type: 1, address });

test("compareRecords() orders by class, then type, then rdata bytes (RFC 6762 8.2)", () => {
  // RFC 6762 section 8.2's example: 169.254.200.50 is later than 169.254.99.200 (200 > 99)
  assert.ok(compareRecords(a("169.254.99.200"), a("169.254.200.50")) < 0);
  assert.ok(compareRecords(a("169.254.200.50"), a("169.254.99.200")) > 0);
  assert.is(compareRecords(a("192.0.2.1"), a("192.0.2.1")), 0);
  // the class before the type, the type before the rdata; the cache-flush bit does not count
  const chaos = { ...a("192.0.2.1"), class: 3 };
  const aaaa = record(HOST, { type: 28, address: "::" });
  assert.ok(compareRecords(chaos, aaaa) > 0);
  assert.ok(compareRecords(aaaa, a("255.255.255.255")) > 0);
  assert.is(compareRecords(a("192.0.2.1"), { ...a("192.0.2.1"), cacheFlush: true, ttl: 1 }), 0);
});

test("compareRecords() puts the longer rdata later when one is a prefix of the other", () => {
  const txt = (...strings: string[]) => record(HOST, { type: 16, strings: strings.map(ascii) });
  assert.ok(compareRecords(txt("ab"), txt("ab", "c")) < 0);
  assert.ok(compareRecords(txt("ab", "c"), txt("ab")) > 0);
  // byte by byte as unsigned numbers: a length byte of 2 against 1
  assert.ok(compareRecords(txt("b"), txt("aa")) < 0);
});

test("compareRecords() compares names in rdata uncompressed, case as given", () => {
  const ptr = (target: string[]) => record(["_sip", "_udp", "local"], { type: 12, target });
  assert.ok(compareRecords(ptr(["B", "local"]), ptr(["a", "local"])) < 0); // "B" 0x42 < "a" 0x61
  // "a.local" is 01 61 05 ..., "a.b.local" 01 61 01 ...: the first is later
  assert.ok(compareRecords(ptr(["a", "local"]), ptr(["a", "b", "local"])) > 0);
});

test("compareRecords() sorts a set as RFC 6762 8.2.1 needs", () => {
  const set = [a("192.0.2.3"), a("10.0.0.1"), a("192.0.2.20")];
  assert.equal(set.sort(compareRecords).map((r) => (r.data as { address: string }).address), [
    "10.0.0.1",
    "192.0.2.3",
    "192.0.2.20",
  ]);
});

test("rdataEqual() compares addresses by value and rdata names ignoring ASCII case", () => {
  assert.ok(
    rdataEqual({ type: 28, address: "2001:DB8::1" }, { type: 28, address: "2001:db8:0::1" }),
  );
  assert.ok(
    rdataEqual({ type: 12, target: ["Phone", "LOCAL"] }, { type: 12, target: ["phone", "local"] }),
  );
  assert.ok(
    rdataEqual(
      { type: 33, priority: 0, weight: 0, port: 5060, target: ["Phone", "local"] },
      { type: 33, priority: 0, weight: 0, port: 5060, target: ["phone", "local"] },
    ),
  );
  assert.not.ok(
    rdataEqual(
      { type: 33, priority: 0, weight: 0, port: 5060, target: ["phone", "local"] },
      { type: 33, priority: 0, weight: 0, port: 5061, target: ["phone", "local"] },
    ),
  );
  assert.ok(
    rdataEqual({ type: 47, nextName: ["A"], types: [28, 1] }, {
      type: 47,
      nextName: ["a"],
      types: [1, 28],
    }),
  );
  // non-ASCII letters are not folded (RFC 6762 section 16: ASCII case only)
  assert.not.ok(rdataEqual({ type: 12, target: ["É"] }, { type: 12, target: ["é"] }));
  // TXT strings and raw rdata byte for byte
  assert.not.ok(
    rdataEqual({ type: 16, strings: [ascii("A=1")] }, { type: 16, strings: [ascii("a=1")] }),
  );
  assert.ok(rdataEqual({ type: 16, strings: [] }, { type: 16, strings: [new Uint8Array(0)] }));
  assert.not.ok(
    rdataEqual({ type: 1, address: "192.0.2.1" }, { type: 99, raw: Uint8Array.of(192, 0, 2, 1) }),
  );
  assert.ok(
    rdataEqual({ type: 1, address: "192.0.2.1" }, { type: 1, raw: Uint8Array.of(192, 0, 2, 1) }),
  );
});

test("recordsEqual() needs the same name, class and rdata; TTL and cache-flush do not count", () => {
  assert.ok(
    recordsEqual(a("192.0.2.1", ["Phone", "local"]), {
      ...a("192.0.2.1"),
      ttl: 0,
      cacheFlush: true,
    }),
  );
  assert.not.ok(recordsEqual(a("192.0.2.1"), a("192.0.2.2")));
  assert.not.ok(recordsEqual(a("192.0.2.1"), a("192.0.2.1", ["other", "local"])));
  assert.not.ok(recordsEqual(a("192.0.2.1"), { ...a("192.0.2.1"), class: 3 }));
});

test("rdataEqual() and compareRecords() refuse rdata that cannot be encoded", () => {
  assert.ok(
    thrown(() => rdataEqual({ type: 1, address: "nope" }, { type: 1, address: "nope" })) instanceof
      DnsEncodeError,
  );
  assert.ok(thrown(() => compareRecords(a("192.0.2.1"), a("x"))) instanceof DnsEncodeError);
});

test("rdataEqual() compares rdata up to 65535 bytes each", () => {
  const big = () => ({ type: 99, raw: new Uint8Array(65535).fill(7) });
  assert.ok(rdataEqual(big(), big()));
  const other = big();
  other.raw[65534] = 8;
  assert.not.ok(rdataEqual(big(), other));
});

test.run();
