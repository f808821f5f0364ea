/**
 * Where the TURN server finds long-term keys (RFC 8489 section 9.2.2): a server stores
 * MD5(username ":" realm ":" password), never the password (RFC 8656 section 6).
 *
 * Two sources: static users from the configuration (username -> key hex, as coturn's
 * `turnadmin -k` prints it), and the TURN REST API of coturn's `use-auth-secret`, where a web or
 * SIP service that shares a secret with the relay mints short-lived credentials itself:
 * username `<expiry unix seconds>:<user>`, password base64(HMAC-SHA1(secret, username)).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { longTermKey } from "../codec/stun/mod.ts";

/**
 * Answers "which keys may this username have in this realm". Several keys when several secrets
 * are configured (secret rotation): the server accepts the request if its MESSAGE-INTEGRITY
 * matches any of them.
 *
 * @example
 * ```ts
 * const keys = store.keysFor("alice", "example.org");
 * const ok = keys.some((key) => checkMessageIntegrity(message, key));
 * ```
 */
export interface CredentialStore {
  /** The candidate MD5 long-term keys; empty when the user is unknown or the credential expired. */
  keysFor(username: string, realm: string): readonly Uint8Array[];
}

const NONE: readonly Uint8Array[] = Object.freeze([]);
const KEY_HEX = /^[0-9a-fA-F]{32}$/;

/** Options of a StaticCredentialStore. */
export interface StaticCredentialStoreInit {
  /** Username -> MD5 long-term key in hex (32 digits); see staticUserKeyHex(). */
  readonly users: Readonly<Record<string, string>>;
}

/**
 * Users from the configuration, each with the hex of its long-term key (the realm is part of the
 * key, so a user is valid only in the realm the key was made for).
 *
 * @example
 * ```ts
 * const store = new StaticCredentialStore({
 *   users: { alice: staticUserKeyHex("alice", "example.org", "wonderland") },
 * });
 * ```
 */
export class StaticCredentialStore implements CredentialStore {
  readonly #keys = new Map<string, readonly Uint8Array[]>();

  constructor(init: StaticCredentialStoreInit) {
    for (const [username, hex] of Object.entries(init.users)) {
      if (!KEY_HEX.test(hex)) {
        throw new TypeError(
          `Cannot use the key of TURN user "${username}": expected 32 hex digits (MD5)`,
        );
      }
      this.#keys.set(username, Object.freeze([Uint8Array.from(Buffer.from(hex, "hex"))]));
    }
  }

  keysFor(username: string): readonly Uint8Array[] {
    return this.#keys.get(username) ?? NONE;
  }
}

/**
 * The hex key of a static user, for the configuration (what `turnadmin -k` prints).
 *
 * @example
 * ```ts
 * staticUserKeyHex("user", "realm", "pass"); // "8493fbc53ba582fb4c044c456bdc40eb"
 * ```
 */
export function staticUserKeyHex(username: string, realm: string, password: string): string {
  return Buffer.from(longTermKey({ username, realm, password })).toString("hex");
}

/** Options of a RestCredentialStore. */
export interface RestCredentialStoreInit {
  /** Shared secrets; the first mints, all are accepted (rotation). At least one. */
  readonly secrets: readonly string[];
  /**
   * Between the expiry timestamp and the user name (coturn `--rest-api-separator`).
   * @default ":"
   */
  readonly separator?: string;
}

/** What a RestCredentialStore needs from outside. */
export interface RestCredentialStoreComponents {
  /** Wall clock: expiry timestamps are Unix seconds. */
  readonly clock: Clock;
}

/** Credentials minted for a client (to hand over in an ICE server list or a SIP header). */
export interface RestCredentials {
  readonly username: string;
  readonly password: string;
  /** Unix seconds after which the relay refuses them for new requests. */
  readonly expiresAt: number;
}

/**
 * The TURN REST API (coturn `use-auth-secret`, draft-uberti-behave-turn-rest): username
 * `<expiry>:<user>` (or the timestamp alone), password = base64(HMAC-SHA1(secret, username)),
 * accepted while `expiry >= now` (coturn userdb.c).
 *
 * Decision: a credential is checked when a request is authenticated from scratch (Allocate). An
 * allocation keeps the key it was created with, so Refresh, CreatePermission and ChannelBind keep
 * working after the credential's expiry, up to the allocation's own lifetime rules (coturn
 * behaviour; pion re-checks and breaks calls that outlive the credential).
 *
 * @example
 * ```ts
 * const store = new RestCredentialStore({ secrets: ["north"] }, { clock: systemClock });
 * const { username, password } = store.mint("alice", { ttlSeconds: 86_400 });
 * ```
 */
export class RestCredentialStore implements CredentialStore {
  readonly #secrets: readonly string[];
  readonly #separator: string;
  readonly #clock: Clock;

  constructor(init: RestCredentialStoreInit, components: RestCredentialStoreComponents) {
    if (init.secrets.length === 0 || init.secrets.some((s) => s.length === 0)) {
      throw new TypeError("Cannot use the TURN REST API: at least one non-empty secret is needed");
    }
    const separator = init.separator ?? ":";
    if (separator.length !== 1) {
      throw new TypeError(
        `Cannot use the TURN REST API: separator "${separator}" is not one character`,
      );
    }
    this.#secrets = [...init.secrets];
    this.#separator = separator;
    this.#clock = components.clock;
  }

  keysFor(username: string, realm: string): readonly Uint8Array[] {
    const expiry = restExpiry(username, this.#separator);
    if (expiry === undefined || expiry < Math.floor(this.#clock.now() / 1000)) return NONE;
    return this.#secrets.map((secret) =>
      longTermKey({ username, realm, password: restPassword(secret, username) })
    );
  }

  /** Credentials for `user` valid for `ttlSeconds` from now, signed with the first secret. */
  mint(user: string, options: { readonly ttlSeconds: number }): RestCredentials {
    const ttl = options.ttlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new RangeError(`Cannot mint TURN credentials: ttlSeconds ${ttl}`);
    }
    if (user.includes(this.#separator)) {
      throw new TypeError(`Cannot mint TURN credentials: user "${user}" contains the separator`);
    }
    const expiresAt = Math.floor(this.#clock.now() / 1000) + ttl;
    const username = user.length === 0
      ? String(expiresAt)
      : `${expiresAt}${this.#separator}${user}`;
    return { username, password: restPassword(this.#secrets[0]!, username), expiresAt };
  }
}

/**
 * The REST API password of `username`: base64(HMAC-SHA1(secret, username)).
 *
 * @example
 * ```ts
 * restPassword("north", "1700000000:alice"); // "Cd/49soE35ICqcJF/bCTn8Z4OyE="
 * ```
 */
export function restPassword(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username, "utf8").digest("base64");
}

/**
 * The expiry of a REST username: the digits before the separator, or after it when the part before
 * is not a number (coturn userdb.c get_rest_api_timestamp), or the whole name; undefined if none.
 */
function restExpiry(username: string, separator: string): number | undefined {
  const at = username.indexOf(separator);
  const candidates = at < 0 ? [username] : [username.slice(0, at), username.slice(at + 1)];
  for (const text of candidates) {
    if (/^[0-9]{1,12}$/.test(text)) return Number(text);
  }
  return undefined;
}

/**
 * Several stores as one: the keys of all of them (static users and REST secrets side by side).
 *
 * @example
 * ```ts
 * const store = chainCredentialStores(staticUsers, restApi);
 * ```
 */
export function chainCredentialStores(...stores: readonly CredentialStore[]): CredentialStore {
  return {
    keysFor(username, realm) {
      const out: Uint8Array[] = [];
      for (const store of stores) out.push(...store.keysFor(username, realm));
      return out;
    },
  };
}
