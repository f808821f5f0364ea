/**
 * The SIP users file: who may register, as HA1 hashes (RFC 7616 section 3.4.2), never passwords.
 * Pure text in, records out; reading and writing the file is the caller's (`superpeer user add`,
 * the SIP service).
 *
 * Format, version 1, UTF-8, one user per line (like Apache's htdigest, with a field per
 * algorithm):
 *
 * ```
 * # comment lines start with "#"; blank lines are ignored
 * USER:REALM:MD5-HA1:SHA-256-HA1[:SHA-512-256-HA1]
 * alice:example.org:5f0e...(32 hex):9a3b...(64 hex):
 * ```
 *
 * - USER and REALM: 1 to 128 characters, no ":", no white space, no control character; USER does
 *   not start with "#". Both are case-sensitive, as in the hash.
 * - Each HA1 is H(USER ":" REALM ":" password) in hex (either case) with that algorithm, or empty
 *   when the user may not use it (e.g. `bob:example.org::<sha-256>` refuses MD5 for bob). At least
 *   one is present.
 * - A user may appear once per realm.
 *
 * Errors name every bad line by number.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  DEFAULT_MAX_USERS,
  DEFAULT_MAX_USERS_FILE_BYTES,
  MAX_USERNAME_LENGTH,
} from "./constants.ts";
import { DIGEST_HEX_LENGTH, type DigestAlgorithm, digestHa1 } from "./digest_algorithms.ts";
import { UsersFileError, type UsersFileIssue } from "./digest_errors.ts";

/** One user of one realm and its HA1 per algorithm (lower-case hex). */
export interface UserRecord {
  readonly username: string;
  readonly realm: string;
  /** HA1 per algorithm; an algorithm without one cannot be used by this user. */
  readonly ha1: Readonly<Partial<Record<DigestAlgorithm, string>>>;
}

/** Where the authenticator looks users up; UsersTable is one, a test or a database may be another. */
export interface UserDirectory {
  /** The record of `username` in `realm`, both compared exactly; undefined when unknown. */
  lookup(username: string, realm: string): UserRecord | undefined;
}

/** The algorithms of the HA1 fields, in file order. */
export const USERS_FILE_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze([
  "MD5",
  "SHA-256",
  "SHA-512-256",
]);

/** The comment written at the top of a new users file. */
export const USERS_FILE_HEADER = "# superpeer SIP users, version 1: " +
  "user:realm:MD5-HA1:SHA-256-HA1[:SHA-512-256-HA1] (HA1 = H(user:realm:password))\n";

const MAX_ISSUES = 20;
// deno-lint-ignore no-control-regex -- control characters are what is refused
const BAD_NAME = /[:\s\x00-\x1f\x7f]/;
const HEX = /^[0-9a-fA-F]+$/;

const key = (username: string, realm: string): string => `${username}\n${realm}`;

/**
 * Why `username` or `realm` cannot be in a users file, or undefined when it can.
 *
 * @example
 * ```ts
 * userNameProblem("alice", "example.org"); // undefined
 * userNameProblem("a:b", "example.org"); // 'user "a:b" contains ":", white space or a control character'
 * ```
 */
export function userNameProblem(username: string, realm: string): string | undefined {
  for (const [what, text] of [["user", username], ["realm", realm]] as const) {
    if (text.length === 0) return `${what} is empty`;
    if (text.length > MAX_USERNAME_LENGTH) {
      return `${what} is longer than ${MAX_USERNAME_LENGTH} characters`;
    }
    if (BAD_NAME.test(text)) {
      return `${what} ${JSON.stringify(text)} contains ":", white space or a control character`;
    }
  }
  if (username.startsWith("#")) return `user ${JSON.stringify(username)} starts with "#"`;
  return undefined;
}

/**
 * The users of a users file, looked up by user and realm.
 *
 * @example
 * ```ts
 * const users = parseUsersFile(text, "/var/lib/superpeer/sip_users");
 * users.lookup("alice", "example.org")?.ha1["SHA-256"];
 * ```
 */
export class UsersTable implements UserDirectory {
  readonly #records = new Map<string, UserRecord>();

  /** Throws TypeError on a duplicate user and realm or a bad name (use parseUsersFile for text). */
  constructor(records: Iterable<UserRecord> = []) {
    for (const record of records) {
      const problem = userNameProblem(record.username, record.realm);
      if (problem !== undefined) throw new TypeError(`Cannot add user: ${problem}`);
      const k = key(record.username, record.realm);
      if (this.#records.has(k)) {
        throw new TypeError(`Cannot add user: ${record.username} twice in realm ${record.realm}`);
      }
      this.#records.set(k, record);
    }
  }

  /** Users (user and realm pairs). */
  get size(): number {
    return this.#records.size;
  }

  lookup(username: string, realm: string): UserRecord | undefined {
    return this.#records.get(key(username, realm));
  }

  /** Every record, in file order. */
  records(): IterableIterator<UserRecord> {
    return this.#records.values();
  }
}

/** Limits of parseUsersFile(). */
export interface ParseUsersFileOptions {
  /** @default DEFAULT_MAX_USERS (10,000) */
  readonly maxUsers?: number;
  /** @default DEFAULT_MAX_USERS_FILE_BYTES (4 MiB) */
  readonly maxBytes?: number;
}

/** Parses one non-comment line; a string is the problem with it. */
function parseLine(line: string): UserRecord | string {
  const fields = line.split(":");
  if (fields.length !== 4 && fields.length !== 5) {
    return `expected user:realm:MD5-HA1:SHA-256-HA1[:SHA-512-256-HA1], found ${fields.length} fields`;
  }
  const [username, realm] = fields as [string, string];
  const problem = userNameProblem(username, realm);
  if (problem !== undefined) return problem;
  const ha1: Partial<Record<DigestAlgorithm, string>> = {};
  for (const [i, algorithm] of USERS_FILE_ALGORITHMS.entries()) {
    const hex = fields[i + 2] ?? "";
    if (hex === "") continue;
    if (hex.length !== DIGEST_HEX_LENGTH[algorithm] || !HEX.test(hex)) {
      return `${algorithm} HA1 of ${username} is not ${DIGEST_HEX_LENGTH[algorithm]} hex digits`;
    }
    ha1[algorithm] = hex.toLowerCase();
  }
  if (Object.keys(ha1).length === 0) return `user ${username} has no HA1 at all`;
  return { username, realm, ha1 };
}

/**
 * Parses a users file. Throws UsersFileError listing every bad line (up to 20) by number: wrong
 * field count, bad names, HA1 of the wrong length or not hex, a user twice in a realm, too many
 * users; or a file over `maxBytes` (line 0).
 *
 * @example
 * ```ts
 * const users = parseUsersFile("alice:example.org:" + "0".repeat(32) + ":\n", "users");
 * users.lookup("alice", "example.org")?.ha1.MD5; // "000...0"
 * ```
 */
export function parseUsersFile(
  text: string,
  source: string,
  options: ParseUsersFileOptions = {},
): UsersTable {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_USERS_FILE_BYTES;
  const maxUsers = options.maxUsers ?? DEFAULT_MAX_USERS;
  if (text.length > maxBytes || Buffer.byteLength(text, "utf8") > maxBytes) {
    throw new UsersFileError(source, [{
      line: 0,
      message: `file is larger than ${maxBytes} bytes`,
    }]);
  }
  const issues: UsersFileIssue[] = [];
  const records: UserRecord[] = [];
  const firstLine = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length && issues.length < MAX_ISSUES; i++) {
    const line = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const lineNumber = i + 1;
    const parsed = parseLine(line);
    if (typeof parsed === "string") {
      issues.push({ line: lineNumber, message: parsed });
      continue;
    }
    const k = key(parsed.username, parsed.realm);
    const earlier = firstLine.get(k);
    if (earlier !== undefined) {
      issues.push({
        line: lineNumber,
        message: `user ${parsed.username} is already in realm ${parsed.realm} on line ${earlier}`,
      });
      continue;
    }
    if (records.length >= maxUsers) {
      issues.push({ line: lineNumber, message: `more than ${maxUsers} users` });
      break;
    }
    firstLine.set(k, lineNumber);
    records.push(parsed);
  }
  if (issues.length > 0) throw new UsersFileError(source, issues);
  return new UsersTable(records);
}

/**
 * The users file line of `record` (without the newline).
 *
 * @example
 * ```ts
 * formatUserLine(makeUserRecord("alice", "example.org", "secret")); // "alice:example.org:<32 hex>:<64 hex>:<64 hex>"
 * ```
 */
export function formatUserLine(record: UserRecord): string {
  const problem = userNameProblem(record.username, record.realm);
  if (problem !== undefined) throw new TypeError(`Cannot write user: ${problem}`);
  const fields = USERS_FILE_ALGORITHMS.map((algorithm) => record.ha1[algorithm] ?? "");
  while (fields.length > 2 && fields[fields.length - 1] === "") fields.pop();
  return [record.username, record.realm, ...fields].join(":");
}

/**
 * The record of a user with `password`, with an HA1 for each of `algorithms` (default: all).
 * The password is not kept.
 *
 * @example
 * ```ts
 * makeUserRecord("alice", "example.org", "secret", ["SHA-256"]).ha1["SHA-256"]?.length; // 64
 * ```
 */
export function makeUserRecord(
  username: string,
  realm: string,
  password: string,
  algorithms: readonly DigestAlgorithm[] = USERS_FILE_ALGORITHMS,
): UserRecord {
  const problem = userNameProblem(username, realm);
  if (problem !== undefined) throw new TypeError(`Cannot make user: ${problem}`);
  const ha1: Partial<Record<DigestAlgorithm, string>> = {};
  for (const algorithm of algorithms) {
    ha1[algorithm] = digestHa1(algorithm, { username, realm, password });
  }
  return { username, realm, ha1 };
}

/** Index of the line of `username` in `realm` in `lines`, or -1 (lines already known valid). */
function findUserLine(lines: readonly string[], username: string, realm: string): number {
  const prefix = `${username}:${realm}:`;
  return lines.findIndex((line) => line.trimStart().startsWith(prefix));
}

/**
 * `text` (a valid users file, or "" for a new one) with `record` added, or replacing the line of
 * the same user and realm; other lines and comments are kept as they are. Throws UsersFileError
 * when `text` is not a valid users file.
 *
 * @example
 * ```ts
 * const { text, replaced } = upsertUserLine(old, makeUserRecord("alice", "example.org", pw));
 * ```
 */
export function upsertUserLine(
  text: string,
  record: UserRecord,
  source = "users file",
): { readonly text: string; readonly replaced: boolean } {
  parseUsersFile(text, source);
  const line = formatUserLine(record);
  const lines = text === "" ? USERS_FILE_HEADER.split("\n") : text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const at = findUserLine(lines, record.username, record.realm);
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  return { text: lines.join("\n") + "\n", replaced: at >= 0 };
}

/**
 * `text` without the line of `username` in `realm`; `removed` says whether there was one. Throws
 * UsersFileError when `text` is not a valid users file.
 *
 * @example
 * ```ts
 * const { text, removed } = removeUserLine(old, "alice", "example.org");
 * ```
 */
export function removeUserLine(
  text: string,
  username: string,
  realm: string,
  source = "users file",
): { readonly text: string; readonly removed: boolean } {
  parseUsersFile(text, source);
  const lines = text.split("\n");
  const at = findUserLine(lines, username, realm);
  if (at < 0) return { text, removed: false };
  lines.splice(at, 1);
  return { text: lines.join("\n"), removed: true };
}
