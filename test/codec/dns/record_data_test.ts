import { test } from "uvu";
import * as assert from "uvu/assert";
import { DnsDecodeError, DnsEncodeError } from "../../../src/codec/dns/dns_errors.ts";
import { type DnsRecordData, DnsType } from "../../../src/codec/dns/dns_types.ts";
import { decodeRdata, encodeRdata } from "../../../src/codec/dns/record_data.ts";
import { ascii, decodeErrorOf, hex, thrown, toHex } from "./dns_vectors.ts";

const decode = (rdata: string, type: number) => {
  const bytes = hex(rdata);
  return decodeRdata(bytes, 0, bytes.length, type);
};

test("encodeRdata() and decodeRdata() round-trip every record type", () => {
  const cases: [DnsRecordData, string][] = [
    [{ type: 1, address: "192.0.2.1" }, "c0000201"],
    [{ type: 28, address: "2001:db8::1" }, "20010db8000000000000000000000001"],
    [
      { type: 12, target: ["My Phone", "_sip", "_udp", "local"] },
      "084d792050686f6e65045f736970045f756470056c6f63616c00",
    ],
    [{ type: 16, strings: [ascii("a=1"), new Uint8Array(0), ascii("b")] }, "03613d31000162"],
    [
      { type: 33, priority: 1, weight: 2, port: 5060, target: ["phone", "local"] },
      "0001000213c40570686f6e65056c6f63616c00",
    ],
    [
      { type: 47, nextName: ["phone", "local"], types: [1, 28] },
      "0570686f6e65056c6f63616c00000440000008",
    ],
    [{ type: 99, raw: hex("0102030405") }, "0102030405"],
    [{ type: 5, raw: hex("0161056c6f63616c00") }, "0161056c6f63616c00"], // CNAME, uncompressed
  ];
  for (const [data, wire] of cases) {
    assert.is(toHex(encodeRdata(data)), wire, `type ${data.type}`);
    assert.equal(decode(wire, data.type), data, `type ${data.type}`);
  }
});

test("decodeRdata() gives AAAA text in RFC 5952 form", () => {
  const cases: [string, string][] = [
    ["20010db8000000000000000000000001", "2001:db8::1"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"], // 4.2.3: the longest run
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"], // 4.2.3: the first of equal runs
    ["20010db8000100010001000100010001", "2001:db8:1:1:1:1:1:1"],
    ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"], // 4.2.2: one zero group stays
    ["fe800000000000000000000000000001", "fe80::1"],
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["00000000000000000000ffffc0000201", "::ffff:192.0.2.1"], // section 5
    ["20010DB8ABCD00120000000000000000", "2001:db8:abcd:12::"], // 4.3: lower case
  ];
  for (const [wire, text] of cases) {
    const data = decode(wire, DnsType.AAAA);
    assert.equal(data, { type: 28, address: text });
  }
});

test("encodeRdata() takes any valid IPv6 text for AAAA and refuses zones and IPv4", () => {
  for (
    const text of [
      "2001:DB8::1",
      "2001:0db8:0000:0000:0000:0000:0000:0001",
      "2001:db8:0:0::1",
      "::ffff:192.0.2.1",
      "::ffff:c000:201",
    ]
  ) {
    const expected = text.includes("ffff")
      ? "00000000000000000000ffffc0000201"
      : "20010db8000000000000000000000001";
    assert.is(toHex(encodeRdata({ type: 28, address: text })), expected, text);
  }
  for (const bad of ["fe80::1%eth0", "192.0.2.1", "2001:db8::1::2", "", "2001:db8:::1", "x::1"]) {
    assert.ok(thrown(() => encodeRdata({ type: 28, address: bad })) instanceof DnsEncodeError, bad);
  }
});

test("encodeRdata() refuses an A address that is not a dotted quad", () => {
  for (const bad of ["192.0.2", "192.0.2.256", "::1", "192.0.2.01", "", "a.b.c.d"]) {
    assert.ok(thrown(() => encodeRdata({ type: 1, address: bad })) instanceof DnsEncodeError, bad);
  }
});

test("encodeRdata() writes an empty TXT as one empty string and refuses a string over 255", () => {
  assert.is(toHex(encodeRdata({ type: 16, strings: [] })), "00");
  assert.is(encodeRdata({ type: 16, strings: [new Uint8Array(255)] }).length, 256);
  assert.ok(
    thrown(() => encodeRdata({ type: 16, strings: [new Uint8Array(256)] })) instanceof
      DnsEncodeError,
  );
});

test("decodeRdata() reads zero-length TXT rdata as one empty string (RFC 6763 6.1)", () => {
  assert.equal(decode("", DnsType.TXT), { type: 16, strings: [new Uint8Array(0)] });
  assert.equal(decode("00", DnsType.TXT), { type: 16, strings: [new Uint8Array(0)] });
});

test("encodeRdata() refuses SRV numbers and NSEC types out of range, and rdata over 65535", () => {
  const srv = { type: 33, priority: 0, weight: 0, port: 5060, target: ["a"] } as const;
  for (const bad of [{ ...srv, port: 65536 }, { ...srv, weight: -1 }, { ...srv, priority: 1.5 }]) {
    assert.ok(thrown(() => encodeRdata(bad)) instanceof DnsEncodeError);
  }
  assert.ok(
    thrown(() => encodeRdata({ type: 47, nextName: ["a"], types: [65536] })) instanceof
      DnsEncodeError,
  );
  const huge = Array.from({ length: 258 }, () => new Uint8Array(255));
  assert.ok(thrown(() => encodeRdata({ type: 16, strings: huge })) instanceof DnsEncodeError);
  assert.ok(
    thrown(() => encodeRdata({ type: 99, raw: new Uint8Array(65536) })) instanceof DnsEncodeError,
  );
  assert.is(encodeRdata({ type: 99, raw: new Uint8Array(65535) }).length, 65535);
});

test("encodeRdata() writes NSEC bitmaps without trailing zero bytes, in window order", () => {
  // RFC 4034 section 4.3's example bitmap: A, MX, RRSIG, NSEC and type 1234
  const data = { type: 47, nextName: [], types: [1234, 47, 46, 15, 1] } as const;
  assert.is(
    toHex(encodeRdata(data)),
    "00" + "0006400100000003" + "041b" + "00".repeat(26) + "20",
  );
  const back = decode(toHex(encodeRdata(data)), 47);
  assert.equal(back, { type: 47, nextName: [], types: [1, 15, 46, 47, 1234] });
  assert.is(toHex(encodeRdata({ type: 47, nextName: [], types: [] })), "00");
  assert.is(toHex(encodeRdata({ type: 47, nextName: [], types: [1, 1] })), "00000140");
});

test("decodeRdata() refuses A and AAAA of the wrong length", () => {
  assert.match(decodeErrorOf(() => decode("c00002", DnsType.A)).reason, /3 bytes, not 4/);
  assert.ok(decodeErrorOf(() => decode("c0000201ff", DnsType.A)) instanceof DnsDecodeError);
  assert.ok(decodeErrorOf(() => decode("00".repeat(15), DnsType.AAAA)) instanceof DnsDecodeError);
});

test("decodeRdata() refuses a short SRV and names that do not end with the rdata", () => {
  assert.match(decodeErrorOf(() => decode("000000001f", DnsType.SRV)).reason, /at least 7/);
  assert.ok(decodeErrorOf(() => decode("000000001f90", DnsType.SRV)) instanceof DnsDecodeError);
  assert.ok(
    decodeErrorOf(() => decode("0000000013c4 0161", DnsType.SRV)) instanceof DnsDecodeError,
  );
  assert.match(decodeErrorOf(() => decode("0161 00 ff", DnsType.PTR)).reason, /1 bytes after/);
  assert.ok(decodeErrorOf(() => decode("", DnsType.PTR)) instanceof DnsDecodeError);
});

test("decodeRdata() refuses a TXT string running past the rdata", () => {
  const error = decodeErrorOf(() => decode("03616263 05616263", DnsType.TXT));
  assert.match(error.reason, /TXT string of 5 bytes runs past/);
  assert.is(error.offset, 4);
});

test("decodeRdata() refuses malformed NSEC bitmaps", () => {
  for (
    const bad of [
      "00 00", // window cut short
      "00 0000", // length 0
      "00 0021" + "00".repeat(33), // length 33
      "00 0002 40", // runs past the rdata
      "00 000140 000140", // window 0 twice
      "00 010140 000140", // windows out of order
    ]
  ) {
    assert.ok(decodeErrorOf(() => decode(bad, DnsType.NSEC)) instanceof DnsDecodeError, bad);
  }
});

test("decodeRdata() decompresses names in the raw rdata of the types RFC 6762 18.14 lists", () => {
  // "local" at 0, then MX rdata at 7: preference 10, "mail" + pointer to 0
  const bytes = hex("056c6f63616c00 000a 046d61696c c000");
  const mx = decodeRdata(bytes, 7, bytes.length - 7, 15);
  assert.equal(mx, { type: 15, raw: hex("000a 046d61696c 056c6f63616c00") });
  // SOA: two names and 20 bytes
  const soa = hex("056c6f63616c00 026e73c000 0561646d696ec000" + "00".repeat(20));
  assert.equal(decodeRdata(soa, 7, soa.length - 7, 6), {
    type: 6,
    raw: hex("026e73056c6f63616c00 0561646d696e056c6f63616c00" + "00".repeat(20)),
  });
  // a type not in the list keeps its bytes, pointer and all
  assert.equal(decodeRdata(bytes, 7, bytes.length - 7, 99), { type: 99, raw: bytes.slice(7) });
  // and the fixed part must be there
  assert.ok(decodeErrorOf(() => decodeRdata(bytes, 7, 1, 15)) instanceof DnsDecodeError);
  assert.ok(decodeErrorOf(() => decodeRdata(soa, 7, soa.length - 8, 6)) instanceof DnsDecodeError);
});

test("decodeRdata() copies TXT strings and raw rdata out of the message", () => {
  const bytes = hex("0161 0102");
  const txt = decodeRdata(bytes, 0, 2, DnsType.TXT) as { readonly strings: readonly Uint8Array[] };
  const raw = decodeRdata(bytes, 2, 2, 99) as { readonly raw: Uint8Array };
  bytes.fill(0);
  assert.is(toHex(txt.strings[0]!), "61");
  assert.is(toHex(raw.raw), "0102");
});

test.run();
