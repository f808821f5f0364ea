// The SIP TLS transport's certificate and key: the operator's files when configured, else a
// self-signed pair made once in <dataDir>/tls/ and reused until it nears its end.
import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, systemClock } from "../core/clock.ts";
import { SuperpeerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import {
  createSelfSignedCertificate,
  DEFAULT_CERTIFICATE_VALID_DAYS,
} from "../identity/self_signed_certificate.ts";

/** The folder under the data directory that holds the generated pair. */
export const TLS_DIR_NAME = "tls";
/** The generated certificate's file name in {@link TLS_DIR_NAME}. */
export const GENERATED_CERT_FILE_NAME = "sip-cert.pem";
/** The generated key's file name in {@link TLS_DIR_NAME}. */
export const GENERATED_KEY_FILE_NAME = "sip-key.pem";
/** The TLS folder: owner only. */
export const TLS_DIR_MODE = 0o700;
/** The private key: owner read/write only. */
export const TLS_KEY_FILE_MODE = 0o600;
/** Certificates are public. */
export const TLS_CERT_FILE_MODE = 0o644;
/** A generated certificate this close to its notAfter is replaced at start. */
export const TLS_RENEW_BEFORE_SECONDS = 30 * 86_400;
/** A PEM file longer than this is a wrong path, not a certificate chain or a key. */
export const MAX_TLS_PEM_FILE_BYTES = 256 * 1024;

/** A TLS certificate or key file that cannot be used; `path` names the file to fix. */
export class TlsIdentityError extends SuperpeerError {
  /** The file at fault. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super("KEY_FILE", message, options);
    this.path = path;
  }
}

/** Where the certificate comes from and what a generated one must name. */
export interface TlsIdentityInit {
  /** The operator's certificate (PEM, leaf first, chain after); empty or absent: generate one. */
  readonly certFile?: string;
  /** The operator's unencrypted private key (PEM) for `certFile`. */
  readonly keyFile?: string;
  /** A generated certificate's commonName. */
  readonly commonName: string;
  /** A generated certificate's DNS names; a change replaces the generated pair. */
  readonly dnsNames: readonly string[];
  /** A generated certificate's IP addresses; a change replaces the generated pair. */
  readonly ipAddresses: readonly string[];
  readonly logger: Logger;
  /** @default systemClock */
  readonly clock?: Pick<Clock, "now">;
  /** A generated certificate's lifetime, more than 30 days. @default DEFAULT_CERTIFICATE_VALID_DAYS */
  readonly validDays?: number;
}

/** The certificate and key to hand to node:tls, and what to tell the operator about them. */
export interface TlsIdentity {
  /** PEM certificate (with any chain the configured file holds). */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** True when this call made a new self-signed pair (first start or replacement). */
  readonly generated: boolean;
  /** "configured": the operator's files; "data-dir": the self-signed pair in <dataDir>/tls. */
  readonly source: "configured" | "data-dir";
  /** The leaf certificate's SHA-256 fingerprint, `AB:CD:…`, as phones and `openssl x509` show it. */
  readonly fingerprintSha256: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The leaf certificate's notAfter. */
  readonly notAfter: Date;
}

/**
 * Finds the SIP TLS certificate and key. With `certFile` and `keyFile` both set it reads them,
 * checks that the key belongs to the certificate and never writes them (an expired or expiring
 * certificate is only warned about). Otherwise it reuses `<dataDir>/tls/sip-cert.pem` and
 * `sip-key.pem`, or makes a self-signed ECDSA P-256 pair there (folder 0700, key 0600, written
 * atomically) when they are missing, broken, do not match, expire within 30 days, or name other
 * DNS names or addresses; a new pair's SHA-256 fingerprint is logged once, for phones to trust.
 *
 * @example
 * ```ts
 * const tlsIdentity = await loadOrCreateTlsIdentity(config.dataDir, {
 *   commonName: "ap-1.mesh.example", dnsNames: ["ap-1.mesh.example"], ipAddresses: ["10.0.0.1"],
 *   logger: loggers("superpeer:sip:tls"),
 * });
 * tls.createServer({ cert: tlsIdentity.cert, key: tlsIdentity.key });
 * ```
 */
export async function loadOrCreateTlsIdentity(
  dataDir: string,
  init: TlsIdentityInit,
): Promise<TlsIdentity> {
  const log = init.logger;
  const now = (init.clock ?? systemClock).now();
  const validDays = init.validDays ?? DEFAULT_CERTIFICATE_VALID_DAYS;
  if (validDays * 86_400 <= TLS_RENEW_BEFORE_SECONDS) {
    throw new RangeError(
      `Cannot generate TLS certificates valid ${validDays} days: they would be replaced at every start`,
    );
  }
  const certFile = init.certFile || undefined;
  const keyFile = init.keyFile || undefined;
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined || keyFile === undefined) {
      const given = (certFile ?? keyFile)!;
      throw new TlsIdentityError(
        given,
        `Cannot use a TLS ${
          certFile ? "certificate without its key" : "key without its certificate"
        }: ${given} is configured, the other file is not`,
      );
    }
    return await loadConfigured(certFile, keyFile, now, log);
  }

  const dir = join(dataDir, TLS_DIR_NAME);
  const certPath = join(dir, GENERATED_CERT_FILE_NAME);
  const keyPath = join(dir, GENERATED_KEY_FILE_NAME);
  const found = await readGenerated(certPath, keyPath, init, now, log);
  if (found.identity !== undefined) return found.identity;

  const { certPem, keyPem } = createSelfSignedCertificate(
    {
      commonName: init.commonName,
      dnsNames: init.dnsNames,
      ipAddresses: init.ipAddresses,
      validDays,
    },
    { now },
  );
  await mkdirOwnerOnly(dir);
  // Key first: a crash between the two renames leaves a mismatched pair, replaced next start.
  await writeAtomically(keyPath, keyPem, TLS_KEY_FILE_MODE, "TLS key");
  await writeAtomically(certPath, certPem, TLS_CERT_FILE_MODE, "TLS certificate");
  const cert = new X509Certificate(certPem);
  const notAfter = new Date(cert.validTo);
  const fields = {
    path: certPath,
    fingerprintSha256: cert.fingerprint256,
    notAfter: notAfter.toISOString(),
    names: describeNames(init),
  };
  if (found.replacing === undefined) {
    log.info("Created a self-signed TLS certificate: phones must trust this fingerprint", fields);
  } else {
    log.warn(
      "Replaced the self-signed TLS certificate: phones that trusted the old one must trust this fingerprint",
      { ...fields, reason: found.replacing },
    );
  }
  return {
    cert: certPem,
    key: keyPem,
    generated: true,
    source: "data-dir",
    fingerprintSha256: cert.fingerprint256,
    certFile: certPath,
    keyFile: keyPath,
    notAfter,
  };
}

async function loadConfigured(
  certFile: string,
  keyFile: string,
  now: number,
  log: Logger,
): Promise<TlsIdentity> {
  const certText = await readPemFile(certFile, "TLS certificate");
  const keyText = await readPemFile(keyFile, "TLS key");
  const cert = parseCertificate(certText);
  if (cert === undefined) {
    throw new TlsIdentityError(
      certFile,
      `Cannot use TLS certificate: ${certFile}: not a PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  const key = parsePrivateKey(keyText);
  if (key === "encrypted") {
    throw new TlsIdentityError(
      keyFile,
      `Cannot use TLS key: ${keyFile}: the key is encrypted; give an unencrypted key (mode 0600)`,
    );
  }
  if (key === undefined) {
    throw new TlsIdentityError(
      keyFile,
      `Cannot use TLS key: ${keyFile}: not a PEM private key (-----BEGIN PRIVATE KEY-----)`,
    );
  }
  if (!keyMatches(cert, key)) {
    throw new TlsIdentityError(
      keyFile,
      `Cannot use TLS key: ${keyFile} is not the private key of the certificate in ${certFile}`,
    );
  }
  const notAfter = new Date(cert.validTo);
  const fields = { path: certFile, notAfter: notAfter.toISOString() };
  if (now >= notAfter.getTime()) {
    log.error("TLS certificate has expired: renew it, clients will refuse it", fields);
  } else if (notAfter.getTime() - now < TLS_RENEW_BEFORE_SECONDS * 1000) {
    log.warn("TLS certificate expires within 30 days: renew it", fields);
  } else if (now < new Date(cert.validFrom).getTime()) {
    log.warn("TLS certificate is not valid yet: check the clock", {
      ...fields,
      notBefore: new Date(cert.validFrom).toISOString(),
    });
  }
  await warnIfExposed(keyFile, log);
  return {
    cert: certText,
    key: keyText,
    generated: false,
    source: "configured",
    fingerprintSha256: cert.fingerprint256,
    certFile,
    keyFile,
    notAfter,
  };
}

/** The pair found in the data directory, or why a new one is needed (`undefined`: none yet). */
type GeneratedState =
  | { readonly identity: TlsIdentity; readonly replacing?: undefined }
  | { readonly identity?: undefined; readonly replacing: string | undefined };

async function readGenerated(
  certPath: string,
  keyPath: string,
  init: TlsIdentityInit,
  now: number,
  log: Logger,
): Promise<GeneratedState> {
  const certText = await readPemFile(certPath, "TLS certificate", { missingOk: true });
  const keyText = await readPemFile(keyPath, "TLS key", { missingOk: true });
  if (certText === undefined && keyText === undefined) return { replacing: undefined };
  if (certText === undefined || keyText === undefined) {
    return { replacing: `only the ${certText === undefined ? "key" : "certificate"} was found` };
  }
  const cert = parseCertificate(certText);
  if (cert === undefined) return { replacing: "the certificate file is not a PEM certificate" };
  const key = parsePrivateKey(keyText);
  if (key === undefined || key === "encrypted") {
    return { replacing: "the key file is not an unencrypted PEM private key" };
  }
  if (!keyMatches(cert, key)) return { replacing: "the key does not match the certificate" };
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  const selfSigned = cert.issuer === cert.subject && cert.verify(cert.publicKey);
  const identity: TlsIdentity = {
    cert: certText,
    key: keyText,
    generated: false,
    source: "data-dir",
    fingerprintSha256: cert.fingerprint256,
    certFile: certPath,
    keyFile: keyPath,
    notAfter,
  };
  if (!selfSigned) {
    // Someone put a CA-issued pair here by hand: use it, and never overwrite it.
    log.info("Using a TLS certificate placed in the data directory", {
      path: certPath,
      fingerprintSha256: cert.fingerprint256,
      notAfter: notAfter.toISOString(),
    });
    if (notAfter.getTime() - now < TLS_RENEW_BEFORE_SECONDS * 1000) {
      log.warn("TLS certificate expires within 30 days or has expired: renew it", {
        path: certPath,
        notAfter: notAfter.toISOString(),
      });
    }
    return { identity };
  }
  if (notAfter.getTime() - now < TLS_RENEW_BEFORE_SECONDS * 1000) {
    return {
      replacing: now >= notAfter.getTime()
        ? `it expired ${notAfter.toISOString()}`
        : `it expires ${notAfter.toISOString()}, within 30 days`,
    };
  }
  // A pair made while the clock was wrong (an access point before NTP) is not valid yet.
  if (now < notBefore.getTime()) {
    return { replacing: `it is not valid until ${notBefore.toISOString()}` };
  }
  if (!namesMatch(cert, init)) {
    return { replacing: `the configured names changed to ${describeNames(init)}` };
  }
  await warnIfExposed(keyPath, log);
  log.debug("Reusing the self-signed TLS certificate", {
    path: certPath,
    fingerprintSha256: cert.fingerprint256,
  });
  return { identity };
}

/** Whether the certificate's subjectAltName lists exactly the wanted DNS names and addresses. */
function namesMatch(cert: X509Certificate, init: TlsIdentityInit): boolean {
  const entries = (cert.subjectAltName ?? "").split(", ").filter((e) => e !== "");
  const dnsNames = new Set(init.dnsNames.map((n) => n.toLowerCase()));
  const ipAddresses = new Set(init.ipAddresses);
  // Node and Deno print IPv6 SAN entries differently, so addresses are matched with checkIP.
  return entries.length === dnsNames.size + ipAddresses.size &&
    [...dnsNames].every((name) => entries.some((e) => e.toLowerCase() === `dns:${name}`)) &&
    [...ipAddresses].every((address) => cert.checkIP(address) !== undefined);
}

function describeNames(init: TlsIdentityInit): string {
  return [...init.dnsNames, ...init.ipAddresses].join(",") || "(none)";
}

function parseCertificate(text: string): X509Certificate | undefined {
  // X509Certificate also takes DER; the file must be PEM, as node:tls wants.
  if (!text.includes("-----BEGIN CERTIFICATE-----")) return undefined;
  try {
    return new X509Certificate(text);
  } catch {
    return undefined;
  }
}

function parsePrivateKey(text: string): KeyObject | "encrypted" | undefined {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) return "encrypted";
  if (!/-----BEGIN (EC |RSA )?PRIVATE KEY-----/.test(text)) return undefined;
  try {
    return createPrivateKey({ key: text, format: "pem" });
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // a key of another type than the certificate's
  }
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}

async function readPemFile(
  path: string,
  what: string,
  options: { missingOk: true },
): Promise<string | undefined>;
async function readPemFile(path: string, what: string): Promise<string>;
async function readPemFile(
  path: string,
  what: string,
  options: { missingOk?: boolean } = {},
): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_TLS_PEM_FILE_BYTES) {
      throw new Error(`${info.size} bytes is more than a PEM file holds`);
    }
    return await readFile(path, "utf8");
  } catch (error) {
    if (options.missingOk && errnoCode(error) === "ENOENT") return undefined;
    throw new TlsIdentityError(path, `Cannot read ${what}: ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function warnIfExposed(keyPath: string, log: Logger): Promise<void> {
  const mode = (await stat(keyPath)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    log.warn("TLS key file is readable by other users: chmod 600 it", {
      path: keyPath,
      mode: mode.toString(8),
    });
  }
}

async function mkdirOwnerOnly(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: TLS_DIR_MODE });
    // The umask may have narrowed the mode, and an existing folder keeps its old one.
    await chmod(dir, TLS_DIR_MODE);
  } catch (error) {
    throw new TlsIdentityError(
      dir,
      `Cannot create the TLS folder: ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Writes a new file next to `path`, flushes it, then renames it over `path`, so a reader (or a
 * power cut) sees the old file or the new one, never part of one.
 */
async function writeAtomically(
  path: string,
  text: string,
  mode: number,
  what: string,
): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const file = await open(temp, "wx", mode);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new TlsIdentityError(path, `Cannot write ${what}: ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
