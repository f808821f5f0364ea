// A self-signed X.509 v3 server certificate for the SIP TLS transport (RFC 5280), written with our
// own DER writer because node:crypto can parse certificates but not make them.
import {
  createHash,
  generateKeyPairSync,
  randomBytes as cryptoRandomBytes,
  sign,
} from "node:crypto";
import {
  encodeDerBitString,
  encodeDerBoolean,
  encodeDerContext,
  encodeDerInteger,
  encodeDerOctetString,
  encodeDerOid,
  encodeDerSequence,
  encodeDerSet,
  encodeDerTime,
  encodeDerUtf8String,
  ia5Bytes,
} from "./der_writer.ts";

/** Object identifiers the certificate uses. */
export const CertificateOid = {
  /** ecdsa-with-SHA256 (RFC 5758 section 3.2). */
  EcdsaWithSha256: "1.2.840.10045.4.3.2",
  /** id-at-commonName (RFC 5280 appendix A.1). */
  CommonName: "2.5.4.3",
  SubjectKeyIdentifier: "2.5.29.14",
  KeyUsage: "2.5.29.15",
  SubjectAltName: "2.5.29.17",
  BasicConstraints: "2.5.29.19",
  ExtKeyUsage: "2.5.29.37",
  /** id-kp-serverAuth (RFC 5280 section 4.2.1.12). */
  ServerAuth: "1.3.6.1.5.5.7.3.1",
  /** id-kp-clientAuth, for the same certificate on outgoing mutual-TLS connections. */
  ClientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** Validity when none is asked for: Apple platforms refuse TLS server certificates valid longer. */
export const DEFAULT_CERTIFICATE_VALID_DAYS = 825;
/** The longest validity accepted (100 years); a typo, not a policy, would ask for more. */
export const MAX_CERTIFICATE_VALID_DAYS = 36_500;
/** notBefore is this far before `now`, so a peer whose clock runs a little slow accepts it. */
export const NOT_BEFORE_LEEWAY_SECONDS = 3600;
/** Random bytes in a serial number (top bit cleared, so it stays positive). */
export const SERIAL_NUMBER_BYTES = 16;
/** ub-common-name (RFC 5280 appendix A.1): a commonName holds at most 64 characters. */
export const MAX_COMMON_NAME_LENGTH = 64;
/** The longest DNS name (RFC 1035 section 2.3.4, as text without the final dot). */
export const MAX_DNS_NAME_LENGTH = 253;

/** Key algorithms a generated certificate may use. */
export type CertificateKeyAlgorithm = "ec-p256";

/** What the certificate says about its subject. */
export interface SelfSignedCertificateInit {
  /** The subject's commonName, 1-64 characters (clients match names against the SAN, not this). */
  readonly commonName: string;
  /**
   * DNS names for the subjectAltName: ASCII (IDNs as A-labels), a leading `*.` allowed.
   * @default []
   */
  readonly dnsNames?: readonly string[];
  /**
   * IPv4 or IPv6 addresses (text) for the subjectAltName; no zone ids.
   * @default []
   */
  readonly ipAddresses?: readonly string[];
  /**
   * Days from `now` to notAfter.
   * @default DEFAULT_CERTIFICATE_VALID_DAYS
   */
  readonly validDays?: number;
  /**
   * The key pair to generate.
   * @default "ec-p256"
   */
  readonly keyAlgorithm?: CertificateKeyAlgorithm;
}

/** Time and randomness, injected so tests can fix them. */
export interface SelfSignedCertificateComponents {
  /** Wall-clock milliseconds since the epoch (a Clock's `now()`). */
  readonly now: number;
  /** Source of the serial number's bytes. @default node:crypto randomBytes */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** A certificate and its private key, both PEM (the forms node:tls takes). */
export interface SelfSignedCertificate {
  /** `-----BEGIN CERTIFICATE-----`. */
  readonly certPem: string;
  /** PKCS#8, `-----BEGIN PRIVATE KEY-----`. */
  readonly keyPem: string;
}

/**
 * Makes a fresh key pair and a self-signed X.509 v3 certificate for it, for a TLS server.
 *
 * The key is ECDSA P-256 signed with ecdsa-with-SHA256: SIP phones, softphones and browsers all
 * accept it, whereas Ed25519 certificates are still refused by many SIP phones' TLS stacks.
 * Extensions: basicConstraints cA=false (critical), keyUsage digitalSignature (critical),
 * extKeyUsage serverAuth and clientAuth, subjectAltName with the DNS names and IP addresses
 * (left out when both lists are empty), and subjectKeyIdentifier. The validity starts an hour
 * before `now`; the serial number is 16 random bytes, positive.
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = createSelfSignedCertificate(
 *   { commonName: "ap-1.mesh.example", dnsNames: ["ap-1.mesh.example"], ipAddresses: ["10.0.0.1"] },
 *   { now: Date.now() },
 * );
 * tls.createServer({ cert: certPem, key: keyPem });
 * ```
 */
export function createSelfSignedCertificate(
  init: SelfSignedCertificateInit,
  components: SelfSignedCertificateComponents,
): SelfSignedCertificate {
  const keyAlgorithm = init.keyAlgorithm ?? "ec-p256";
  if (keyAlgorithm !== "ec-p256") {
    throw new RangeError(`Cannot create a certificate: unknown key algorithm "${keyAlgorithm}"`);
  }
  const validDays = init.validDays ?? DEFAULT_CERTIFICATE_VALID_DAYS;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > MAX_CERTIFICATE_VALID_DAYS) {
    throw new RangeError(
      `Cannot create a certificate: validDays ${validDays} is not 1-${MAX_CERTIFICATE_VALID_DAYS}`,
    );
  }
  if (!Number.isFinite(components.now)) {
    throw new RangeError(`Cannot create a certificate: now ${components.now} is not a time`);
  }
  const name = encodeName(init.commonName);
  const altNames = encodeAltNames(init.dnsNames ?? [], init.ipAddresses ?? []);

  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string" || typeof jwk.y !== "string") {
    throw new TypeError("Cannot create a certificate: the public key has no coordinates");
  }
  // The subjectPublicKey BIT STRING's value: the uncompressed point 04 || x || y (RFC 5480 2.2).
  const point = new Uint8Array([
    0x04,
    ...Buffer.from(jwk.x, "base64url"),
    ...Buffer.from(jwk.y, "base64url"),
  ]);

  const nowSeconds = Math.floor(components.now / 1000);
  const notBefore = new Date((nowSeconds - NOT_BEFORE_LEEWAY_SECONDS) * 1000);
  const notAfter = new Date((nowSeconds + validDays * 86_400) * 1000);

  const signatureAlgorithm = encodeDerSequence(encodeDerOid(CertificateOid.EcdsaWithSha256));
  const extensions = [
    // RFC 5280 4.2.1.9: cA defaults to FALSE, and DER omits a default, so the SEQUENCE is empty.
    extension(CertificateOid.BasicConstraints, true, encodeDerSequence()),
    // RFC 5280 4.2.1.3: keyUsage SHOULD be critical; bit 0 is digitalSignature (named bits
    // drop trailing zeros in DER, hence 7 unused bits).
    extension(CertificateOid.KeyUsage, true, encodeDerBitString(Uint8Array.of(0x80), 7)),
    extension(
      CertificateOid.ExtKeyUsage,
      false,
      encodeDerSequence(
        encodeDerOid(CertificateOid.ServerAuth),
        encodeDerOid(CertificateOid.ClientAuth),
      ),
    ),
    ...(altNames === undefined ? [] : [extension(CertificateOid.SubjectAltName, false, altNames)]),
    // RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits.
    extension(
      CertificateOid.SubjectKeyIdentifier,
      false,
      encodeDerOctetString(new Uint8Array(createHash("sha1").update(point).digest())),
    ),
  ];

  const tbs = encodeDerSequence(
    encodeDerContext(0, encodeDerInteger(2), { constructed: true }), // version v3
    encodeDerInteger(serialNumber(components.randomBytes ?? cryptoRandomBytes)),
    // RFC 5280 4.1.2.3: this field MUST hold the same algorithm as signatureAlgorithm.
    signatureAlgorithm,
    name, // issuer: self-signed, so the subject
    encodeDerSequence(encodeDerTime(notBefore), encodeDerTime(notAfter)),
    name,
    spki,
    encodeDerContext(3, encodeDerSequence(...extensions), { constructed: true }),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const certificate = encodeDerSequence(
    tbs,
    signatureAlgorithm,
    encodeDerBitString(new Uint8Array(signature)),
  );
  return {
    certPem: toPem("CERTIFICATE", certificate),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  // X.690 11.5: a component equal to its DEFAULT is absent, so critical FALSE is not written.
  return critical
    ? encodeDerSequence(encodeDerOid(oid), encodeDerBoolean(true), encodeDerOctetString(value))
    : encodeDerSequence(encodeDerOid(oid), encodeDerOctetString(value));
}

function encodeName(commonName: string): Uint8Array {
  const length = [...commonName].length;
  if (length < 1 || length > MAX_COMMON_NAME_LENGTH) {
    throw new RangeError(
      `Cannot create a certificate: the commonName must be 1-${MAX_COMMON_NAME_LENGTH} characters, got ${length}`,
    );
  }
  // Name ::= SEQUENCE OF RelativeDistinguishedName (a SET OF AttributeTypeAndValue).
  return encodeDerSequence(
    encodeDerSet(
      encodeDerSequence(encodeDerOid(CertificateOid.CommonName), encodeDerUtf8String(commonName)),
    ),
  );
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function encodeAltNames(
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
): Uint8Array | undefined {
  const names: Uint8Array[] = [];
  for (const dnsName of dnsNames) {
    const labels = (dnsName.startsWith("*.") ? dnsName.slice(2) : dnsName).split(".");
    // RFC 5280 4.2.1.6: a dNSName MUST be in the preferred name syntax (RFC 1034 3.5, RFC 1123 2.1).
    if (dnsName.length > MAX_DNS_NAME_LENGTH || !labels.every((l) => DNS_LABEL.test(l))) {
      throw new RangeError(`Cannot create a certificate: "${dnsName}" is not a DNS name`);
    }
    names.push(encodeDerContext(2, ia5Bytes(dnsName), { constructed: false }));
  }
  for (const address of ipAddresses) {
    const bytes = parseIpv4(address) ?? parseIpv6(address);
    if (bytes === undefined) {
      throw new RangeError(`Cannot create a certificate: "${address}" is not an IP address`);
    }
    // RFC 5280 4.2.1.6: exactly four octets for IPv4, sixteen for IPv6, network byte order.
    names.push(encodeDerContext(7, bytes, { constructed: false }));
  }
  // GeneralNames is SIZE (1..MAX): with no names there is no extension.
  return names.length === 0 ? undefined : encodeDerSequence(...names);
}

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Dotted-quad text to 4 bytes; leading zeros are refused (they read as octal in some parsers). */
function parseIpv4(text: string): Uint8Array | undefined {
  return IPV4.test(text) ? Uint8Array.from(text.split(".").map(Number)) : undefined;
}

/** RFC 4291 section 2.2 text (with `::` and a trailing dotted quad) to 16 bytes. */
function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const groups = head.length + tail.length;
  // Without `::` there are exactly 8 groups; `::` stands for at least one zero group.
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - groups).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((word, i) => {
    out[2 * i] = word >> 8;
    out[2 * i + 1] = word & 0xff;
  });
  return out;
}

function parseGroups(part: string, ipv4Last: boolean): number[] | undefined {
  if (part === "") return [];
  const groups = part.split(":");
  const words: number[] = [];
  for (const [i, group] of groups.entries()) {
    if (ipv4Last && i === groups.length - 1 && group.includes(".")) {
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
      words.push(parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  return words;
}

function serialNumber(random: (size: number) => Uint8Array): Uint8Array {
  const bytes = new Uint8Array(random(SERIAL_NUMBER_BYTES));
  if (bytes.length !== SERIAL_NUMBER_BYTES) {
    throw new RangeError(
      `Cannot create a certificate: randomBytes gave ${bytes.length} bytes, not ${SERIAL_NUMBER_BYTES}`,
    );
  }
  // RFC 5280 4.1.2.2: the serial MUST be a positive integer of at most 20 octets.
  bytes[0]! &= 0x7f;
  if (bytes.every((b) => b === 0)) bytes[SERIAL_NUMBER_BYTES - 1] = 1;
  return bytes;
}

function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
