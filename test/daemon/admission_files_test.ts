import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Role } from "../../src/codec/overlay/enrollment_certificate.ts";
import { SuperpeerError } from "../../src/core/errors.ts";
import { silentLogger } from "../../src/core/logger.ts";
import {
  certificateFilePath,
  loadAdmissionPolicy,
  sharedSecretFilePath,
  writeCertificateFile,
  writeNewSharedSecret,
} from "../../src/daemon/admission_files.ts";
import { resolveConfig } from "../../src/daemon/config/load_config.ts";
import { issueCertificate } from "../../src/identity/enrollment.ts";
import { formatPublicKey, generateNodeKey } from "../../src/identity/node_key.ts";
import { overlayIdForConfig } from "../../src/identity/overlay_id.ts";

const NOW = 1_750_000_000;
const operator = generateNodeKey();
const node = generateNodeKey();

function recordingLog() {
  const warnings: string[] = [];
  return { log: { ...silentLogger(), warn: (m: string) => void warnings.push(m) }, warnings };
}

async function setup(overlay: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-admission-"));
  const config = resolveConfig({ dataDir: dir, overlay }, [], "test");
  return { dir, config };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, SuperpeerError);
    assert.is((error as SuperpeerError).code, "KEY_FILE");
    return (error as Error).message;
  }
  throw new Error("expected a KEY_FILE error");
}

test("certificateFilePath and sharedSecretFilePath default into the data directory", async () => {
  const { dir, config } = await setup({});
  assert.is(certificateFilePath(config), join(dir, "enrollment.cert"));
  assert.is(sharedSecretFilePath(config), join(dir, "overlay.secret"));
  const custom = resolveConfig(
    { overlay: { certificateFile: "/etc/c", sharedSecretFile: "/etc/s" } },
    [],
    "t",
  );
  assert.is(certificateFilePath(custom), "/etc/c");
  assert.is(sharedSecretFilePath(custom), "/etc/s");
});

test("loadAdmissionPolicy reads the shared secret, and names a missing or short one", async () => {
  const { config } = await setup({ admission: "shared-secret" });
  const { log, warnings } = recordingLog();
  const options = { nodePublicKey: node.publicKeyRaw, nowSeconds: NOW, log };
  assert.match(await failure(loadAdmissionPolicy(config, options)), /superpeer keygen --secret/);
  await writeFile(sharedSecretFilePath(config), new Uint8Array(8), { mode: 0o600 });
  assert.match(await failure(loadAdmissionPolicy(config, options)), /at least 16 bytes/);
  await writeNewSharedSecret(sharedSecretFilePath(config), { force: true });
  const policy = await loadAdmissionPolicy(config, options);
  assert.is(policy.mode, "shared-secret");
  assert.equal(warnings, []);
  await chmod(sharedSecretFilePath(config), 0o644);
  await loadAdmissionPolicy(config, options);
  assert.match(warnings[0] ?? "", /readable by other users/);
});

test("loadAdmissionPolicy checks our certificate: operator, node key, expiry, renewal warning", async () => {
  const { config } = await setup({
    admission: "operator",
    operatorPublicKey: formatPublicKey(operator.publicKeyRaw),
  });
  const { log, warnings } = recordingLog();
  const options = { nodePublicKey: node.publicKeyRaw, nowSeconds: NOW, log };
  const path = certificateFilePath(config);
  assert.match(await failure(loadAdmissionPolicy(config, options)), /superpeer enroll/);
  const write = (
    overrides: { notAfter?: number; operatorKey?: typeof operator.privateKey; key?: Uint8Array },
  ) =>
    writeCertificateFile(
      path,
      issueCertificate({
        operatorKey: overrides.operatorKey ?? operator.privateKey,
        nodePublicKey: overrides.key ?? node.publicKeyRaw,
        overlayId: overlayIdForConfig(config),
        roles: Role.Peer,
        notAfter: overrides.notAfter ?? NOW + 365 * 86_400,
      }),
      { force: true },
    );

  await write({});
  assert.is((await loadAdmissionPolicy(config, options)).mode, "operator");
  assert.equal(warnings, []);
  await write({ notAfter: NOW + 86_400 });
  await loadAdmissionPolicy(config, options);
  assert.match(warnings[0] ?? "", /expires soon/);
  await write({ notAfter: NOW - 1 });
  assert.match(await failure(loadAdmissionPolicy(config, options)), /expired/);
  await write({ operatorKey: generateNodeKey().privateKey });
  assert.match(await failure(loadAdmissionPolicy(config, options)), /wrong-operator/);
  await write({ key: generateNodeKey().publicKeyRaw });
  assert.match(await failure(loadAdmissionPolicy(config, options)), /foreign-certificate/);
});

test("loadAdmissionPolicy needs no file for open admission", async () => {
  const { config } = await setup({});
  const { log } = recordingLog();
  const policy = await loadAdmissionPolicy(config, {
    nodePublicKey: node.publicKeyRaw,
    nowSeconds: NOW,
    log,
  });
  assert.is(policy.mode, "open");
});

test.run();
