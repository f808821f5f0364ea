/**
 * Errors of SIP Digest authentication. Neither needs a code of its own in `SuperpeerErrorCode`: a
 * malformed header is a `SyntaxError` that the authenticator turns into a 400 and never lets out,
 * and a bad users file is a configuration error (`CONFIG_INVALID`, exit 2 from the CLI).
 *
 * @module
 */
import { ConfigError, type ConfigIssue } from "../../core/errors.ts";

/**
 * A credentials or challenge header value that does not follow RFC 3261 section 25.1 (auth-param
 * lists): `offset` is the character where parsing stopped.
 *
 * @example
 * ```ts
 * try { parseCredentials('Digest username="alice'); }
 * catch (e) { if (e instanceof AuthHeaderError) console.log(e.offset); } // 16
 * ```
 */
export class AuthHeaderError extends SyntaxError {
  /** Where in the header value the problem is (0-based character index). */
  readonly offset: number;

  constructor(offset: number, message: string) {
    super(`Cannot parse auth header: at ${offset}: ${message}`);
    this.name = "AuthHeaderError";
    this.offset = offset;
  }
}

/** One problem in a users file: its 1-based line number and what is wrong there. */
export interface UsersFileIssue {
  readonly line: number;
  readonly message: string;
}

/**
 * A users file that cannot be used; `issues` lists every bad line (path `line 7`), not only the
 * first, like any configuration error.
 *
 * @example
 * ```ts
 * try { parseUsersFile("alice:r:nothex\n", "users"); }
 * catch (e) { if (e instanceof UsersFileError) console.log(e.lines); } // [1]
 * ```
 */
export class UsersFileError extends ConfigError {
  /** The line numbers of the issues, in file order. */
  readonly lines: readonly number[];

  constructor(source: string, issues: readonly UsersFileIssue[]) {
    const configIssues: ConfigIssue[] = issues.map((issue) => ({
      path: issue.line > 0 ? `line ${issue.line}` : "",
      message: issue.message,
    }));
    super(source, configIssues);
    this.name = "UsersFileError";
    this.lines = issues.map((issue) => issue.line);
  }
}
