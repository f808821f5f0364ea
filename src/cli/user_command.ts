import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SuperpeerError, UsageError } from "../core/errors.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import {
  DEFAULT_MAX_USERS_FILE_BYTES,
  DEFAULT_REALM,
  DEFAULT_USERS_FILE_NAME,
  type DigestAlgorithm,
  digestAlgorithm,
  makeUserRecord,
  MAX_PASSWORD_LENGTH,
  parseUsersFile,
  removeUserLine,
  upsertUserLine,
  userNameProblem,
  USERS_FILE_ALGORITHMS,
} from "../sip/digest/mod.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** The users file's permission bits: HA1 hashes are password equivalents for their realm. */
export const USERS_FILE_MODE = 0o600;

/** Where `superpeer user add` gets the password from; tests pass their own. */
export interface PasswordSource {
  /**
   * The password: typed without echo at a terminal (twice when `confirm`), else the first line of
   * standard input.
   */
  readPassword(prompt: string, options: { readonly confirm: boolean }): Promise<string>;
}

/**
 * `superpeer user add|remove|list`: manages the SIP users file (HA1 hashes, never passwords; the
 * password comes from standard input or a prompt without echo, never from the command line).
 *
 * @example
 * ```ts
 * const code = await userCommand(["add", "alice", "--realm", "example.org"], processIo());
 * ```
 */
export async function userCommand(
  args: readonly string[],
  io: CliIo & Partial<PasswordSource>,
): Promise<number> {
  const parsed = parseOptions(args, {
    ...CONFIG_OPTION_SPECS,
    realm: { type: "string", short: "r" },
    "users-file": { type: "string", short: "u" },
    algorithms: { type: "string" },
  }, "user");
  if (parsed.values.help) {
    io.stdout(HELP.user ?? "");
    return ExitCode.Ok;
  }
  const [action, ...names] = parsed.positionals;
  const realm = stringOption(parsed, "realm");
  let path = stringOption(parsed, "users-file");
  if (path === undefined) {
    const { config } = await loadConfig({
      path: stringOption(parsed, "config"),
      sets: stringsOption(parsed, "set"),
      env: io.env,
    });
    path = join(config.dataDir, DEFAULT_USERS_FILE_NAME);
  }
  switch (action) {
    case "add": {
      const username = oneName(names, "add");
      const algorithms = parseAlgorithms(stringOption(parsed, "algorithms"));
      const userRealm = realm ?? DEFAULT_REALM;
      const problem = userNameProblem(username, userRealm);
      if (problem !== undefined) throw new UsageError(`user add: ${problem}`);
      const old = await readUsersFile(path);
      // Check the file before asking for a password the user would then type for nothing.
      parseUsersFile(old, path);
      const source = io.readPassword === undefined ? processPasswordSource : io as PasswordSource;
      const password = await source.readPassword(`Password for ${username}@${userRealm}: `, {
        confirm: true,
      });
      checkPassword(password);
      const record = makeUserRecord(username, userRealm, password, algorithms);
      const { text, replaced } = upsertUserLine(old, record, path);
      await writeUsersFile(path, text);
      io.stdout(
        `${replaced ? "replaced" : "added"} user ${username} in realm ${userRealm} ` +
          `(${algorithms.join(", ")})\nusers file ${path} (mode 0600)\n`,
      );
      return ExitCode.Ok;
    }
    case "remove": {
      const username = oneName(names, "remove");
      const userRealm = realm ?? DEFAULT_REALM;
      const old = await readUsersFile(path);
      const { text, removed } = removeUserLine(old, username, userRealm, path);
      if (!removed) {
        io.stderr(`superpeer user remove: no user ${username} in realm ${userRealm} in ${path}\n`);
        return ExitCode.Failure;
      }
      await writeUsersFile(path, text);
      io.stdout(`removed user ${username} from realm ${userRealm}\nusers file ${path}\n`);
      return ExitCode.Ok;
    }
    case "list": {
      if (names.length > 0) throw new UsageError(`user list: unexpected argument ${names[0]}`);
      const users = parseUsersFile(await readUsersFile(path), path);
      for (const record of users.records()) {
        if (realm !== undefined && record.realm !== realm) continue;
        const algorithms = USERS_FILE_ALGORITHMS.filter((a) => record.ha1[a] !== undefined);
        io.stdout(`${record.username}\t${record.realm}\t${algorithms.join(",")}\n`);
      }
      return ExitCode.Ok;
    }
    case undefined:
      throw new UsageError("user: expected add, remove or list (see superpeer user --help)");
    default:
      throw new UsageError(`user: unknown action ${action} (see superpeer user --help)`);
  }
}

function oneName(names: readonly string[], action: string): string {
  if (names.length !== 1) {
    throw new UsageError(
      `user ${action}: expected one user name, got ${names.length} (the password is never an argument)`,
    );
  }
  return names[0]!;
}

function parseAlgorithms(text: string | undefined): DigestAlgorithm[] {
  if (text === undefined) return [...USERS_FILE_ALGORITHMS];
  const out: DigestAlgorithm[] = [];
  for (const name of text.split(",").map((s) => s.trim()).filter((s) => s.length > 0)) {
    const algorithm = digestAlgorithm(name);
    if (algorithm === undefined) {
      throw new UsageError(
        `user add: unknown algorithm ${name}, expected ${USERS_FILE_ALGORITHMS.join(", ")}`,
      );
    }
    if (!out.includes(algorithm)) out.push(algorithm);
  }
  if (out.length === 0) throw new UsageError("user add: --algorithms names none");
  return out;
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new UsageError("user add: the password is empty");
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(`user add: the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  if (/[\x00-\x1f\x7f]/.test(password)) {
    throw new UsageError("user add: the password contains a control character");
  }
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}

/** The users file's text; "" when it does not exist yet. */
async function readUsersFile(path: string): Promise<string> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > DEFAULT_MAX_USERS_FILE_BYTES) {
      throw new SuperpeerError(
        "CONFIG_UNREADABLE",
        `Cannot read users file: ${path} is larger than ${DEFAULT_MAX_USERS_FILE_BYTES} bytes`,
      );
    }
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return "";
    if (error instanceof SuperpeerError) throw error;
    throw new SuperpeerError(
      "CONFIG_UNREADABLE",
      `Cannot read users file: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Replaces the users file atomically: a new file (mode 0600) next to it, then rename, so a reader
 * (the daemon on SIGHUP) sees the old or the new file, never half of one.
 */
async function writeUsersFile(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temp, text, { mode: USERS_FILE_MODE, flag: "wx" });
    await chmod(temp, USERS_FILE_MODE);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new SuperpeerError(
      "CONFIG_UNREADABLE",
      `Cannot write users file: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Reads a password from the real standard input: hidden at a terminal, else its first line. */
export const processPasswordSource: PasswordSource = {
  async readPassword(prompt, options) {
    const stdin = process.stdin;
    if (!stdin.isTTY) return await readFirstLine();
    const first = await readHidden(prompt);
    if (options.confirm && (await readHidden("Again: ")) !== first) {
      throw new UsageError("user add: the passwords do not match");
    }
    return first;
  },
};

/** The first line of standard input (without its line end), read up to a small cap. */
async function readFirstLine(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) {
    text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk as Uint8Array);
    if (text.includes("\n") || text.length > MAX_PASSWORD_LENGTH * 4) break;
  }
  const end = text.indexOf("\n");
  const line = end >= 0 ? text.slice(0, end) : text;
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Reads one line at the terminal with echo off; Ctrl-C or Ctrl-D cancels. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (result: () => void) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      result();
    };
    const onData = (chunk: Uint8Array | string) => {
      const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      for (const char of text) {
        if (char === "\r" || char === "\n") return finish(() => resolve(typed.join("")));
        if (char === "\u0003" || char === "\u0004") {
          return finish(() => reject(new UsageError("user add: cancelled")));
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed.push(char);
      }
    };
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
