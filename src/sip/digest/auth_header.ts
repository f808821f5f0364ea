/**
 * Credentials (`Authorization`, `Proxy-Authorization`) and challenges (`WWW-Authenticate`,
 * `Proxy-Authenticate`) of SIP Digest, read from and written to one header field *value* (the text
 * after the colon, unfolded or with CRLF folds), so this module does not depend on the SIP message
 * parser. Grammar: RFC 3261 section 25.1 (`credentials`, `challenge`, `auth-param`), with RFC 7616
 * section 3 for the parameters RFC 3261 does not name.
 *
 * Each value holds one credentials or one challenge: RFC 3261 section 7.3.1 forbids combining
 * these header fields with commas, so several of them arrive as several header field values.
 *
 * Leniency, deliberate: any parameter value may be a token or a quoted-string (phones quote `qop`
 * and `nc` or leave `algorithm` quoted, against the grammar; the value is the same). Unknown
 * parameters are kept in `params` and otherwise ignored (RFC 7616 section 3.4: "any unrecognized
 * directive MUST be ignored").
 *
 * @module
 */
import { AuthHeaderError } from "./digest_errors.ts";
import { MAX_AUTH_HEADER_LENGTH, MAX_AUTH_PARAMS } from "./constants.ts";

/** One auth-param as written: its name in lower case, its unescaped value, and whether quoted. */
export interface AuthParam {
  /** Lower case; parameter names are case-insensitive (RFC 3261 section 7.3.1). */
  readonly name: string;
  /** The value, with a quoted-string's quotes removed and its quoted-pairs unescaped. */
  readonly value: string;
  readonly quoted: boolean;
}

/** A parsed credentials or challenge: the scheme and its auth-params by lower-case name. */
export interface AuthHeader {
  /** The scheme as written ("Digest", "digest", "Basic", ...). */
  readonly scheme: string;
  /** Every auth-param in order of appearance, keyed by lower-case name. */
  readonly params: ReadonlyMap<string, AuthParam>;
  /**
   * The token68 after the scheme, for schemes that carry one instead of parameters (RFC 7235
   * section 2.1; SIP Bearer, RFC 8898); then `params` is empty.
   */
  readonly token68?: string;
}

/** Digest credentials (RFC 3261 section 25.1 `digest-response`, RFC 7616 section 3.4). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  /** The digest-uri: the Request-URI the client signed. */
  readonly uri: string;
  /** The request-digest, in hex (letter case as sent). */
  readonly response: string;
  /** The algorithm as sent; "MD5" when absent (RFC 7616 section 3.4). */
  readonly algorithm: string;
  /** The message-qop, when present ("auth", "auth-int", ...). */
  readonly qop?: string;
  /** The nonce-count, 8 hex digits, present with a qop. */
  readonly nc?: string;
  /** The client nonce, present with a qop. */
  readonly cnonce?: string;
  readonly opaque?: string;
  /** `userhash=true` (RFC 7616 section 3.4.4): the username is hashed. */
  readonly userhash: boolean;
  /** Every parameter, including unknown ones. */
  readonly params: ReadonlyMap<string, AuthParam>;
}

/** A Digest challenge (RFC 3261 section 25.1 `digest-cln`, RFC 7616 section 3.3). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  /** The algorithm as sent; absent means MD5. */
  readonly algorithm?: string;
  /** The qop-options, split at commas; empty when the challenge has no qop. */
  readonly qop: readonly string[];
  readonly opaque?: string;
  readonly domain?: string;
  /** `stale=true`, case-insensitive. */
  readonly stale: boolean;
  /** Every parameter, including unknown ones. */
  readonly params: ReadonlyMap<string, AuthParam>;
}

// RFC 3261 section 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") {
  TOKEN_CHARS[c.charCodeAt(0)] = 1;
}
const isTokenChar = (code: number): boolean => code < 128 && TOKEN_CHARS[code] === 1;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const HEX8 = /^[0-9A-Fa-f]{8}$/;
// RFC 7235 section 2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const TOKEN68 = /^([A-Za-z0-9\-._~+/]+=*)[ \t]*$/;

/** Index after linear white space at `at`: SP, HTAB, and CRLF folds followed by SP or HTAB. */
function skipLws(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
    } else if (
      c === 0x0d && text.charCodeAt(i + 1) === 0x0a &&
      (text.charCodeAt(i + 2) === 0x20 || text.charCodeAt(i + 2) === 0x09)
    ) {
      i += 3;
    } else {
      return i;
    }
  }
}

function readToken(text: string, at: number): number {
  let i = at;
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
  return i;
}

/** Reads a quoted-string whose opening quote is at `at`; returns its value and the end index. */
function readQuoted(text: string, at: number): [string, number] {
  let value = "";
  let i = at + 1;
  let run = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return [value + text.slice(run, i), i + 1];
    if (c === 0x5c) {
      // RFC 3261 section 25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next) || next === 0x0a || next === 0x0d || next > 0x7f) {
        throw new AuthHeaderError(i, "backslash not followed by an escapable character");
      }
      value += text.slice(run, i) + text[i + 1];
      i += 2;
      run = i;
    } else if (c === 0x0d) {
      const end = skipLws(text, i);
      if (end === i) throw new AuthHeaderError(i, "line break inside a quoted string");
      i = end;
    } else if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      throw new AuthHeaderError(i, "control character inside a quoted string");
    } else {
      i++;
    }
  }
  throw new AuthHeaderError(at, "quoted string not closed");
}

/**
 * Parses one credentials or challenge value of any scheme: `scheme LWS auth-param *(COMMA
 * auth-param)`, or `scheme LWS token68` (RFC 7235). Names are case-insensitive and may appear once; values are tokens or quoted
 * strings. Throws AuthHeaderError (with the offset) on anything else.
 *
 * @example
 * ```ts
 * const h = parseAuthHeader('Digest realm="a.example", qop=auth');
 * h.params.get("qop")?.value; // "auth"
 * ```
 */
export function parseAuthHeader(value: string): AuthHeader {
  if (value.length > MAX_AUTH_HEADER_LENGTH) {
    throw new AuthHeaderError(MAX_AUTH_HEADER_LENGTH, `longer than ${MAX_AUTH_HEADER_LENGTH}`);
  }
  let i = skipLws(value, 0);
  const schemeEnd = readToken(value, i);
  if (schemeEnd === i) throw new AuthHeaderError(i, "expected an auth scheme");
  const scheme = value.slice(i, schemeEnd);
  const params = new Map<string, AuthParam>();
  i = skipLws(value, schemeEnd);
  if (i === value.length) return { scheme, params };
  if (i === schemeEnd) throw new AuthHeaderError(i, "expected white space after the scheme");
  const token68 = TOKEN68.exec(value.slice(i));
  if (token68 !== null) return { scheme, params, token68: token68[1]! };
  for (;;) {
    const nameEnd = readToken(value, i);
    if (nameEnd === i) throw new AuthHeaderError(i, "expected a parameter name");
    const name = value.slice(i, nameEnd).toLowerCase();
    i = skipLws(value, nameEnd);
    if (value[i] !== "=") throw new AuthHeaderError(i, `expected "=" after ${name}`);
    i = skipLws(value, i + 1);
    let param: AuthParam;
    if (value[i] === '"') {
      const [text, end] = readQuoted(value, i);
      param = { name, value: text, quoted: true };
      i = end;
    } else {
      const end = readToken(value, i);
      if (end === i) throw new AuthHeaderError(i, `expected a token or quoted string for ${name}`);
      param = { name, value: value.slice(i, end), quoted: false };
      i = end;
    }
    if (params.has(name)) throw new AuthHeaderError(nameEnd - name.length, `duplicate ${name}`);
    if (params.size >= MAX_AUTH_PARAMS) {
      throw new AuthHeaderError(i, `more than ${MAX_AUTH_PARAMS} parameters`);
    }
    params.set(name, param);
    i = skipLws(value, i);
    if (i === value.length) return { scheme, params };
    if (value[i] !== ",") throw new AuthHeaderError(i, 'expected "," between parameters');
    i = skipLws(value, i + 1);
  }
}

function required(header: AuthHeader, name: string): string {
  const param = header.params.get(name);
  if (param === undefined) throw new AuthHeaderError(0, `missing ${name}`);
  return param.value;
}

const optional = (header: AuthHeader, name: string): string | undefined =>
  header.params.get(name)?.value;

/**
 * Parses Digest credentials; `undefined` when the value is of another scheme (RFC 3261 section
 * 22.3: a server looks through all values for the one it can use). Throws AuthHeaderError when a
 * Digest value is malformed or lacks a required parameter.
 *
 * @example
 * ```ts
 * const c = parseDigestCredentials(
 *   'Digest username="bob", realm="b.example", nonce="n", uri="sip:b.example", response="0123"',
 * );
 * c?.algorithm; // "MD5"
 * ```
 */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const header = parseAuthHeader(value);
  return header.scheme.toLowerCase() === "digest" ? digestCredentialsOf(header) : undefined;
}

/**
 * The Digest credentials in an already parsed header (of scheme Digest): checks that the required
 * parameters are there and that nc is 8 hex digits. Throws AuthHeaderError otherwise.
 *
 * @example
 * ```ts
 * const header = parseAuthHeader(value);
 * if (header.params.get("realm")?.value === myRealm) use(digestCredentialsOf(header));
 * ```
 */
export function digestCredentialsOf(header: AuthHeader): DigestCredentials {
  const qop = optional(header, "qop");
  const nc = optional(header, "nc");
  const cnonce = optional(header, "cnonce");
  if (qop !== undefined) {
    // RFC 7616 section 3.4: cnonce and nc MUST be sent when qop is.
    if (cnonce === undefined) throw new AuthHeaderError(0, "qop without cnonce");
    if (nc === undefined) throw new AuthHeaderError(0, "qop without nc");
  }
  // RFC 3261 section 25.1: nonce-count = "nc" EQUAL nc-value; nc-value = 8LHEX
  if (nc !== undefined && !HEX8.test(nc)) throw new AuthHeaderError(0, "nc is not 8 hex digits");
  const opaque = optional(header, "opaque");
  const userhash = optional(header, "userhash");
  return {
    username: required(header, "username"),
    realm: required(header, "realm"),
    nonce: required(header, "nonce"),
    uri: required(header, "uri"),
    response: required(header, "response"),
    algorithm: optional(header, "algorithm") ?? "MD5",
    ...(qop === undefined ? {} : { qop }),
    ...(nc === undefined ? {} : { nc }),
    ...(cnonce === undefined ? {} : { cnonce }),
    ...(opaque === undefined ? {} : { opaque }),
    userhash: userhash?.toLowerCase() === "true",
    params: header.params,
  };
}

/**
 * Parses a Digest challenge; `undefined` when the value is of another scheme. Throws
 * AuthHeaderError when a Digest value is malformed or lacks realm or nonce.
 *
 * @example
 * ```ts
 * const ch = parseDigestChallenge('Digest realm="a", nonce="n", qop="auth,auth-int"');
 * ch?.qop; // ["auth", "auth-int"]
 * ```
 */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const header = parseAuthHeader(value);
  if (header.scheme.toLowerCase() !== "digest") return undefined;
  const qopText = optional(header, "qop");
  const qop = qopText === undefined
    ? []
    : qopText.split(",").map((q) => q.trim()).filter((q) => q.length > 0);
  const algorithm = optional(header, "algorithm");
  const opaque = optional(header, "opaque");
  const domain = optional(header, "domain");
  return {
    realm: required(header, "realm"),
    nonce: required(header, "nonce"),
    ...(algorithm === undefined ? {} : { algorithm }),
    qop,
    ...(opaque === undefined ? {} : { opaque }),
    ...(domain === undefined ? {} : { domain }),
    stale: optional(header, "stale")?.toLowerCase() === "true",
    params: header.params,
  };
}

/**
 * A quoted-string of `text`: `"` and `\` escaped. Throws TypeError for CR, LF and other control
 * characters, which no quoted-string can carry (RFC 3261 section 25.1).
 *
 * @example
 * ```ts
 * quoteString('say "hi"'); // '"say \\"hi\\""'
 * ```
 */
export function quoteString(text: string): string {
  // deno-lint-ignore no-control-regex -- the control characters are what is refused
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
    throw new TypeError(`Cannot quote a string with a control character: ${JSON.stringify(text)}`);
  }
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function tokenValue(name: string, text: string): string {
  if (!TOKEN.test(text)) throw new TypeError(`Cannot write ${name}: "${text}" is not a token`);
  return text;
}

/** What goes into a Digest challenge written by formatDigestChallenge(). */
export interface DigestChallengeInit {
  readonly realm: string;
  readonly nonce: string;
  /** Written as a token; omit for the RFC 2069 default MD5. */
  readonly algorithm?: string;
  /** Written as one quoted list, e.g. ["auth"] -> qop="auth"; omit or empty for none. */
  readonly qop?: readonly string[];
  readonly opaque?: string;
  /** Writes `stale=true` when true. */
  readonly stale?: boolean;
}

/**
 * The value of a WWW-Authenticate or Proxy-Authenticate header field (RFC 3261 section 25.1
 * `digest-cln`; RFC 7616 section 3.3 for algorithm and qop).
 *
 * @example
 * ```ts
 * formatDigestChallenge({ realm: "a", nonce: "n", algorithm: "SHA-256", qop: ["auth"] });
 * // 'Digest realm="a", nonce="n", algorithm=SHA-256, qop="auth"'
 * ```
 */
export function formatDigestChallenge(init: DigestChallengeInit): string {
  let out = `Digest realm=${quoteString(init.realm)}, nonce=${quoteString(init.nonce)}`;
  if (init.opaque !== undefined) out += `, opaque=${quoteString(init.opaque)}`;
  if (init.stale === true) out += ", stale=true";
  if (init.algorithm !== undefined) out += `, algorithm=${tokenValue("algorithm", init.algorithm)}`;
  if (init.qop !== undefined && init.qop.length > 0) {
    out += `, qop=${quoteString(init.qop.map((q) => tokenValue("qop", q)).join(","))}`;
  }
  return out;
}

/** What goes into Digest credentials written by formatDigestCredentials(). */
export interface DigestCredentialsInit {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  /** Written as a token; omit to leave the parameter out (MD5). */
  readonly algorithm?: string;
  /** Written as a token (RFC 3261 `message-qop`); nc and cnonce are then required. */
  readonly qop?: string;
  readonly nc?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
}

/**
 * The value of an Authorization or Proxy-Authorization header field (RFC 3261 section 25.1
 * `digest-response`). For tests, and for the proxy when it authenticates itself upstream.
 *
 * @example
 * ```ts
 * formatDigestCredentials({ username: "bob", realm: "b", nonce: "n", uri: "sip:b", response: "00" });
 * // 'Digest username="bob", realm="b", nonce="n", uri="sip:b", response="00"'
 * ```
 */
export function formatDigestCredentials(init: DigestCredentialsInit): string {
  let out = `Digest username=${quoteString(init.username)}, realm=${quoteString(init.realm)}, ` +
    `nonce=${quoteString(init.nonce)}, uri=${quoteString(init.uri)}, ` +
    `response=${quoteString(init.response)}`;
  if (init.algorithm !== undefined) out += `, algorithm=${tokenValue("algorithm", init.algorithm)}`;
  if (init.cnonce !== undefined) out += `, cnonce=${quoteString(init.cnonce)}`;
  if (init.opaque !== undefined) out += `, opaque=${quoteString(init.opaque)}`;
  if (init.qop !== undefined) {
    if (init.nc === undefined || !HEX8.test(init.nc) || init.cnonce === undefined) {
      throw new TypeError("Cannot write Digest credentials: qop needs cnonce and an 8-digit nc");
    }
    out += `, qop=${tokenValue("qop", init.qop)}, nc=${init.nc}`;
  }
  return out;
}
