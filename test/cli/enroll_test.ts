import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { superpeerCli } from "../../src/cli/superpeer_cli.ts";
import {
  decodeEnrollmentCertificate,
  Role,
} from "../../src/codec/overlay/enrollment_certificate.ts";
import { verifyCertificate } from "../../src/identity/enrollment.ts";
import { parsePublicKey } from "../../src/identity/node_key.ts";
import { formatOverlayId, overlayIdForConfig } from "../../src/identity/overlay_id.ts";
import { fakeIo } from "../helpers/fake_io.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "superpeer-enroll-"));
}

/** Runs `superpeer keygen --out FILE` and returns the printed node id and public key. */
async function keygen(out: string): Promise<{ nodeId: string; publicKey: string }> {
  const io = fakeIo();
  assert.is(await superpeerCli(["keygen", "--out", out], io), 0, io.err());
  const match = /^node id ([0-9a-f]{32})\npublic key ([A-Za-z0-9_-]{43})\nkey file /.exec(io.out());
  assert.ok(match, io.out());
  return { nodeId: match![1]!, publicKey: match![2]! };
}

test("superpeerCli enroll issues a certificate that verifies, end to end with keygen keys", async () => {
  const dir = await tempDir();
  const operator = await keygen(join(dir, "operator.pem"));
  const node = await keygen(join(dir, "node.pem"));
  const out = join(dir, "node.cert");
  const io = fakeIo();
  const before = Math.floor(Date.now() / 1000);
  const code = await superpeerCli([
    "enroll",
    "--operator-key",
    join(dir, "operator.pem"),
    "--node-key",
    join(dir, "node.pem"),
    "--overlay",
    "mesh",
    "--roles",
    "peer,relay",
    "--days",
    "10",
    "--out",
    out,
  ], io);
  assert.is(code, 0, io.err());
  assert.match(
    io.out(),
    new RegExp(`^node id ${node.nodeId}\nroles peer,relay\nnot after \\d{4}-`),
  );
  assert.match(io.out(), /certificate file .*node\.cert \(113 bytes, mode 0644\)/);
  assert.is((await stat(out)).mode & 0o777, 0o644);

  const bytes = new Uint8Array(await readFile(out));
  const check = verifyCertificate(bytes, {
    operatorPublicKey: parsePublicKey(operator.publicKey),
    overlayId: overlayIdForConfig({
      overlay: { name: "mesh", admission: "operator", operatorPublicKey: operator.publicKey },
    }),
    nodePublicKey: parsePublicKey(node.publicKey),
    now: before,
    requiredRoles: Role.Peer | Role.Relay,
  });
  assert.is(Buffer.from(check.nodeId).toString("hex"), node.nodeId);
  assert.is(check.roles, Role.Peer | Role.Relay);
  const days = (check.notAfter - before) / 86_400;
  assert.ok(days >= 10 && days < 10.01, String(days));
  assert.ok(io.out().includes(new Date(check.notAfter * 1000).toISOString()));
});

test("superpeerCli enroll --public-key defaults to all roles, 365 days, the configured overlay and file", async () => {
  const dir = await tempDir();
  const operator = await keygen(join(dir, "operator.pem"));
  const node = await keygen(join(dir, "node.pem"));
  const io = fakeIo();
  const args = [
    "enroll",
    "--operator-key",
    join(dir, "operator.pem"),
    "--public-key",
    node.publicKey,
  ];
  assert.is(await superpeerCli([...args, "--set", `dataDir=${dir}`], io), 0, io.err());
  assert.match(io.out(), /roles peer,relay,proxy\n/);
  const expectedId = overlayIdForConfig({
    overlay: { name: "superpeer", admission: "operator", operatorPublicKey: operator.publicKey },
  });
  assert.ok(io.out().includes(`overlay superpeer (id ${formatOverlayId(expectedId)})`), io.out());
  const cert = decodeEnrollmentCertificate(
    new Uint8Array(await readFile(join(dir, "enrollment.cert"))),
  );
  assert.is(cert.overlayId, expectedId);
  const days = (cert.notAfter - Date.now() / 1000) / 86_400;
  assert.ok(days > 364.9 && days <= 365, String(days));
  // An existing certificate is not replaced without --force.
  const again = fakeIo();
  assert.is(await superpeerCli([...args, "--set", `dataDir=${dir}`], again), 1);
  assert.match(again.err(), /exists \(use --force/);
  assert.is(await superpeerCli([...args, "--set", `dataDir=${dir}`, "--force"], fakeIo()), 0);
});

test("superpeerCli enroll usage errors exit 2", async () => {
  const dir = await tempDir();
  await keygen(join(dir, "operator.pem"));
  const node = await keygen(join(dir, "node.pem"));
  const op = ["--operator-key", join(dir, "operator.pem")];
  const out = ["--out", join(dir, "x.cert")];
  for (
    const [argv, pattern] of [
      [["enroll", "--public-key", node.publicKey, ...out], /--operator-key FILE is required/],
      [["enroll", ...op, ...out], /exactly one of --node-key/],
      [[
        "enroll",
        ...op,
        "--node-key",
        join(dir, "node.pem"),
        "--public-key",
        node.publicKey,
        ...out,
      ], /exactly one/],
      [["enroll", ...op, "--public-key", "abc", ...out], /--public-key: .*43 base64url/],
      [
        ["enroll", ...op, "--public-key", node.publicKey, "--roles", "peer,boss", ...out],
        /unknown role "boss"/,
      ],
      [["enroll", ...op, "--public-key", node.publicKey, "--days", "0", ...out], /--days must be/],
      [
        ["enroll", ...op, "--public-key", node.publicKey, "--days", "3651", ...out],
        /--days must be/,
      ],
      [["enroll", ...op, "--public-key", node.publicKey, "--overlay", "", ...out], /overlay\.name/],
      [["enroll", ...op, "--public-key", node.publicKey, "--bogus"], /bogus/],
    ] as const
  ) {
    const io = fakeIo();
    assert.is(await superpeerCli([...argv], io), 2, argv.join(" "));
    assert.match(io.err(), pattern);
  }
});

test("superpeerCli enroll exits 1 for an unreadable or non-key operator key file", async () => {
  const dir = await tempDir();
  const node = await keygen(join(dir, "node.pem"));
  await writeFile(join(dir, "junk.pem"), "not a key");
  for (
    const [file, pattern] of [["missing.pem", /Cannot read operator key: .*missing\.pem/], [
      "junk.pem",
      /not an Ed25519 private key/,
    ]] as const
  ) {
    const io = fakeIo();
    const argv = [
      "enroll",
      "--operator-key",
      join(dir, file),
      "--public-key",
      node.publicKey,
      "--out",
      join(dir, "c.cert"),
    ];
    assert.is(await superpeerCli(argv, io), 1);
    assert.match(io.err(), pattern);
  }
});

test("superpeerCli keygen --secret writes 32 random bytes with mode 0600 and prints nothing of them", async () => {
  const dir = await tempDir();
  const out = join(dir, "overlay.secret");
  const io = fakeIo();
  assert.is(await superpeerCli(["keygen", "--secret", "--out", out], io), 0);
  const secret = await readFile(out);
  assert.is(secret.length, 32);
  assert.is((await stat(out)).mode & 0o777, 0o600);
  assert.not.ok(io.out().includes(secret.toString("hex")));
  assert.not.ok(io.out().includes(secret.toString("base64")));
  assert.match(io.out(), /^shared secret file .*overlay\.secret \(32 random bytes, mode 0600\)/);
  const again = fakeIo();
  assert.is(await superpeerCli(["keygen", "--secret", "--out", out], again), 1);
  assert.match(again.err(), /exists/);
  // Without --out it goes where the daemon looks: <dataDir>/overlay.secret.
  assert.is(
    await superpeerCli(["keygen", "--secret", "--set", `dataDir=${join(dir, "d")}`], fakeIo()),
    0,
  );
  assert.is((await readFile(join(dir, "d", "overlay.secret"))).length, 32);
});

test("superpeerCli config check exits 2 naming overlay.operatorPublicKey for operator admission without a key", async () => {
  const dir = await tempDir();
  const path = join(dir, "c.json");
  await writeFile(path, JSON.stringify({ overlay: { admission: "operator" } }));
  const io = fakeIo();
  assert.is(await superpeerCli(["config", "check", path], io), 2);
  assert.match(
    io.err(),
    /overlay\.operatorPublicKey: required when overlay\.admission is "operator"/,
  );
  const io2 = fakeIo();
  assert.is(
    await superpeerCli(["run", "--config", path, "--set", `dataDir=${join(dir, "data")}`], io2),
    2,
  );
  assert.match(io2.err(), /overlay\.operatorPublicKey/);
  const operator = await keygen(join(dir, "operator.pem"));
  await writeFile(
    path,
    JSON.stringify({ overlay: { admission: "operator", operatorPublicKey: operator.publicKey } }),
  );
  assert.is(await superpeerCli(["config", "check", path], fakeIo()), 0);
});

test.run();
