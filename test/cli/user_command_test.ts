import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { superpeerCli } from "../../src/cli/superpeer_cli.ts";
import { digestHa1, parseUsersFile } from "../../src/sip/digest/mod.ts";
import { DENO_BIN, MAIN_TS } from "../../scripts/lib/daemon_process.ts";
import { fakeIo } from "../helpers/fake_io.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "superpeer-user-"));
}

/** A fake io whose password prompt answers `password` and records the prompts. */
function ioWithPassword(password: string) {
  const prompts: string[] = [];
  const io = {
    ...fakeIo(),
    readPassword: (prompt: string, options: { readonly confirm: boolean }) => {
      prompts.push(`${prompt}|${options.confirm}`);
      return Promise.resolve(password);
    },
  };
  return { io, prompts };
}

test("superpeerCli user add writes HA1 hashes of the password, mode 0600, no temp file left", async () => {
  const dir = await tempDir();
  const file = join(dir, "sub", "users");
  const { io, prompts } = ioWithPassword("Circle Of Life");
  const code = await superpeerCli(
    ["user", "add", "alice", "--realm", "example.org", "--users-file", file],
    io,
  );
  assert.is(code, 0, io.err());
  assert.equal(prompts, ["Password for alice@example.org: |true"]);
  assert.match(io.out(), /^added user alice in realm example\.org \(MD5, SHA-256, SHA-512-256\)\n/);
  assert.is((await stat(file)).mode & 0o777, 0o600);
  const text = await readFile(file, "utf8");
  assert.not.match(text, /Circle/);
  const record = parseUsersFile(text, file).lookup("alice", "example.org");
  for (const algorithm of ["MD5", "SHA-256", "SHA-512-256"] as const) {
    assert.is(
      record?.ha1[algorithm],
      digestHa1(algorithm, { username: "alice", realm: "example.org", password: "Circle Of Life" }),
    );
  }
  assert.equal(await readdir(join(dir, "sub")), ["users"]);
});

test("superpeerCli user add replaces an existing user in place and keeps comments and others", async () => {
  const dir = await tempDir();
  const file = join(dir, "users");
  const args = ["--users-file", file, "--realm", "r"];
  assert.is(await superpeerCli(["user", "add", "alice", ...args], ioWithPassword("one").io), 0);
  await writeFile(file, (await readFile(file, "utf8")) + "# note\n");
  assert.is(await superpeerCli(["user", "add", "bob", ...args], ioWithPassword("two").io), 0);
  const { io } = ioWithPassword("three");
  assert.is(
    await superpeerCli(["user", "add", "alice", ...args, "--algorithms", "sha-256"], io),
    0,
  );
  assert.match(io.out(), /^replaced user alice in realm r \(SHA-256\)/);
  const text = await readFile(file, "utf8");
  const lines = text.trimEnd().split("\n");
  assert.is(lines.length, 4);
  assert.match(lines[1]!, /^alice:r::[0-9a-f]{64}$/);
  assert.is(lines[2], "# note");
  assert.match(lines[3]!, /^bob:r:/);
  const users = parseUsersFile(text, file);
  assert.is(
    users.lookup("alice", "r")?.ha1["SHA-256"],
    digestHa1("SHA-256", { username: "alice", realm: "r", password: "three" }),
  );
});

test("superpeerCli user list prints users, realms and algorithms but never hashes; remove removes", async () => {
  const dir = await tempDir();
  const file = join(dir, "users");
  await superpeerCli(["user", "add", "alice", "-u", file, "-r", "a.org"], ioWithPassword("x").io);
  await superpeerCli(
    ["user", "add", "bob", "-u", file, "-r", "b.org", "--algorithms", "MD5"],
    ioWithPassword("y").io,
  );
  const list = fakeIo();
  assert.is(await superpeerCli(["user", "list", "-u", file], list), 0);
  assert.is(list.out(), "alice\ta.org\tMD5,SHA-256,SHA-512-256\nbob\tb.org\tMD5\n");
  const filtered = fakeIo();
  assert.is(await superpeerCli(["user", "list", "-u", file, "-r", "b.org"], filtered), 0);
  assert.is(filtered.out(), "bob\tb.org\tMD5\n");

  const removed = fakeIo();
  assert.is(await superpeerCli(["user", "remove", "alice", "-u", file, "-r", "a.org"], removed), 0);
  assert.match(removed.out(), /^removed user alice from realm a\.org/);
  assert.is((await stat(file)).mode & 0o777, 0o600);
  const again = fakeIo();
  assert.is(await superpeerCli(["user", "remove", "alice", "-u", file, "-r", "a.org"], again), 1);
  assert.match(again.err(), /no user alice in realm a\.org/);
  const after = fakeIo();
  await superpeerCli(["user", "list", "-u", file], after);
  assert.is(after.out(), "bob\tb.org\tMD5\n");
});

test("superpeerCli user add puts the file in <dataDir>/sip_users with realm superpeer by default", async () => {
  const dir = await tempDir();
  const { io } = ioWithPassword("pw");
  assert.is(
    await superpeerCli(["user", "add", "carol", "--set", `dataDir=${dir}`], io),
    0,
    io.err(),
  );
  const users = parseUsersFile(await readFile(join(dir, "sip_users"), "utf8"), "f");
  assert.ok(users.lookup("carol", "superpeer"));
});

test("superpeerCli user refuses bad usage with exit 2 before asking for a password", async () => {
  const dir = await tempDir();
  const file = join(dir, "users");
  const cases: [string[], RegExp][] = [
    [["user"], /expected add, remove or list/],
    [["user", "rename", "x"], /unknown action rename/],
    [["user", "add"], /expected one user name, got 0/],
    [["user", "add", "alice", "hunter2"], /expected one user name, got 2 \(the password is never/],
    [["user", "add", "a:b"], /contains ":"/],
    [["user", "add", "alice", "--algorithms", "SHA-1"], /unknown algorithm SHA-1/],
    [["user", "add", "alice", "--password", "x"], /Unknown option '--password'/],
  ];
  for (const [argv, message] of cases) {
    const { io, prompts } = ioWithPassword("pw");
    assert.is(await superpeerCli([...argv, "-u", file], io), 2, argv.join(" "));
    assert.match(io.err(), message, argv.join(" "));
    assert.equal(prompts, [], argv.join(" "));
  }
  const empty = ioWithPassword("");
  assert.is(await superpeerCli(["user", "add", "alice", "-u", file], empty.io), 2);
  assert.match(empty.io.err(), /password is empty/);
  const control = ioWithPassword("a\u0000b");
  assert.is(await superpeerCli(["user", "add", "alice", "-u", file], control.io), 2);
  assert.match(control.io.err(), /control character/);
  assert.equal(await readdir(dir), []);
});

test("superpeerCli user add refuses a broken users file with its line number and leaves it alone", async () => {
  const dir = await tempDir();
  const file = join(dir, "users");
  const broken = "# users\nalice:r:nothex:\n";
  await writeFile(file, broken, { mode: 0o600 });
  const { io, prompts } = ioWithPassword("pw");
  assert.is(await superpeerCli(["user", "add", "bob", "-u", file, "-r", "r"], io), 2);
  assert.match(io.err(), /line 2: MD5 HA1 of alice is not 32 hex digits/);
  assert.equal(prompts, []);
  assert.is(await readFile(file, "utf8"), broken);
});

test("superpeer user add reads the password from standard input in a real process", async () => {
  const dir = await tempDir();
  const file = join(dir, "users");
  const child = new Deno.Command(DENO_BIN, {
    args: ["run", "-A", MAIN_TS, "user", "add", "dave", "-r", "example.org", "-u", file],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("from stdin\r\nignored second line\n"));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.is(code, 0, new TextDecoder().decode(stderr));
  assert.match(new TextDecoder().decode(stdout), /^added user dave in realm example\.org/);
  const record = parseUsersFile(await readFile(file, "utf8"), file).lookup("dave", "example.org");
  assert.is(
    record?.ha1.MD5,
    digestHa1("MD5", { username: "dave", realm: "example.org", password: "from stdin" }),
  );
});

test("superpeerCli user --help and help user print the usage, exit 0", async () => {
  for (const argv of [["user", "--help"], ["help", "user"], ["user", "add", "--help"]]) {
    const io = fakeIo();
    assert.is(await superpeerCli(argv, io), 0, argv.join(" "));
    assert.match(io.out(), /^Usage: superpeer user add USER/);
  }
  const main = fakeIo();
  await superpeerCli(["help"], main);
  assert.match(main.out(), /\n {2}user +Add, remove or list SIP users/);
});

test.run();
