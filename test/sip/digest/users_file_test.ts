import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  digestHa1,
  formatUserLine,
  makeUserRecord,
  parseUsersFile,
  removeUserLine,
  upsertUserLine,
  USERS_FILE_HEADER,
  UsersFileError,
  UsersTable,
} from "../../../src/sip/digest/mod.ts";
import { ConfigError } from "../../../src/core/errors.ts";

const MD5 = "939e7578ed9e3c518a452acee763bce9";
const SHA = "a".repeat(64);

/** The UsersFileError parsing `text` throws; fails the test when it throws nothing. */
function usersFileError(text: string): UsersFileError {
  try {
    parseUsersFile(text, "users.txt");
  } catch (e) {
    assert.instance(e, UsersFileError);
    return e as UsersFileError;
  }
  assert.unreachable("expected a UsersFileError");
  throw new Error("unreachable");
}

test("parseUsersFile() reads users per realm, comments, blank lines, CRLF and upper-case hex", () => {
  const users = parseUsersFile(
    `# users\n\nalice:example.org:${MD5.toUpperCase()}:${SHA}\r\n` +
      `  # indented comment\nalice:other.org::${SHA}:${"b".repeat(64)}\nbob:example.org:${MD5}:\n`,
    "users.txt",
  );
  assert.is(users.size, 3);
  assert.equal(users.lookup("alice", "example.org")?.ha1, { "MD5": MD5, "SHA-256": SHA });
  assert.equal(users.lookup("alice", "other.org")?.ha1, {
    "SHA-256": SHA,
    "SHA-512-256": "b".repeat(64),
  });
  assert.equal(users.lookup("bob", "example.org")?.ha1, { "MD5": MD5 });
  assert.is(users.lookup("Alice", "example.org"), undefined);
  assert.is(users.lookup("bob", "other.org"), undefined);
  assert.is(parseUsersFile("", "empty").size, 0);
});

test("parseUsersFile() names every bad line by number, as a configuration error", () => {
  const text = [
    `alice:example.org:${MD5}:${SHA}`, // 1 ok
    "# fine", // 2
    `bob:example.org:${MD5}`, // 3 too few fields
    `carol:example.org:${MD5.slice(1)}:`, // 4 short MD5
    `dave:example.org:${MD5}:${"g".repeat(64)}`, // 5 not hex
    `alice:example.org:${MD5}:`, // 6 duplicate of line 1
    `eve:example.org::`, // 7 no HA1
    `fr ank:example.org:${MD5}:`, // 8 white space in name
    `:example.org:${MD5}:`, // 9 empty user
    `gina:example.org:${MD5}:${SHA}:${SHA}:extra`, // 10 too many fields
  ].join("\n");
  const error = usersFileError(text);
  assert.instance(error, ConfigError);
  assert.is(error.code, "CONFIG_INVALID");
  assert.equal(error.lines, [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.match(error.message, /users\.txt/);
  assert.match(error.message, /line 3: expected user:realm:MD5-HA1/);
  assert.match(error.message, /line 4: MD5 HA1 of carol is not 32 hex digits/);
  assert.match(error.message, /line 5: SHA-256 HA1 of dave is not 64 hex digits/);
  assert.match(error.message, /line 6: user alice is already in realm example\.org on line 1/);
  assert.match(error.message, /line 7: user eve has no HA1 at all/);
  assert.match(error.message, /line 8: user "fr ank" contains/);
  assert.match(error.message, /line 9: user is empty/);
  assert.match(error.message, /line 10: .*found 6 fields/);
});

test("parseUsersFile() enforces its user and byte caps", () => {
  const line = (i: number) => `u${i}:r:${MD5}:`;
  const three = [1, 2, 3].map(line).join("\n");
  assert.is(parseUsersFile(three, "f", { maxUsers: 3 }).size, 3);
  const error = (() => {
    try {
      parseUsersFile(three, "f", { maxUsers: 2 });
    } catch (e) {
      return e as UsersFileError;
    }
    return undefined;
  })();
  assert.equal(error?.lines, [3]);
  assert.throws(
    () => parseUsersFile(three, "f", { maxBytes: 10 }),
    (e: unknown) => e instanceof UsersFileError && /larger than 10 bytes/.test(e.message),
  );
});

test("makeUserRecord() stores HA1 hashes only, and formatUserLine() writes a line that parses back", () => {
  const record = makeUserRecord("alice", "example.org", "Circle Of Life");
  assert.is(
    record.ha1.MD5,
    digestHa1("MD5", { username: "alice", realm: "example.org", password: "Circle Of Life" }),
  );
  assert.is(record.ha1["SHA-256"]?.length, 64);
  assert.is(record.ha1["SHA-512-256"]?.length, 64);
  const line = formatUserLine(record);
  assert.not.match(line, /Circle/);
  assert.equal(parseUsersFile(line, "f").lookup("alice", "example.org"), record);
  const md5Only = makeUserRecord("bob", "example.org", "pw", ["MD5"]);
  assert.is(formatUserLine(md5Only), `bob:example.org:${md5Only.ha1.MD5}:`);
  assert.throws(() => makeUserRecord("a:b", "r", "pw"), (e: unknown) => e instanceof TypeError);
  assert.throws(() => makeUserRecord("#a", "r", "pw"), (e: unknown) => e instanceof TypeError);
  assert.throws(() => new UsersTable([md5Only, md5Only]), (e: unknown) => e instanceof TypeError);
});

test("upsertUserLine() adds to a new file with a header, replaces in place and keeps comments", () => {
  const first = upsertUserLine("", makeUserRecord("alice", "example.org", "one"));
  assert.is(first.replaced, false);
  assert.ok(first.text.startsWith(USERS_FILE_HEADER));
  const withComment = first.text + "# keep me\n";
  const second = upsertUserLine(withComment, makeUserRecord("bob", "example.org", "two"));
  const third = upsertUserLine(second.text, makeUserRecord("alice", "example.org", "three"));
  assert.is(third.replaced, true);
  const lines = third.text.split("\n");
  assert.is(lines[0] + "\n", USERS_FILE_HEADER);
  assert.ok(lines[1]!.startsWith("alice:example.org:"));
  assert.is(lines[2], "# keep me");
  assert.ok(lines[3]!.startsWith("bob:example.org:"));
  const users = parseUsersFile(third.text, "f");
  assert.is(users.size, 2);
  assert.equal(
    users.lookup("alice", "example.org"),
    makeUserRecord("alice", "example.org", "three"),
  );
  assert.throws(
    () => upsertUserLine("broken line\n", makeUserRecord("a", "r", "p")),
    (e: unknown) => e instanceof UsersFileError,
  );
});

test("removeUserLine() removes only that user of that realm", () => {
  let text = upsertUserLine("", makeUserRecord("alice", "a.org", "x")).text;
  text = upsertUserLine(text, makeUserRecord("alice", "b.org", "x")).text;
  const removed = removeUserLine(text, "alice", "a.org");
  assert.is(removed.removed, true);
  const users = parseUsersFile(removed.text, "f");
  assert.is(users.lookup("alice", "a.org"), undefined);
  assert.ok(users.lookup("alice", "b.org"));
  assert.equal(removeUserLine(removed.text, "alice", "a.org"), {
    text: removed.text,
    removed: false,
  });
});

test.run();
