import { UsageError } from "../core/errors.ts";
import { ALL_ROLES, formatRoles, ROLE_NAMES } from "../codec/overlay/enrollment_certificate.ts";
import { certificateFilePath, writeCertificateFile } from "../daemon/admission_files.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import { readNodeKeyFile } from "../daemon/node_key_file.ts";
import { issueCertificate, verifyCertificate } from "../identity/enrollment.ts";
import {
  formatNodeId,
  formatPublicKey,
  nodeIdFromPublicKey,
  parsePublicKey,
} from "../identity/node_key.ts";
import { formatOverlayId, overlayIdForConfig } from "../identity/overlay_id.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** Validity of a certificate when `--days` is not given. */
export const DEFAULT_CERTIFICATE_DAYS = 365;
/** Longest validity `--days` accepts (ten years; not-after must also fit 32 bits). */
export const MAX_CERTIFICATE_DAYS = 3650;

const SECONDS_PER_DAY = 86_400;

function parseRoles(text: string): number {
  let roles = 0;
  for (const name of text.split(",").map((r) => r.trim())) {
    const bit = ROLE_NAMES[name];
    if (bit === undefined) {
      throw new UsageError(
        `enroll: unknown role ${JSON.stringify(name)} (expected ${
          Object.keys(ROLE_NAMES).join(", ")
        })`,
      );
    }
    roles |= bit;
  }
  return roles;
}

function parseDays(text: string): number {
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= MAX_CERTIFICATE_DAYS)) {
    throw new UsageError(`enroll: --days must be a whole number from 1 to ${MAX_CERTIFICATE_DAYS}`);
  }
  return days;
}

/**
 * `superpeer enroll`: the operator issues an enrollment certificate for one node key, signed with
 * the operator key, and writes it (mode 0644) where the node will read it.
 */
export async function enrollCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, {
    ...CONFIG_OPTION_SPECS,
    "operator-key": { type: "string" },
    "node-key": { type: "string" },
    "public-key": { type: "string" },
    overlay: { type: "string" },
    roles: { type: "string" },
    days: { type: "string" },
    out: { type: "string", short: "o" },
    force: { type: "boolean", short: "f" },
  }, "enroll");
  if (parsed.values.help) {
    io.stdout(HELP.enroll ?? "");
    return ExitCode.Ok;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`enroll: unexpected argument ${parsed.positionals[0]}`);
  }
  const operatorKeyPath = stringOption(parsed, "operator-key");
  if (operatorKeyPath === undefined) {
    throw new UsageError("enroll: --operator-key FILE is required");
  }
  const nodeKeyPath = stringOption(parsed, "node-key");
  const publicKeyText = stringOption(parsed, "public-key");
  if ((nodeKeyPath === undefined) === (publicKeyText === undefined)) {
    throw new UsageError("enroll: give exactly one of --node-key FILE and --public-key B64URL");
  }
  const roles = parseRoles(stringOption(parsed, "roles") ?? formatRoles(ALL_ROLES));
  const days = parseDays(stringOption(parsed, "days") ?? String(DEFAULT_CERTIFICATE_DAYS));
  const overlayName = stringOption(parsed, "overlay");
  // --overlay goes through the config schema, so it obeys the same rules as overlay.name.
  const { config } = await loadConfig({
    path: stringOption(parsed, "config"),
    sets: [
      ...stringsOption(parsed, "set"),
      ...(overlayName === undefined ? [] : [`overlay.name=${overlayName}`]),
    ],
    env: io.env,
  });

  let nodePublicKey: Uint8Array;
  if (publicKeyText !== undefined) {
    try {
      nodePublicKey = parsePublicKey(publicKeyText);
    } catch (error) {
      throw new UsageError(`enroll: --public-key: ${(error as Error).message}`);
    }
  } else {
    nodePublicKey = (await readNodeKeyFile(nodeKeyPath!, "node key")).key.publicKeyRaw;
  }
  const operator = await readNodeKeyFile(operatorKeyPath, "operator key");
  if (operator.exposed) {
    io.stderr(
      `superpeer enroll: warning: ${operatorKeyPath} is readable by other users: chmod 600 it\n`,
    );
  }

  // The certificate is for an operator-admitted overlay run by this operator, whatever the local
  // config's admission mode says.
  const overlayId = overlayIdForConfig({
    overlay: {
      name: config.overlay.name,
      admission: "operator",
      operatorPublicKey: formatPublicKey(operator.key.publicKeyRaw),
    },
  });
  const now = Math.floor(Date.now() / 1000);
  const notAfter = now + days * SECONDS_PER_DAY;
  const certificate = issueCertificate({
    operatorKey: operator.key.privateKey,
    nodePublicKey,
    overlayId,
    roles,
    notAfter,
  });
  // What a peer will do with it: a certificate that fails here would be refused everywhere.
  verifyCertificate(certificate, {
    operatorPublicKey: operator.key.publicKeyRaw,
    overlayId,
    nodePublicKey,
    now,
    requiredRoles: roles,
  });
  const out = stringOption(parsed, "out") ?? certificateFilePath(config);
  await writeCertificateFile(out, certificate, { force: parsed.values.force === true });
  io.stdout(
    [
      `node id ${formatNodeId(nodeIdFromPublicKey(nodePublicKey))}`,
      `roles ${formatRoles(roles)}`,
      `not after ${new Date(notAfter * 1000).toISOString()}`,
      `overlay ${config.overlay.name} (id ${formatOverlayId(overlayId)})`,
      `operator public key ${formatPublicKey(operator.key.publicKeyRaw)}`,
      `certificate file ${out} (${certificate.length} bytes, mode 0644)`,
      "",
    ].join("\n"),
  );
  return ExitCode.Ok;
}
