import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import {
  encodeDerBitString,
  encodeDerBoolean,
  encodeDerContext,
  encodeDerGeneralizedTime,
  encodeDerInteger,
  encodeDerLength,
  encodeDerOctetString,
  encodeDerOid,
  encodeDerPrintableString,
  encodeDerSet,
  encodeDerTime,
  encodeDerUtcTime,
  encodeDerUtf8String,
} from "../../src/identity/der_writer.ts";
import {
  CertificateOid,
  createSelfSignedCertificate,
  type SelfSignedCertificateInit,
} from "../../src/identity/self_signed_certificate.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0, 750);

// --- A minimal DER reader, written for these tests only, to look where X509Certificate cannot.

interface Tlv {
  readonly tag: number;
  readonly contents: Uint8Array;
  /** The whole encoding, tag to end. */
  readonly bytes: Uint8Array;
}

function readTlv(bytes: Uint8Array, at = 0): Tlv {
  const tag = bytes[at]!;
  let length = bytes[at + 1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at + 2 + i]!;
    header += n;
  }
  const end = at + header + length;
  if (end > bytes.length) throw new Error("DER element runs past its parent");
  return { tag, contents: bytes.subarray(at + header, end), bytes: bytes.subarray(at, end) };
}

function children(parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < parent.contents.length; at += out[out.length - 1]!.bytes.length) {
    out.push(readTlv(parent.contents, at));
  }
  return out;
}

interface ParsedCertificate {
  readonly tbs: Tlv[];
  readonly signatureAlgorithm: Tlv;
  readonly extensions: Map<string, { critical: boolean; value: Uint8Array }>;
}

/** OIDs by their encoding, for the extensions these tests look at. */
function oidKey(oid: string): string {
  return hex(encodeDerOid(oid));
}

function parseCertificate(certPem: string): ParsedCertificate {
  const der = new Uint8Array(new X509Certificate(certPem).raw);
  const [tbsTlv, signatureAlgorithm] = children(readTlv(der));
  const tbs = children(tbsTlv!);
  const extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  const explicit = tbs.find((t) => t.tag === 0xa3)!;
  for (const ext of children(children(explicit)[0]!)) {
    const parts = children(ext);
    const critical = parts.length === 3 && hex(parts[1]!.bytes) === "0101ff";
    extensions.set(hex(parts[0]!.bytes), { critical, value: parts[parts.length - 1]!.contents });
  }
  return { tbs, signatureAlgorithm: signatureAlgorithm!, extensions };
}

function make(init: Partial<SelfSignedCertificateInit> = {}, now = NOW) {
  return createSelfSignedCertificate(
    { commonName: "ap-1.test", dnsNames: ["sip.test"], ipAddresses: ["127.0.0.1", "::1"], ...init },
    { now },
  );
}

// --- DER writer

test("encodeDerLength() uses the short form to 0x7f and the shortest long form above", () => {
  assert.is(hex(encodeDerLength(0)), "00");
  assert.is(hex(encodeDerLength(0x7f)), "7f");
  assert.is(hex(encodeDerLength(0x80)), "8180");
  assert.is(hex(encodeDerLength(0xff)), "81ff");
  assert.is(hex(encodeDerLength(0x100)), "820100");
  assert.is(hex(encodeDerLength(0x10000)), "83010000");
  assert.is(hex(encodeDerLength(2 ** 40)), "86010000000000");
  const big = encodeDerOctetString(new Uint8Array(0x10000));
  assert.is(hex(big.subarray(0, 5)), "0483010000");
  assert.is(big.length, 5 + 0x10000);
  assert.throws(() => encodeDerLength(-1), (e: unknown) => e instanceof RangeError);
  assert.throws(() => encodeDerLength(1.5), (e: unknown) => e instanceof RangeError);
});

test("encodeDerInteger() writes minimal two's complement, a 0x00 before a set top bit", () => {
  assert.is(hex(encodeDerInteger(Uint8Array.of(0x80, 0x01))), "0203008001");
  assert.is(hex(encodeDerInteger(Uint8Array.of(0x7f, 0xff))), "02027fff");
  assert.is(hex(encodeDerInteger(Uint8Array.of(0, 0, 0x05))), "020105");
  assert.is(hex(encodeDerInteger(Uint8Array.of(0, 0, 0x90))), "02020090");
  assert.is(hex(encodeDerInteger(new Uint8Array(0))), "020100");
  assert.is(hex(encodeDerInteger(0)), "020100");
  assert.is(hex(encodeDerInteger(127)), "02017f");
  assert.is(hex(encodeDerInteger(128)), "02020080");
  assert.is(hex(encodeDerInteger(256)), "02020100");
  assert.is(hex(encodeDerInteger(-1)), "0201ff");
  assert.is(hex(encodeDerInteger(-128)), "020180");
  assert.is(hex(encodeDerInteger(-129)), "0202ff7f");
  assert.is(hex(encodeDerInteger(2n ** 64n)), "0209010000000000000000");
  assert.throws(() => encodeDerInteger(2 ** 60), (e: unknown) => e instanceof RangeError);
});

test("encodeDerOid() encodes ecdsa-with-SHA256 and large arcs in base 128", () => {
  assert.is(hex(encodeDerOid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.is(hex(encodeDerOid("2.5.29.17")), "0603551d11");
  // X.690 8.19.5's example: 2.999.3 makes the first subidentifier 1079.
  assert.is(hex(encodeDerOid("2.999.3")), "0603883703");
  // A UUID arc (2^128 - 1) is past any number type but bigint; expected bytes from OpenSSL.
  assert.is(
    hex(encodeDerOid("2.25.340282366920938463463374607431768211455")),
    "06146983ffffffffffffffffffffffffffffffffff7f",
  );
  assert.is(hex(encodeDerOid("1.3.6.1.4.1.311.21.20")), "06092b0601040182371514");
  for (const bad of ["1", "1.40", "3.1", "1.2.", "1.02", "a.b"]) {
    assert.throws(() => encodeDerOid(bad), (e: unknown) => e instanceof RangeError, bad);
  }
});

test("encodeDerTime() writes UTCTime through 2049 and GeneralizedTime from 2050", () => {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(2));
  const end2049 = encodeDerTime(new Date("2049-12-31T23:59:59.999Z"));
  assert.is(end2049[0], 0x17);
  assert.is(text(end2049), "491231235959Z");
  const start2050 = encodeDerTime(new Date("2050-01-01T00:00:00Z"));
  assert.is(start2050[0], 0x18);
  assert.is(text(start2050), "20500101000000Z");
  assert.is(text(encodeDerTime(new Date("1950-01-01T00:00:00Z"))), "500101000000Z");
  assert.is(encodeDerTime(new Date("1949-12-31T23:59:59Z"))[0], 0x18);
  assert.throws(
    () => encodeDerUtcTime(new Date("2050-01-01T00:00:00Z")),
    (e: unknown) => e instanceof RangeError,
  );
  assert.is(text(encodeDerGeneralizedTime(new Date("2030-02-03T04:05:06Z"))), "20300203040506Z");
});

test("encodeDerSet() sorts its elements; other writers give the DER forms", () => {
  const one = encodeDerInteger(1);
  const two = encodeDerInteger(2);
  assert.is(hex(encodeDerSet(two, one)), "3106020101020102");
  assert.is(hex(encodeDerBoolean(true)), "0101ff");
  assert.is(hex(encodeDerBoolean(false)), "010100");
  assert.is(hex(encodeDerBitString(Uint8Array.of(0x80), 7)), "03020780");
  assert.throws(
    () => encodeDerBitString(Uint8Array.of(0x81), 7),
    (e: unknown) => e instanceof RangeError,
  );
  assert.is(hex(encodeDerUtf8String("é")), "0c02c3a9");
  assert.is(hex(encodeDerPrintableString("AP 1")), "130441502031");
  assert.throws(() => encodeDerPrintableString("a@b"), (e: unknown) => e instanceof RangeError);
  assert.is(hex(encodeDerContext(0, two, { constructed: true })), "a003020102");
  assert.is(
    hex(encodeDerContext(7, Uint8Array.of(127, 0, 0, 1), { constructed: false })),
    "87047f000001",
  );
  assert.throws(
    () => encodeDerContext(31, one, { constructed: false }),
    (e: unknown) => e instanceof RangeError,
  );
});

// --- The certificate

test("createSelfSignedCertificate() makes a certificate X509Certificate parses and verifies", () => {
  const { certPem, keyPem } = make();
  const cert = new X509Certificate(certPem);
  assert.ok(cert.verify(cert.publicKey));
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
  assert.is(cert.subject, "CN=ap-1.test");
  assert.is(cert.issuer, "CN=ap-1.test");
  assert.is(cert.ca, false);
  assert.is(cert.publicKey.asymmetricKeyType, "ec");
  assert.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.match(cert.subjectAltName ?? "", /^DNS:sip\.test, IP Address:127\.0\.0\.1, IP Address:/);
  assert.is(cert.checkHost("sip.test"), "sip.test");
  assert.is(cert.checkHost("other.test"), undefined);
  assert.is(cert.checkIP("127.0.0.1"), "127.0.0.1");
  assert.is(cert.checkIP("::1"), "::1");
  assert.is(cert.checkIP("127.0.0.2"), undefined);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test("createSelfSignedCertificate() starts validity an hour before now and lasts validDays", () => {
  const cert = new X509Certificate(make({ validDays: 30 }).certPem);
  assert.is(new Date(cert.validFrom).toISOString(), "2030-01-15T11:00:00.000Z");
  assert.is(new Date(cert.validTo).toISOString(), "2030-02-14T12:00:00.000Z");
  const defaulted = new X509Certificate(make({}).certPem);
  assert.is(
    new Date(defaulted.validTo).getTime() - Math.floor(NOW / 1000) * 1000,
    825 * 86_400_000,
  );
});

test("createSelfSignedCertificate() writes a notAfter from 2050 as GeneralizedTime", () => {
  const { certPem } = make({ validDays: 400 }, Date.UTC(2049, 5, 1));
  const validity = children(parseCertificate(certPem).tbs[4]!);
  assert.is(validity[0]!.tag, 0x17);
  assert.is(validity[1]!.tag, 0x18);
  assert.is(new TextDecoder().decode(validity[1]!.contents), "20500706000000Z");
  assert.is(
    new Date(new X509Certificate(certPem).validTo).toISOString(),
    "2050-07-06T00:00:00.000Z",
  );
});

test("createSelfSignedCertificate() serial numbers are positive, at most 20 octets, random", () => {
  const ones = createSelfSignedCertificate({ commonName: "a" }, {
    now: NOW,
    randomBytes: (n) => new Uint8Array(n).fill(0xff),
  });
  assert.is(new X509Certificate(ones.certPem).serialNumber, "7F" + "FF".repeat(15));
  const zeros = createSelfSignedCertificate({ commonName: "a" }, {
    now: NOW,
    randomBytes: (n) => new Uint8Array(n),
  });
  assert.is(hex(parseCertificate(zeros.certPem).tbs[1]!.contents), "01");
  const serials = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const serial = parseCertificate(make().certPem).tbs[1]!;
    assert.is(serial.tag, 0x02);
    assert.ok(serial.contents.length >= 1 && serial.contents.length <= 20);
    assert.is(serial.contents[0]! & 0x80, 0, "serial is positive");
    serials.add(hex(serial.contents));
  }
  assert.is(serials.size, 4);
});

test("createSelfSignedCertificate() writes the v3 fields and extensions RFC 5280 asks for", () => {
  const { certPem } = make();
  const parsed = parseCertificate(certPem);
  assert.is(hex(parsed.tbs[0]!.bytes), "a003020102", "version v3");
  // RFC 5758 3.2: ecdsa-with-SHA256 with the parameters absent, in both places.
  const algorithm = "300a" + hex(encodeDerOid(CertificateOid.EcdsaWithSha256));
  assert.is(hex(parsed.tbs[2]!.bytes), algorithm);
  assert.is(hex(parsed.signatureAlgorithm.bytes), algorithm);

  const ext = (oid: string) => parsed.extensions.get(oidKey(oid));
  assert.equal(ext(CertificateOid.BasicConstraints), {
    critical: true,
    value: Uint8Array.of(0x30, 0),
  });
  assert.equal(ext(CertificateOid.KeyUsage), {
    critical: true,
    value: Uint8Array.of(0x03, 0x02, 0x07, 0x80),
  });
  const eku = ext(CertificateOid.ExtKeyUsage)!;
  assert.is(eku.critical, false);
  assert.is(
    hex(eku.value),
    "3014" + hex(encodeDerOid(CertificateOid.ServerAuth)) +
      hex(encodeDerOid(CertificateOid.ClientAuth)),
  );
  const san = ext(CertificateOid.SubjectAltName)!;
  assert.is(san.critical, false);
  assert.is(
    hex(san.value),
    "3022" + "8208" + hex(new TextEncoder().encode("sip.test")) + "87047f000001" + "8710" +
      "00".repeat(15) + "01",
  );
  // RFC 5280 4.2.1.2 method (1): SHA-1 over the subjectPublicKey BIT STRING's value.
  const spki = children(parsed.tbs[6]!);
  const point = spki[1]!.contents.subarray(1);
  assert.is(point.length, 65);
  assert.equal(ext(CertificateOid.SubjectKeyIdentifier), {
    critical: false,
    value: encodeDerOctetString(new Uint8Array(createHash("sha1").update(point).digest())),
  });
  assert.is(parsed.extensions.size, 5);
});

test("createSelfSignedCertificate() encodes IPv6 forms as 16 bytes and leaves out an empty SAN", () => {
  const { certPem } = make({
    dnsNames: ["*.mesh.test"],
    ipAddresses: ["fe80::1:2", "::ffff:10.0.0.1"],
  });
  const cert = new X509Certificate(certPem);
  assert.is(cert.checkIP("fe80:0:0:0:0:0:1:2"), "fe80:0:0:0:0:0:1:2");
  assert.is(cert.checkIP("::ffff:a00:1"), "::ffff:a00:1");
  // Deno's checkHost() matches no wildcards (Node's does), so look at the SAN text.
  assert.match(cert.subjectAltName ?? "", /^DNS:\*\.mesh\.test, /);
  const san = parseCertificate(certPem).extensions.get(oidKey(CertificateOid.SubjectAltName))!;
  assert.ok(hex(san.value).includes("8710fe800000000000000000000000010002"));
  assert.ok(hex(san.value).includes("871000000000000000000000ffff0a000001"));

  const bare = createSelfSignedCertificate({ commonName: "bare" }, { now: NOW });
  const parsed = parseCertificate(bare.certPem);
  assert.is(parsed.extensions.has(oidKey(CertificateOid.SubjectAltName)), false);
  assert.is(new X509Certificate(bare.certPem).subjectAltName, undefined);
});

test("createSelfSignedCertificate() refuses names, addresses and options it cannot encode", () => {
  const refuses = (init: Partial<SelfSignedCertificateInit>, now = NOW) =>
    assert.throws(
      () => make(init, now),
      (e: unknown) => e instanceof RangeError,
      JSON.stringify(init),
    );
  refuses({ commonName: "" });
  refuses({ commonName: "x".repeat(65) });
  refuses({ dnsNames: ["two words.test"] });
  refuses({ dnsNames: ["-lead.test"] });
  refuses({ dnsNames: ["a..test"] });
  refuses({ dnsNames: ["café.test"] });
  refuses({ ipAddresses: ["1.2.3"] });
  refuses({ ipAddresses: ["1.2.3.256"] });
  refuses({ ipAddresses: ["01.2.3.4"] });
  refuses({ ipAddresses: ["::1%eth0"] });
  refuses({ ipAddresses: ["1:2:3:4:5:6:7:8:9"] });
  refuses({ ipAddresses: ["1:2:3:4:5:6:7::8"] });
  refuses({ ipAddresses: ["1::2::3"] });
  refuses({ ipAddresses: ["1.2.3.4::"] });
  refuses({ validDays: 0 });
  refuses({ validDays: 1.5 });
  refuses({ keyAlgorithm: "ed25519" as "ec-p256" });
  refuses({}, Number.NaN);
  assert.ok(make({ commonName: "x".repeat(64) }).certPem);
});

// --- A real handshake: node:tls server with the generated pair, client trusting only it

async function handshake(
  server: { certPem: string; keyPem: string },
  client: tls.ConnectionOptions,
): Promise<string> {
  const listener = tls.createServer({ cert: server.certPem, key: server.keyPem }, (socket) => {
    socket.end("hello");
  });
  listener.on("tlsClientError", () => {}); // the client's refusal, expected in the failing cases
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ...client }, () => {
        let text = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (text += chunk));
        socket.on("end", () => resolve(`${text} authorized=${socket.authorized}`));
      });
      socket.on("error", reject);
    });
  } finally {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}

test("createSelfSignedCertificate() pair serves TLS to a client that trusts it, by IP and by name", async () => {
  const pair = make({}, Date.now()); // peers check validity against the real clock
  assert.is(await handshake(pair, { ca: pair.certPem }), "hello authorized=true");
  const checked: string[] = [];
  assert.is(
    await handshake(pair, {
      ca: pair.certPem,
      servername: "sip.test",
      checkServerIdentity: (host, cert) => {
        checked.push(`${host} ${cert.subjectaltname}`);
        return tls.checkServerIdentity(host, cert);
      },
    }),
    "hello authorized=true",
  );
  assert.match(checked[0] ?? "", /^sip\.test DNS:sip\.test, /);
});

test("createSelfSignedCertificate() pair is refused for a name or an address not in the SAN", async () => {
  const pair = make({}, Date.now());
  const other = make({ ipAddresses: [] }, Date.now());
  const refused = async (server: typeof pair, client: tls.ConnectionOptions, pattern: RegExp) => {
    try {
      await handshake(server, client);
      assert.unreachable("handshake succeeded");
    } catch (error) {
      assert.match((error as Error).message, pattern);
    }
  };
  await refused(pair, { ca: pair.certPem, servername: "nope.test" }, /altnames/);
  await refused(other, { ca: other.certPem }, /IP: 127\.0\.0\.1 is not in the cert's list/);
  // Same subject, another key: the signature, not the name, decides.
  await refused(pair, { ca: other.certPem }, /unable to verify|self[- ]signed|signature/);
});

test.run();
