// The files behind overlay admission: this node's enrollment certificate and the overlay's shared
// secret. Reading them is the daemon's job; identity/admission.ts only sees bytes.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MAX_CERTIFICATE_BYTES } from "../codec/overlay/envelope.ts";
import { SuperpeerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import {
  type AdmissionPolicy,
  createAdmissionPolicy,
  OperatorAdmission,
} from "../identity/admission.ts";
import { AdmissionError } from "../identity/admission_error.ts";
import { parsePublicKey } from "../identity/node_key.ts";
import { overlayIdForConfig } from "../identity/overlay_id.ts";
import type { SuperpeerConfig } from "./config/superpeer_config.ts";

/** Certificates are public: readable by all, like a TLS certificate. */
export const CERTIFICATE_FILE_MODE = 0o644;
/** The shared secret admits anyone who holds it: owner read/write only. */
export const SHARED_SECRET_FILE_MODE = 0o600;
/** Bytes of a secret made by `superpeer keygen --secret`. */
export const SHARED_SECRET_BYTES = 32;
/** A certificate that expires sooner than this is warned about at start. */
export const CERTIFICATE_RENEWAL_WARNING_SECONDS = 30 * 86_400;
/** A secret file longer than this is a wrong path, not a secret. */
export const MAX_SHARED_SECRET_FILE_BYTES = 1024;

/** The certificate file used when `overlay.certificateFile` is empty. */
export function certificateFilePath(config: SuperpeerConfig): string {
  return config.overlay.certificateFile || join(config.dataDir, "enrollment.cert");
}

/** The shared-secret file used when `overlay.sharedSecretFile` is empty. */
export function sharedSecretFilePath(config: SuperpeerConfig): string {
  return config.overlay.sharedSecretFile || join(config.dataDir, "overlay.secret");
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}

async function writeNew(
  path: string,
  bytes: Uint8Array,
  options: { mode: number; force: boolean; what: string },
): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, bytes, { mode: options.mode, flag: options.force ? "w" : "wx" });
    // The umask may have narrowed the mode, and an existing file keeps its old one.
    await chmod(path, options.mode);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") {
      throw new SuperpeerError(
        "KEY_FILE",
        `Cannot write ${options.what}: ${path} exists (use --force to replace it)`,
      );
    }
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot write ${options.what}: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Writes an enrollment certificate (mode 0644), refusing to replace a file unless `force`. */
export async function writeCertificateFile(
  path: string,
  certificate: Uint8Array,
  options: { force?: boolean } = {},
): Promise<void> {
  await writeNew(path, certificate, {
    mode: CERTIFICATE_FILE_MODE,
    force: options.force === true,
    what: "certificate",
  });
}

/**
 * Writes a new random 32-byte shared secret (mode 0600), refusing to replace a file unless
 * `force` (replacing it locks this node out until every other node has the new one).
 */
export async function writeNewSharedSecret(
  path: string,
  options: { force?: boolean } = {},
): Promise<void> {
  await writeNew(path, new Uint8Array(randomBytes(SHARED_SECRET_BYTES)), {
    mode: SHARED_SECRET_FILE_MODE,
    force: options.force === true,
    what: "shared secret",
  });
}

async function readSmallFile(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a file");
    if (info.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const maker = what === "certificate" ? "superpeer enroll" : "superpeer keygen --secret";
    const hint = errnoCode(error) === "ENOENT" ? ` (${maker} makes one)` : "";
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot read ${what}: ${path}: ${(error as Error).message}${hint}`,
      { cause: error },
    );
  }
}

/**
 * Builds the admission policy `overlay.admission` names, reading the certificate or secret file.
 * Fails (SuperpeerError KEY_FILE, exit 1) when a file is missing, too short, or a certificate
 * that peers would refuse: another operator's, another overlay's, another node's, expired.
 * Warns about a secret file others can read and a certificate that expires within 30 days.
 *
 * @example
 * ```ts
 * const admission = await loadAdmissionPolicy(config, { nodePublicKey: key.publicKeyRaw, nowSeconds, log });
 * ```
 */
export async function loadAdmissionPolicy(
  config: SuperpeerConfig,
  options: { nodePublicKey: Uint8Array; nowSeconds: number; log: Logger },
): Promise<AdmissionPolicy> {
  const overlayId = overlayIdForConfig(config);
  switch (config.overlay.admission) {
    case "open":
      return createAdmissionPolicy({ mode: "open" });
    case "shared-secret": {
      const path = sharedSecretFilePath(config);
      const secret = await readSmallFile(path, MAX_SHARED_SECRET_FILE_BYTES, "shared secret");
      if (((await stat(path)).mode & 0o077) !== 0) {
        options.log.warn("Shared secret file is readable by other users: chmod 600 it", { path });
      }
      try {
        return createAdmissionPolicy({ mode: "shared-secret", overlayId, secret });
      } catch (error) {
        throw new SuperpeerError(
          "KEY_FILE",
          `Cannot use shared secret: ${path}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    case "operator": {
      const path = certificateFilePath(config);
      const certificate = await readSmallFile(path, MAX_CERTIFICATE_BYTES, "certificate");
      try {
        const policy = new OperatorAdmission({
          overlayId,
          operatorPublicKey: parsePublicKey(config.overlay.operatorPublicKey),
          certificate,
        });
        policy.proofFor(options.nodePublicKey);
        const notAfter = policy.certificate.notAfter;
        const expiry = new Date(notAfter * 1000).toISOString();
        if (options.nowSeconds > notAfter) {
          throw new AdmissionError("expired", `certificate expired at ${expiry}`);
        }
        if (options.nowSeconds + CERTIFICATE_RENEWAL_WARNING_SECONDS > notAfter) {
          options.log.warn("Enrollment certificate expires soon: ask the operator for a new one", {
            path,
            notAfter: expiry,
          });
        }
        return policy;
      } catch (error) {
        if (!(error instanceof AdmissionError || error instanceof TypeError)) throw error;
        throw new SuperpeerError(
          "KEY_FILE",
          `Cannot use enrollment certificate: ${path}: ${error.message}`,
          { cause: error },
        );
      }
    }
  }
}
