/**
 * Where the TURN server finds long-term keys (RFC 8489 section 9.2.2): a server stores
 * MD5 or SHA-256 of username ":" realm ":" password, never the password (RFC 8656 section 6).
 *
 * Two sources: static users from the configuration (username -> key hex, as coturn's
 * `turnadmin -k` prints it for MD5, or 64 hex digits for SHA-256), and the TURN REST API of
 * coturn's `use-auth-secret`, where a web or SIP service that shares a secret with the relay mints
 * short-lived credentials itself: username `<expiry unix seconds>:<user>`, password
 * base64(HMAC-SHA1(secret, username)).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import {
  longTermKey,
  type PasswordAlgorithm,
  prepareOpaqueString,
  userhash,
} from "../codec/stun/mod.ts";

/**
 * Answers "which keys may this username have in this realm". Several keys when several secrets
 * are configured (secret rotation): the server accepts the request if its MESSAGE-INTEGRITY
 * matches any of them.
 *
 * @example
 * ```ts
 * const keys = store.keysFor("alice", "example.org", "md5");
 * const ok = keys.some((key) => checkMessageIntegrity(message, key));
 * ```
 */
export interface CredentialStore {
  /**
   * The candidate long-term keys of `algorithm` (RFC 8489 section 9.2.2); empty when the user is
   * unknown, has no key of that algorithm, or the credential expired.
   */
  keysFor(username: string, realm: string, algorithm: PasswordAlgorithm): readonly Uint8Array[];
  /** Algorithms every user of the store has a key for (what the relay can offer to all). */
  readonly algorithms: readonly PasswordAlgorithm[];
  /**
   * The username whose USERHASH (RFC 8489 section 14.4) is `hash`, or undefined; absent when the
   * store cannot reverse a hash (REST usernames are minted elsewhere).
   */
  readonly usernameFor?: (hash: Uint8Array, realm: string) => string | undefined;
}

const NONE: readonly Uint8Array[] = Object.freeze([]);
const BOTH: readonly PasswordAlgorithm[] = Object.freeze(["sha256", "md5"]);
const KEY_HEX_MD5 = /^[0-9a-fA-F]{32}$/;
const KEY_HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Options of a StaticCredentialStore. */
export interface StaticCredentialStoreInit {
  /**
   * Username -> long-term key(s) in hex: 32 digits for MD5, 64 for SHA-256 (one of each at most);
   * see staticUserKeyHex().
   */
  readonly users: Readonly<Record<string, string | readonly string[]>>;
}

interface StaticUser {
  md5?: Uint8Array;
  sha256?: Uint8Array;
}

/**
 * Users from the configuration, each with the hex of its long-term key(s) (the realm is part of
 * the key, so a user is valid only in the realm the key was made for).
 *
 * @example
 * ```ts
 * const store = new StaticCredentialStore({
 *   users: { alice: staticUserKeyHex("alice", "example.org", "wonderland") },
 * });
 * ```
 */
export class StaticCredentialStore implements CredentialStore {
  readonly algorithms: readonly PasswordAlgorithm[];
  readonly #users = new Map<string, StaticUser>();
  #hashRealm: string | undefined;
  readonly #byHash = new Map<string, string>();

  constructor(init: StaticCredentialStoreInit) {
    for (const [username, keys] of Object.entries(init.users)) {
      const user: StaticUser = {};
      for (const hex of typeof keys === "string" ? [keys] : keys) {
        const algorithm = KEY_HEX_MD5.test(hex)
          ? "md5"
          : KEY_HEX_SHA256.test(hex)
          ? "sha256"
          : undefined;
        if (algorithm === undefined) {
          throw new TypeError(
            `Cannot use the key of TURN user "${username}": expected 32 hex digits (MD5) or 64 (SHA-256)`,
          );
        }
        if (user[algorithm] !== undefined) {
          throw new TypeError(
            `Cannot use the keys of TURN user "${username}": two ${algorithm.toUpperCase()} keys`,
          );
        }
        user[algorithm] = Uint8Array.from(Buffer.from(hex, "hex"));
      }
      this.#users.set(username, user);
    }
    const users = [...this.#users.values()];
    this.algorithms = BOTH.filter((algorithm) => users.every((user) => user[algorithm]));
  }

  keysFor(username: string, _realm: string, algorithm: PasswordAlgorithm): readonly Uint8Array[] {
    const key = this.#users.get(username)?.[algorithm];
    return key === undefined ? NONE : [key];
  }

  readonly usernameFor = (hash: Uint8Array, realm: string): string | undefined => {
    if (this.#hashRealm !== realm) {
      // The realm is fixed per server: the table is built once, on the first USERHASH seen.
      this.#byHash.clear();
      for (const username of this.#users.keys()) {
        this.#byHash.set(bytesToHex(userhash(username, realm)), username);
      }
      this.#hashRealm = realm;
    }
    return this.#byHash.get(bytesToHex(hash));
  };
}

/**
 * The hex key of a static user, for the configuration: MD5 is what `turnadmin -k` prints. The
 * realm and password are OpaqueString-processed first (RFC 8489 section 9.2.2).
 *
 * @example
 * ```ts
 * staticUserKeyHex("user", "realm", "pass"); // "8493fbc53ba582fb4c044c456bdc40eb"
 * ```
 */
export function staticUserKeyHex(
  username: string,
  realm: string,
  password: string,
  algorithm: PasswordAlgorithm = "md5",
): string {
  const credentials = {
    username,
    realm: prepareOpaqueString(realm),
    password: prepareOpaqueString(password),
  };
  return Buffer.from(longTermKey(credentials, algorithm)).toString("hex");
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
  readonly algorithms = BOTH;
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

  keysFor(username: string, realm: string, algorithm: PasswordAlgorithm): readonly Uint8Array[] {
    const expiry = restExpiry(username, this.#separator);
    if (expiry === undefined || expiry < Math.floor(this.#clock.now() / 1000)) return NONE;
    return this.#secrets.map((secret) =>
      longTermKey({ username, realm, password: restPassword(secret, username) }, algorithm)
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
  const chain: CredentialStore = {
    algorithms: BOTH.filter((algorithm) =>
      stores.every((store) => store.algorithms.includes(algorithm))
    ),
    keysFor(username, realm, algorithm) {
      const out: Uint8Array[] = [];
      for (const store of stores) out.push(...store.keysFor(username, realm, algorithm));
      return out;
    },
  };
  // USERHASH works for a chain only when every store can reverse a hash
  if (stores.every((store) => store.usernameFor !== undefined)) {
    return {
      ...chain,
      usernameFor: (hash, realm) => {
        for (const store of stores) {
          const username = store.usernameFor!(hash, realm);
          if (username !== undefined) return username;
        }
        return undefined;
      },
    };
  }
  return chain;
}
