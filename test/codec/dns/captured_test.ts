// Packets captured from avahi-daemon 0.8 and python3-zeroconf 0.47.3 (test/fixtures/mdns/, each
// with a header line of what tshark 4.0.17 read in it): our decoder must read what tshark read, and
// our encoder must write the same message back byte for byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeDnsMessage } from "../../../src/codec/dns/dns_message.ts";
import { DnsType } from "../../../src/codec/dns/dns_types.ts";
import { encodeDnsMessage } from "../../../src/codec/dns/dns_writer.ts";
import { decodeTxtPairs } from "../../../src/codec/dns/txt_pairs.ts";
import { hex, toHex } from "./dns_vectors.ts";

const dir = fileURLToPath(new URL("../../fixtures/mdns/", import.meta.url));
const TYPE_NAMES = new Map<number, string>(
  Object.entries(DnsType).map(([name, type]) => [type, name]),
);

interface Capture {
  readonly file: string;
  readonly bytes: Uint8Array;
  /** tshark's reading, from the header line: qd, an, ns, ar, qu, records, ttls, flush. */
  readonly tshark: Record<string, string>;
}

function captures(): Capture[] {
  return readdirSync(dir).filter((f) => f.endsWith(".hex")).sort().map((file) => {
    const text = readFileSync(`${dir}${file}`, "utf8");
    const header = text.split("\n")[0]!;
    const tshark: Record<string, string> = {};
    for (const match of header.matchAll(/\b(qd|an|ns|ar|qu|records|ttls|flush)=(\S+?)[;\s]/g)) {
      tshark[match[1]!] = match[2]!;
    }
    return { file, bytes: hex(text), tshark };
  });
}

const list = (values: readonly (string | number)[]) => values.length === 0 ? "-" : values.join(",");

test("captured mDNS packets: the fixtures are there (avahi and python-zeroconf)", () => {
  const files = captures().map((c) => c.file);
  assert.ok(files.length >= 15, `${files.length} fixtures`);
  assert.ok(files.some((f) => f.startsWith("avahi_")));
  assert.ok(files.some((f) => f.startsWith("zeroconf_")));
});

test("decodeDnsMessage() reads each captured packet as tshark did", () => {
  for (const { file, bytes, tshark } of captures()) {
    const message = decodeDnsMessage(bytes, { trailingBytes: "reject" });
    const records = [...message.answers, ...message.authorities, ...message.additionals];
    assert.is(String(message.questions.length), tshark.qd, `${file} qd`);
    assert.is(String(message.answers.length), tshark.an, `${file} an`);
    assert.is(String(message.authorities.length), tshark.ns, `${file} ns`);
    assert.is(String(message.additionals.length), tshark.ar, `${file} ar`);
    assert.is(
      list(message.questions.map((q) => q.unicastResponse ? 1 : 0)),
      tshark.qu,
      `${file} qu`,
    );
    assert.is(
      list(records.map((r) => TYPE_NAMES.get(r.data.type) ?? r.data.type)),
      tshark.records,
      `${file} types`,
    );
    assert.is(list(records.map((r) => r.ttl)), tshark.ttls, `${file} ttls`);
    assert.is(list(records.map((r) => r.cacheFlush ? 1 : 0)), tshark.flush, `${file} flush`);
  }
});

test("encodeDnsMessage() writes each captured packet back byte for byte, and it decodes the same", () => {
  for (const { file, bytes } of captures()) {
    const message = decodeDnsMessage(bytes);
    const again = encodeDnsMessage(message);
    assert.is(toHex(again), toHex(bytes), file);
    assert.equal(decodeDnsMessage(again), message, file);
  }
});

test("decodeTxtPairs() reads the TXT records of the captured announcements", () => {
  const seen = new Map<string, Map<string, Uint8Array | true>>();
  for (const { file, bytes } of captures()) {
    const message = decodeDnsMessage(bytes);
    for (const r of [...message.answers, ...message.authorities, ...message.additionals]) {
      if ("strings" in r.data) seen.set(file, decodeTxtPairs(r.data.strings));
    }
  }
  const avahi = seen.get("avahi_announce_service.hex");
  // avahi-publish-service ... from=avahi flag
  assert.equal(avahi && [...avahi.entries()], [["from", new TextEncoder().encode("avahi")], [
    "flag",
    true,
  ]]);
  assert.ok(seen.size >= 4, `${seen.size} packets with TXT`);
});

test.run();
