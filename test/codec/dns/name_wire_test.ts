import { test } from "uvu";
import * as assert from "uvu/assert";
import { DnsDecodeError, DnsEncodeError } from "../../../src/codec/dns/dns_errors.ts";
import {
  DnsLabelCache,
  DnsNameCompressor,
  encodeDnsName,
  readDnsName,
} from "../../../src/codec/dns/name_wire.ts";
import { decodeErrorOf, hex, rfc1035CompressionExample, thrown, toHex } from "./dns_vectors.ts";

function read(bytes: Uint8Array, offset: number, end = bytes.length) {
  const cursor = { offset };
  const name = readDnsName(bytes, cursor, end);
  return { name, next: cursor.offset };
}

test("readDnsName() reads RFC 1035 section 4.1.4's compression example", () => {
  const bytes = rfc1035CompressionExample();
  assert.equal(read(bytes, 20), { name: ["F", "ISI", "ARPA"], next: 32 });
  assert.equal(read(bytes, 40), { name: ["FOO", "F", "ISI", "ARPA"], next: 46 });
  assert.equal(read(bytes, 64), { name: ["ARPA"], next: 66 });
  assert.equal(read(bytes, 92), { name: [], next: 93 });
});

test("readDnsName() keeps case, dots and UTF-8 inside labels", () => {
  const label = new TextEncoder().encode("Café.Ünïcode");
  const bytes = new Uint8Array([label.length, ...label, 5, ...hex("4c6f63616c"), 0]);
  assert.equal(read(bytes, 0).name, ["Café.Ünïcode", "Local"]);
});

test("readDnsName() keeps a byte order mark as a character", () => {
  const bytes = hex("04 efbbbf41 00");
  assert.equal(read(bytes, 0).name, ["\ufeffA"]);
});

test("readDnsName() refuses invalid UTF-8 in a label", () => {
  for (const bad of ["02 c328", "01 80", "03 eda080", "04 f8888080"]) {
    const error = decodeErrorOf(() => read(hex(`${bad} 00`), 0));
    assert.match(error.reason, /UTF-8/, bad);
    assert.is(error.offset, 0);
  }
});

test("readDnsName() refuses a pointer forward, to itself and a loop", () => {
  // forward: a pointer at 0 to 4
  assert.match(decodeErrorOf(() => read(hex("c004 0000 00"), 0)).reason, /not before byte 0/);
  // to itself
  assert.match(decodeErrorOf(() => read(hex("00 c001"), 1)).reason, /pointer to byte 1/);
  // a loop through two names: 0 -> "a" then pointer to 4, 4 -> pointer to 0
  const loop = hex("01 61 c004 c000");
  assert.ok(decodeErrorOf(() => read(loop, 4)) instanceof DnsDecodeError);
  // a pointer into the labels that lead to it (back, but into the same run)
  assert.ok(decodeErrorOf(() => read(hex("01 61 01 62 c002"), 0)) instanceof DnsDecodeError);
});

test("readDnsName() refuses labels read after a jump that run over the pointer's run", () => {
  // name at 4: pointer to 0; at 0 a label of 4 bytes would run into byte 4 and beyond
  const bytes = hex("04 61 62 63 c000 00");
  assert.ok(decodeErrorOf(() => read(bytes, 4)) instanceof DnsDecodeError);
});

test("readDnsName() bounds the pointer chain", () => {
  // a chain of 200 pointers, each to the one before it, ending at a root at 0
  const bytes = new Uint8Array(1 + 2 * 200);
  for (let i = 0; i < 200; i++) {
    const at = 1 + 2 * i;
    const target = i === 0 ? 0 : at - 2;
    bytes[at] = 0xc0 | (target >>> 8);
    bytes[at + 1] = target & 0xff;
  }
  assert.equal(read(bytes, 1 + 2 * 100).name, []);
  assert.match(decodeErrorOf(() => read(bytes, 1 + 2 * 199)).reason, /more than 128/);
});

test("readDnsName() refuses a name over 255 bytes and takes one of exactly 255", () => {
  const label63 = `3f ${"61".repeat(63)}`;
  // 4 labels of 63 = 256 bytes, plus the root: 257
  const tooLong = hex(`${label63} ${label63} ${label63} ${label63} 00`);
  assert.match(decodeErrorOf(() => read(tooLong, 0)).reason, /longer than 255/);
  // 3 x 64 + 62 (61-byte label) + 1 = 255
  const longest = hex(`${label63} ${label63} ${label63} 3d ${"62".repeat(61)} 00`);
  assert.is(read(longest, 0).next, 255);
  // the limit counts labels reached through pointers too
  const split = hex(`${label63} ${label63} 00 ${label63} ${label63} c000`);
  assert.match(decodeErrorOf(() => read(split, 129)).reason, /longer than 255/);
});

test("readDnsName() refuses a label type of 0x40 or 0x80 (a length over 63)", () => {
  assert.match(decodeErrorOf(() => read(hex("41 00"), 0)).reason, /label type 0x40/);
  assert.match(decodeErrorOf(() => read(hex("80 00"), 0)).reason, /label type 0x80/);
});

test("readDnsName() refuses names running past their end", () => {
  assert.ok(decodeErrorOf(() => read(hex("03 6162"), 0)) instanceof DnsDecodeError);
  assert.ok(decodeErrorOf(() => read(hex("03 616263"), 0)) instanceof DnsDecodeError);
  assert.ok(decodeErrorOf(() => read(hex("c0"), 0)) instanceof DnsDecodeError);
  assert.ok(decodeErrorOf(() => read(hex(""), 0)) instanceof DnsDecodeError);
  // inside rdata: the end is the rdata's end, not the message's
  assert.ok(decodeErrorOf(() => read(hex("03 616263 00"), 0, 4)) instanceof DnsDecodeError);
});

test("DnsLabelCache returns labels only until reset()", () => {
  const cache = new DnsLabelCache();
  const bytes = hex("05 6c6f63616c 00 c000");
  assert.equal(readDnsName(bytes, { offset: 7 }, bytes.length, cache), ["local"]);
  assert.is(cache.get(0), "local");
  cache.reset();
  assert.is(cache.get(0), undefined);
  cache.set(20_000, "out of pointer reach");
  assert.is(cache.get(20_000), undefined);
});

test("encodeDnsName() writes labels uncompressed, case and UTF-8 as given", () => {
  assert.is(toHex(encodeDnsName(["local"])), "056c6f63616c00");
  assert.is(toHex(encodeDnsName([])), "00");
  assert.is(toHex(encodeDnsName(["É"])), "02c38900");
  assert.is(encodeDnsName(["a".repeat(63)]).length, 65);
});

test("encodeDnsName() refuses empty, over-long and ill-formed labels and names", () => {
  const refused = (name: string[]) => thrown(() => encodeDnsName(name)) instanceof DnsEncodeError;
  assert.ok(refused([""]));
  assert.ok(refused(["a".repeat(64)]));
  assert.ok(refused(["é".repeat(32)])); // 64 bytes in UTF-8
  assert.ok(refused(["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(62)])); // 256
  assert.ok(refused(["\ud800x"]));
  assert.ok(refused(Array(128).fill("a")));
  assert.is(
    encodeDnsName(["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)]).length,
    255,
  );
});

test("DnsNameCompressor writes RFC 1035 section 4.1.4's example with the same pointers", () => {
  const buffer = new Uint8Array(93);
  const names = new DnsNameCompressor(buffer.length);
  assert.is(names.write(buffer, 20, buffer.length, ["F", "ISI", "ARPA"], true), 32);
  assert.is(names.write(buffer, 40, buffer.length, ["FOO", "F", "ISI", "ARPA"], true), 46);
  assert.is(names.write(buffer, 64, buffer.length, ["ARPA"], true), 66);
  assert.is(names.write(buffer, 92, buffer.length, [], true), 93);
  assert.is(toHex(buffer), toHex(rfc1035CompressionExample()));
});

test("DnsNameCompressor compresses case-sensitively and skips offsets past 0x3fff", () => {
  const buffer = new Uint8Array(20_000);
  const names = new DnsNameCompressor(buffer.length);
  let at = names.write(buffer, 0, buffer.length, ["a", "local"], true);
  at = names.write(buffer, at, buffer.length, ["b", "Local"], true);
  assert.is(toHex(buffer.subarray(9, at)), "0162054c6f63616c00"); // no pointer to "local"
  const far = names.write(buffer, 0x4000, buffer.length, ["far", "example"], true);
  const end = names.write(buffer, far, buffer.length, ["far", "example"], true);
  assert.is(end - far, far - 0x4000); // nothing to point at beyond 0x3fff
});

test("DnsNameCompressor returns -1 without remembering when a name does not fit", () => {
  const buffer = new Uint8Array(32);
  const names = new DnsNameCompressor(buffer.length);
  assert.is(names.write(buffer, 20, buffer.length, ["phone", "local"], true), -1);
  // nothing remembered: the same name at 0 is written in full
  assert.is(names.write(buffer, 0, buffer.length, ["phone", "local"], true), 13);
  assert.is(names.write(buffer, 13, buffer.length, ["phone", "local"], true), 15);
});

test("DnsNameCompressor rollback() forgets names written since the mark", () => {
  const buffer = new Uint8Array(64);
  const names = new DnsNameCompressor(buffer.length);
  const at = names.write(buffer, 0, buffer.length, ["local"], true);
  const mark = names.mark();
  names.write(buffer, at, buffer.length, ["phone", "local"], true);
  names.rollback(mark);
  buffer.fill(0xff, at); // the rolled-back bytes are garbage now
  const end = names.write(buffer, at, buffer.length, ["phone", "local"], true);
  assert.is(toHex(buffer.subarray(at, end)), "0570686f6e65c000");
  const decoded = readDnsName(buffer, { offset: at }, end);
  assert.equal(decoded, ["phone", "local"]);
});

test("DnsNameCompressor is not fooled by a hash collision", () => {
  // many different names: every match it makes must decode to the name written
  const buffer = new Uint8Array(16_000);
  const names = new DnsNameCompressor(buffer.length);
  const starts: [number, string[]][] = [];
  let at = 0;
  for (let i = 0; i < 1_500; i++) {
    const name = [`h${i % 97}`, `s${i % 13}`, "local"];
    starts.push([at, name]);
    at = names.write(buffer, at, buffer.length, name, true);
  }
  for (const [start, name] of starts) {
    assert.equal(readDnsName(buffer, { offset: start }, at), name);
  }
});

test.run();
