import { test } from "uvu";
import * as assert from "uvu/assert";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { SuperpeerError } from "../../src/core/errors.ts";
import { LogSink } from "../../src/daemon/log_sink.ts";
import {
  loadOrCreateTlsIdentity,
  TlsIdentityError,
  type TlsIdentityInit,
} from "../../src/daemon/tls_identity_file.ts";
import { createSelfSignedCertificate } from "../../src/identity/self_signed_certificate.ts";

const DAY_MS = 86_400_000;
const START = Date.UTC(2030, 0, 15, 12);

function logs() {
  const lines: string[] = [];
  const sink = new LogSink({
    level: "debug",
    format: "logfmt",
    repeatWindowMs: 0,
    write: (l) => lines.push(l),
    clock: new ManualClock(),
  });
  return { logger: sink.logger("superpeer:sip:tls"), lines };
}

async function setup(init: Partial<TlsIdentityInit> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "superpeer-tls-"));
  const clock = new ManualClock(START);
  const { logger, lines } = logs();
  const options: TlsIdentityInit = {
    commonName: "ap-1.test",
    dnsNames: ["sip.test"],
    ipAddresses: ["127.0.0.1", "::1"],
    logger,
    clock,
    ...init,
  };
  return {
    dataDir,
    clock,
    lines,
    options,
    load: (more: Partial<TlsIdentityInit> = {}) =>
      loadOrCreateTlsIdentity(dataDir, { ...options, ...more }),
  };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function rejects(promise: Promise<unknown>): Promise<TlsIdentityError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, TlsIdentityError);
    assert.instance(error, SuperpeerError);
    assert.is((error as TlsIdentityError).code, "KEY_FILE");
    return error as TlsIdentityError;
  }
  assert.unreachable("expected a TlsIdentityError");
  throw new Error("unreachable");
}

/** A CA-issued P-256 leaf for sip.test (OpenSSL, valid 2026-12-03 to 2126-11-09) and its key. */
const CA_ISSUED_CERT = `-----BEGIN CERTIFICATE-----
MIIBkTCCATagAwIBAgIUX80jA9xsj8iFlvumkjr95LpL9AUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJVGVzdCBSb290MCAXDTI2MTIwMzE0Mzk0OFoYDzIxMjYxMTA5
MTQzOTQ4WjATMREwDwYDVQQDDAhzaXAudGVzdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABBPZtauNRdn31l3yqMKSJO7sWHYv1aOllVDJ3YhzRuWDV92mtrPC+1z/
MyHVKw/6oRaIM0WDBW8YhuzyCsgroPGjZTBjMBMGA1UdEQQMMAqCCHNpcC50ZXN0
MAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYEFAgBCkgK8XXXqyfkWJfwVOoX5pP8MB8G
A1UdIwQYMBaAFNWVn6M93893f0BaeSvwJNVgAO90MAoGCCqGSM49BAMCA0kAMEYC
IQDev7bL/H7kZpt6BA63OfHaof31pEaIJVueurux7n0pHAIhAJUavT35cl0QVNTq
XXsTWR5bY7sEDXxpHuqVJlTuUTkv
-----END CERTIFICATE-----
`;
const CA_ISSUED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtOJa2yNViYhtJIU5
//jp1K3QYZBqj+gSPWoZrAWPMdahRANCAAQT2bWrjUXZ99Zd8qjCkiTu7Fh2L9Wj
pZVQyd2Ic0blg1fdprazwvtc/zMh1SsP+qEWiDNFgwVvGIbs8grIK6Dx
-----END PRIVATE KEY-----
`;

test("loadOrCreateTlsIdentity() creates a self-signed pair on first start: key 0600, folder 0700", async () => {
  const { dataDir, lines, load } = await setup();
  await mkdir(join(dataDir, "tls"), { mode: 0o755 }); // left by an older version, say
  await chmod(join(dataDir, "tls"), 0o755);
  const identity = await load();
  const certFile = join(dataDir, "tls", "sip-cert.pem");
  const keyFile = join(dataDir, "tls", "sip-key.pem");
  assert.is(identity.generated, true);
  assert.is(identity.source, "data-dir");
  assert.is(identity.certFile, certFile);
  assert.is(identity.keyFile, keyFile);
  assert.is(await readFile(certFile, "utf8"), identity.cert);
  assert.is(await readFile(keyFile, "utf8"), identity.key);
  assert.is(await mode(join(dataDir, "tls")), 0o700);
  assert.is(await mode(keyFile), 0o600);
  assert.is(await mode(certFile), 0o644);
  const cert = new X509Certificate(identity.cert);
  assert.ok(cert.checkPrivateKey(createPrivateKey(identity.key)));
  assert.is(identity.fingerprintSha256, cert.fingerprint256);
  assert.match(identity.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.is(identity.notAfter.getTime(), START + 825 * DAY_MS);
  assert.is(cert.checkIP("127.0.0.1"), "127.0.0.1");
  assert.is(cert.checkHost("sip.test"), "sip.test");
  const created = lines.filter((l) => l.includes("Created a self-signed TLS certificate"));
  assert.is(created.length, 1);
  assert.ok(created[0]!.includes(identity.fingerprintSha256), created[0]);
  assert.is((await readFile(certFile, "utf8")).includes(".tmp-"), false);
});

test("loadOrCreateTlsIdentity() reuses the pair on the next start without logging it again", async () => {
  const { lines, load } = await setup();
  const first = await load();
  lines.length = 0;
  const second = await load();
  assert.is(second.generated, false);
  assert.is(second.source, "data-dir");
  assert.is(second.fingerprintSha256, first.fingerprintSha256);
  assert.is(second.key, first.key);
  assert.is(lines.filter((l) => /level=(info|warn)/.test(l)).length, 0, lines.join("\n"));
});

test("loadOrCreateTlsIdentity() replaces a pair that expires within 30 days, or has expired", async () => {
  const { clock, lines, load } = await setup({ validDays: 100 });
  const first = await load();
  clock.advance(69 * DAY_MS); // 31 days left: kept
  assert.is((await load()).fingerprintSha256, first.fingerprintSha256);
  clock.advance(2 * DAY_MS); // 29 days left: replaced
  const second = await load();
  assert.is(second.generated, true);
  assert.is.not(second.fingerprintSha256, first.fingerprintSha256);
  assert.is(second.notAfter.getTime(), clock.now() + 100 * DAY_MS);
  const replaced = lines.find((l) => l.includes("Replaced the self-signed TLS certificate"));
  assert.match(replaced ?? "", /level=warn .*within 30 days/);
  assert.ok(replaced!.includes(second.fingerprintSha256));
  clock.advance(200 * DAY_MS); // long expired
  const third = await load();
  assert.is(third.generated, true);
  assert.match(lines[lines.length - 1]!, /reason="it expired /);
});

test("loadOrCreateTlsIdentity() refuses a validity that would renew at every start", async () => {
  const { load } = await setup();
  try {
    await load({ validDays: 30 });
    assert.unreachable("accepted 30 days");
  } catch (error) {
    assert.instance(error, RangeError);
  }
  assert.is((await load({ validDays: 31 })).generated, true);
});

test("loadOrCreateTlsIdentity() replaces a pair made while the clock was wrong", async () => {
  const { clock, lines, load } = await setup();
  // An access point without a battery-backed clock starts in 1970 until NTP answers.
  const first = await load({ clock: new ManualClock(Date.UTC(1970, 0, 2)) });
  assert.is(first.notAfter.getUTCFullYear(), 1972);
  const second = await load({ clock });
  assert.is(second.generated, true);
  assert.is(second.notAfter.getTime(), START + 825 * DAY_MS);
  // A clock that ran ahead made a certificate that is not valid yet.
  assert.is((await load({ clock: new ManualClock(START + 1000 * DAY_MS) })).generated, true);
  const third = await load({ clock });
  assert.is(third.generated, true);
  assert.match(lines[lines.length - 1]!, /reason="it is not valid until /);
});

test("loadOrCreateTlsIdentity() replaces a pair whose names no longer match the configuration", async () => {
  const { lines, load } = await setup();
  const first = await load();
  const moreIps = await load({ ipAddresses: ["127.0.0.1", "::1", "10.0.0.1"] });
  assert.is(moreIps.generated, true);
  assert.is.not(moreIps.fingerprintSha256, first.fingerprintSha256);
  assert.match(lines[lines.length - 1]!, /names changed to sip\.test,127\.0\.0\.1,::1,10\.0\.0\.1/);
  assert.is((await load({ ipAddresses: ["127.0.0.1", "::1", "10.0.0.1"] })).generated, false);
  // The same names in another order or case are the same certificate.
  assert.is(
    (await load({ dnsNames: ["SIP.test"], ipAddresses: ["10.0.0.1", "::1", "127.0.0.1"] }))
      .generated,
    false,
  );
  assert.is(
    (await load({ dnsNames: [], ipAddresses: ["10.0.0.1", "::1", "127.0.0.1"] })).generated,
    true,
  );
});

test("loadOrCreateTlsIdentity() replaces a generated pair whose key does not match or is half missing", async () => {
  const { dataDir, lines, load } = await setup();
  await load();
  const keyFile = join(dataDir, "tls", "sip-key.pem");
  const other = createSelfSignedCertificate({ commonName: "x" }, { now: START });
  await writeFile(keyFile, other.keyPem);
  const replaced = await load();
  assert.is(replaced.generated, true);
  assert.match(lines[lines.length - 1]!, /key does not match the certificate/);
  assert.ok(new X509Certificate(replaced.cert).checkPrivateKey(createPrivateKey(replaced.key)));
  assert.is(await mode(keyFile), 0o600);

  await writeFile(join(dataDir, "tls", "sip-cert.pem"), "garbage");
  assert.is((await load()).generated, true);
  assert.match(lines[lines.length - 1]!, /not a PEM certificate/);
});

test("loadOrCreateTlsIdentity() uses configured files and never writes them, even when expiring", async () => {
  const { dataDir, clock, lines, load } = await setup();
  const pair = createSelfSignedCertificate(
    { commonName: "operator", dnsNames: ["sip.test"] },
    { now: START - 810 * DAY_MS }, // 825 days: 15 left
  );
  const certFile = join(dataDir, "operator-cert.pem");
  const keyFile = join(dataDir, "operator-key.pem");
  await writeFile(certFile, pair.certPem, { mode: 0o644 });
  await writeFile(keyFile, pair.keyPem, { mode: 0o600 });
  const before = [(await stat(certFile)).mtimeMs, (await stat(keyFile)).mtimeMs];
  const identity = await load({ certFile, keyFile });
  assert.is(identity.source, "configured");
  assert.is(identity.generated, false);
  assert.is(identity.cert, pair.certPem);
  assert.is(identity.key, pair.keyPem);
  assert.is(identity.fingerprintSha256, new X509Certificate(pair.certPem).fingerprint256);
  assert.match(
    lines.join("\n"),
    /level=warn logger=superpeer:sip:tls msg="TLS certificate expires within 30 days/,
  );
  clock.advance(20 * DAY_MS);
  assert.is((await load({ certFile, keyFile })).cert, pair.certPem);
  assert.match(
    lines[lines.length - 1]!,
    /level=error logger=superpeer:sip:tls msg="TLS certificate has expired/,
  );
  assert.is(await readFile(certFile, "utf8"), pair.certPem);
  assert.is(await readFile(keyFile, "utf8"), pair.keyPem);
  assert.equal([(await stat(certFile)).mtimeMs, (await stat(keyFile)).mtimeMs], before);
  await stat(join(dataDir, "tls")).then(
    () => assert.unreachable("made a tls folder"),
    (error: NodeJS.ErrnoException) => assert.is(error.code, "ENOENT"),
  );
});

test("loadOrCreateTlsIdentity() refuses a configured key that does not match the certificate", async () => {
  const { dataDir, load } = await setup();
  const a = createSelfSignedCertificate({ commonName: "a" }, { now: START });
  const b = createSelfSignedCertificate({ commonName: "b" }, { now: START });
  const certFile = join(dataDir, "a-cert.pem");
  const keyFile = join(dataDir, "b-key.pem");
  await writeFile(certFile, a.certPem);
  await writeFile(keyFile, b.keyPem);
  const error = await rejects(load({ certFile, keyFile }));
  assert.is(error.path, keyFile);
  assert.is(
    error.message,
    `Cannot use TLS key: ${keyFile} is not the private key of the certificate in ${certFile}`,
  );
  assert.is(await readFile(keyFile, "utf8"), b.keyPem);
});

test("loadOrCreateTlsIdentity() names the configured file that is missing, not PEM or encrypted", async () => {
  const { dataDir, load } = await setup();
  const pair = createSelfSignedCertificate({ commonName: "a" }, { now: START });
  const certFile = join(dataDir, "cert.pem");
  const keyFile = join(dataDir, "key.pem");
  await writeFile(certFile, pair.certPem);
  await writeFile(keyFile, pair.keyPem);

  const missing = join(dataDir, "nope.pem");
  let error = await rejects(load({ certFile: missing, keyFile }));
  assert.is(error.path, missing);
  assert.match(error.message, /^Cannot read TLS certificate: .*nope\.pem: /);

  const der = join(dataDir, "cert.der");
  await writeFile(der, new X509Certificate(pair.certPem).raw);
  error = await rejects(load({ certFile: der, keyFile }));
  assert.is(error.path, der);
  assert.match(error.message, /cert\.der: not a PEM certificate/);

  const notKey = join(dataDir, "not-key.pem");
  await writeFile(notKey, pair.certPem);
  error = await rejects(load({ certFile, keyFile: notKey }));
  assert.is(error.path, notKey);
  assert.match(error.message, /not-key\.pem: not a PEM private key/);

  const encrypted = join(dataDir, "encrypted.pem");
  await writeFile(
    encrypted,
    createPrivateKey(pair.keyPem).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "secret",
    }),
  );
  error = await rejects(load({ certFile, keyFile: encrypted }));
  assert.match(error.message, /encrypted\.pem: the key is encrypted/);

  error = await rejects(load({ certFile }));
  assert.is(error.path, certFile);
  assert.match(error.message, /^Cannot use a TLS certificate without its key: /);
  error = await rejects(load({ keyFile, certFile: "" }));
  assert.match(error.message, /^Cannot use a TLS key without its certificate: /);
});

test("loadOrCreateTlsIdentity() refuses, without replacing, a generated pair it cannot read", async () => {
  const { dataDir, load } = await setup();
  await load();
  const keyFile = join(dataDir, "tls", "sip-key.pem");
  const keyPem = await readFile(keyFile, "utf8");
  // A folder where the key should be: an error other than ENOENT, even for root.
  await rm(keyFile);
  await mkdir(keyFile);
  const error = await rejects(load());
  assert.is(error.path, keyFile);
  assert.match(error.message, /^Cannot read TLS key: .*sip-key\.pem: not a regular file/);
  assert.ok((await stat(keyFile)).isDirectory());
  await rm(keyFile, { recursive: true });
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  assert.is((await load()).generated, false);
});

test("loadOrCreateTlsIdentity() keeps a CA-issued pair placed in the data directory, even expiring", async () => {
  const { dataDir, lines, load } = await setup({ dnsNames: ["other.test"] });
  await mkdir(join(dataDir, "tls"), { mode: 0o700 });
  await writeFile(join(dataDir, "tls", "sip-cert.pem"), CA_ISSUED_CERT);
  await writeFile(join(dataDir, "tls", "sip-key.pem"), CA_ISSUED_KEY, { mode: 0o600 });
  const clock = new ManualClock(Date.UTC(2126, 9, 30)); // ten days before its notAfter
  const identity = await load({ clock });
  assert.is(identity.generated, false);
  assert.is(identity.cert, CA_ISSUED_CERT);
  assert.match(
    lines.join("\n"),
    /level=warn logger=superpeer:sip:tls msg="TLS certificate expires within 30 days/,
  );
  assert.is(await readFile(join(dataDir, "tls", "sip-cert.pem"), "utf8"), CA_ISSUED_CERT);
});

test("loadOrCreateTlsIdentity() warns about a key file others may read", async () => {
  const { dataDir, lines, load } = await setup();
  await load();
  await chmod(join(dataDir, "tls", "sip-key.pem"), 0o640);
  await load();
  assert.match(lines[lines.length - 2] ?? "", /level=warn .*readable by other users/);
});

test.run();
