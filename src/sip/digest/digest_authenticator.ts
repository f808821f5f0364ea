/**
 * The one call the registrar and the proxy make to authenticate a request (RFC 3261 section 22):
 * request in, decision out, no I/O. It owns the stateless nonces, the nonce-count replay tracker
 * and the per-source failure limiter; users come from a UserDirectory (the users file).
 *
 * Decisions, in order:
 * 1. No Digest credentials for our realm: challenge (401/407), one challenge per configured
 *    algorithm, most preferred first (RFC 8760 section 2.3), all with qop="auth" and one fresh
 *    nonce. Not a failure.
 * 2. The source has used up its failures: 403 with a retry time, credentials not looked at.
 * 3. Malformed credentials for our realm, a digest-uri that is not the Request-URI (RFC 7616
 *    section 3.4.6: 400), a hashed username we never offered: 400, counted as a failure.
 * 4. No qop (RFC 2069 form): challenge again unless `allowNoQop` (default off: without a
 *    nonce-count nothing stops a replay within the nonce lifetime). qop other than "auth", an
 *    algorithm we did not offer: challenge again. Not failures.
 * 5. The response is checked against the user's HA1 for that algorithm before the nonce: unknown
 *    user, no HA1 for the algorithm, or a wrong response is a failure and gets a fresh challenge
 *    (the same answer, so user names cannot be probed; an unknown user costs the same hashing).
 * 6. Right response but a nonce that is expired, not ours (another secret, another source), or a
 *    nonce-count already used or too old: challenge with stale=true (RFC 7616 section 3.3: the
 *    client knows the password and retries without asking the user). Not failures.
 * 7. Otherwise authenticated: `{ ok: true, user, realm, algorithm }`.
 *
 * Not handled here: ACK and CANCEL are never challenged (RFC 3261 section 22.1), the caller skips
 * them; whether the authenticated user may use the AOR in To/From is the registrar's decision
 * (RFC 3261 section 10.3 step 4).
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type { Clock } from "../../core/clock.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import {
  type AuthHeader,
  type DigestCredentials,
  digestCredentialsOf,
  formatDigestChallenge,
  parseAuthHeader,
} from "./auth_header.ts";
import { DEFAULT_ALGORITHMS, MAX_CREDENTIAL_HEADERS } from "./constants.ts";
import {
  DIGEST_ALGORITHMS,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  digestAlgorithm,
  digestResponse,
} from "./digest_algorithms.ts";
import { AuthHeaderError } from "./digest_errors.ts";
import { DigestNonces } from "./digest_nonce.ts";
import { FailureLimiter } from "./failure_limiter.ts";
import { NonceCountTracker } from "./nonce_count_tracker.ts";
import type { UserDirectory } from "./users_file.ts";

/** Why a request was challenged (401 or 407). */
export type DigestChallengeReason =
  | "no-credentials"
  | "missing-qop"
  | "unsupported-qop"
  | "unsupported-algorithm"
  | "unknown-user"
  | "wrong-response"
  | "stale-nonce"
  | "invalid-nonce"
  | "replay";

/** Why a request was refused with 400. */
export type DigestBadRequestReason = "malformed" | "uri-mismatch" | "userhash";

/** Every outcome, for metrics: "ok" and each refusal reason. */
export type DigestOutcomeLabel =
  | "ok"
  | DigestChallengeReason
  | DigestBadRequestReason
  | "rate-limited";

/** What the registrar or proxy does with a request after authenticate(). */
export type DigestOutcome =
  | {
    readonly ok: true;
    /** The authenticated user name, as in the users file. */
    readonly user: string;
    readonly realm: string;
    readonly algorithm: DigestAlgorithm;
  }
  | {
    readonly ok: false;
    /** 401 for a registrar / UAS, 407 for a proxy. */
    readonly status: 401 | 407;
    readonly reason: DigestChallengeReason;
    /** Whether the challenges say stale=true (the client retries without asking the user). */
    readonly stale: boolean;
    /** WWW-Authenticate (401) or Proxy-Authenticate (407). */
    readonly headerName: "WWW-Authenticate" | "Proxy-Authenticate";
    /** One header field value per algorithm, in order: add one header field for each. */
    readonly headerValues: readonly string[];
  }
  | {
    readonly ok: false;
    readonly status: 400;
    readonly reason: DigestBadRequestReason;
    /** For the log; not for the reason phrase (it may echo attacker text). */
    readonly detail: string;
  }
  | {
    readonly ok: false;
    /** Answer 403 (Forbidden); add Retry-After if you like, or drop silently on UDP. */
    readonly status: 403;
    readonly reason: "rate-limited";
    /** Seconds until the source may try again. */
    readonly retryAfterSeconds: number;
  };

/** A request as the authenticator sees it. */
export interface DigestRequest {
  /** The method of the Request-Line (A2 uses it, RFC 3261 section 22.4). */
  readonly method: string;
  /** The Request-URI exactly as in the Request-Line. */
  readonly requestUri: string;
  /**
   * Values of every Authorization header field (registrar) or Proxy-Authorization header field
   * (proxy), in message order; empty when there are none.
   */
  readonly credentials: readonly string[];
  /** The source IP address of the request (of the packet or connection, not of Via). */
  readonly sourceIp: string;
}

/** Options of a DigestAuthenticator: what the SIP service's config section maps to. */
export interface DigestAuthenticatorInit {
  /** The realm of challenges and of the users looked up (RFC 3261 section 22.1: e.g. the domain). */
  readonly realm: string;
  /**
   * Algorithms offered, most preferred first (RFC 8760 section 2.3); credentials with another are
   * re-challenged.
   * @default DEFAULT_ALGORITHMS (["SHA-256", "MD5"])
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /**
   * Nonce HMAC key, at least 16 bytes; keep it in the data directory to keep nonces valid across
   * restarts (without it each phone needs one more round trip after a restart).
   * @default 32 random bytes
   */
  readonly nonceSecret?: Uint8Array;
  /** @default DEFAULT_NONCE_LIFETIME_S (300) */
  readonly nonceLifetimeSeconds?: number;
  /** Bind nonces to the source IP. @default true */
  readonly bindNonceToSource?: boolean;
  /** @default DEFAULT_MAX_TRACKED_NONCES (16384) */
  readonly maxTrackedNonces?: number;
  /** @default DEFAULT_NONCE_COUNT_WINDOW (32) */
  readonly nonceCountWindow?: number;
  /** Failures per source in a burst; 0 turns the limiter off. @default DEFAULT_MAX_FAILURE_BURST (10) */
  readonly maxFailureBurst?: number;
  /** @default DEFAULT_FAILURES_PER_MINUTE (6) */
  readonly failuresPerMinute?: number;
  /** @default DEFAULT_MAX_FAILURE_SOURCES (4096) */
  readonly maxFailureSources?: number;
  /**
   * Accept RFC 2069 credentials without qop (no nonce-count, so replayable within the nonce
   * lifetime). Only for old phones that cannot do qop=auth.
   * @default false
   */
  readonly allowNoQop?: boolean;
  /**
   * Require the digest-uri to equal the Request-URI (exactly, or ignoring letter case), else 400
   * (RFC 7616 section 3.4.6).
   * @default true
   */
  readonly checkUri?: boolean;
}

/** What a DigestAuthenticator needs from outside. */
export interface DigestAuthenticatorComponents {
  /** Wall clock for nonce times, monotonic for the failure buckets. */
  readonly clock: Clock;
  /** Where users are looked up; see replaceUsers() for a reload. */
  readonly users: UserDirectory;
  /**
   * Counts outcomes (`superpeer_sip_auth_total{outcome}`) and drops
   * (`superpeer_sip_auth_dropped_total{reason}`).
   */
  readonly metrics?: Metrics;
}

/** State sizes and drop counts, for /status and tests. */
export interface DigestAuthenticatorStats {
  readonly trackedNonces: number;
  readonly trackedNoncesDropped: number;
  readonly failureSources: number;
  readonly failureSourcesDropped: number;
}

/** Every DigestOutcomeLabel, so the metric's series exist from the start. */
const OUTCOME_LABELS: readonly DigestOutcomeLabel[] = [
  "ok",
  "no-credentials",
  "missing-qop",
  "unsupported-qop",
  "unsupported-algorithm",
  "unknown-user",
  "wrong-response",
  "stale-nonce",
  "invalid-nonce",
  "replay",
  "malformed",
  "uri-mismatch",
  "userhash",
  "rate-limited",
];

/** An HA1 to hash against for unknown users, so they cost as much as known ones. */
const DUMMY_HA1: Readonly<Record<DigestAlgorithm, string>> = {
  "MD5": "0".repeat(32),
  "SHA-256": "0".repeat(64),
  "SHA-512-256": "0".repeat(64),
};
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Authenticates SIP requests with Digest (RFC 3261 section 22, RFC 8760).
 *
 * @example
 * ```ts
 * const auth = new DigestAuthenticator(
 *   { realm: "example.org" },
 *   { clock: systemClock, users: parseUsersFile(text, path) },
 * );
 * const outcome = auth.authenticate({
 *   method: "REGISTER", requestUri: "sip:example.org",
 *   credentials: authorizationValues, sourceIp: "192.0.2.10",
 * }, { proxy: false });
 * if (!outcome.ok && outcome.status === 401) reply(401, outcome.headerName, outcome.headerValues);
 * ```
 */
export class DigestAuthenticator {
  readonly #realm: string;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #nonces: DigestNonces;
  readonly #tracker: NonceCountTracker;
  readonly #limiter: FailureLimiter;
  readonly #allowNoQop: boolean;
  readonly #checkUri: boolean;
  readonly #clock: Clock;
  #users: UserDirectory;
  readonly #outcomes: ReadonlyMap<DigestOutcomeLabel, Counter> | undefined;

  constructor(init: DigestAuthenticatorInit, components: DigestAuthenticatorComponents) {
    if (init.realm.length === 0) throw new TypeError("Cannot authenticate: realm is empty");
    const algorithms = init.algorithms ?? DEFAULT_ALGORITHMS;
    if (
      algorithms.length === 0 || new Set(algorithms).size !== algorithms.length ||
      algorithms.some((a) => !DIGEST_ALGORITHMS.includes(a))
    ) {
      throw new TypeError(
        `Cannot authenticate: algorithms ${JSON.stringify(algorithms)}, need distinct ones of ${
          DIGEST_ALGORITHMS.join(", ")
        }`,
      );
    }
    this.#realm = init.realm;
    this.#algorithms = [...algorithms];
    // Fails early (TypeError) on a realm no challenge can carry.
    formatDigestChallenge({ realm: init.realm, nonce: "" });
    this.#nonces = new DigestNonces({
      ...(init.nonceSecret === undefined ? {} : { secret: init.nonceSecret }),
      ...(init.nonceLifetimeSeconds === undefined
        ? {}
        : { lifetimeSeconds: init.nonceLifetimeSeconds }),
      ...(init.bindNonceToSource === undefined ? {} : { bindToSource: init.bindNonceToSource }),
    }, { clock: components.clock });
    const metrics = components.metrics;
    const dropped = metrics?.counter(
      "superpeer_sip_auth_dropped_total",
      "SIP Digest state dropped at its cap, by reason",
      ["reason"],
    );
    const trackerDropped = dropped?.with({ reason: "nonce_tracker_full" });
    const limiterDropped = dropped?.with({ reason: "failure_sources_full" });
    this.#tracker = new NonceCountTracker({
      ...(init.maxTrackedNonces === undefined ? {} : { maxNonces: init.maxTrackedNonces }),
      ...(init.nonceCountWindow === undefined ? {} : { window: init.nonceCountWindow }),
      ...(trackerDropped === undefined ? {} : { onEvict: () => trackerDropped.inc() }),
    });
    this.#limiter = new FailureLimiter({
      ...(init.maxFailureBurst === undefined ? {} : { burst: init.maxFailureBurst }),
      ...(init.failuresPerMinute === undefined ? {} : { perMinute: init.failuresPerMinute }),
      ...(init.maxFailureSources === undefined ? {} : { maxSources: init.maxFailureSources }),
      ...(limiterDropped === undefined ? {} : { onEvict: () => limiterDropped.inc() }),
    });
    this.#allowNoQop = init.allowNoQop ?? false;
    this.#checkUri = init.checkUri ?? true;
    this.#clock = components.clock;
    this.#users = components.users;
    if (metrics !== undefined) {
      const total = metrics.counter(
        "superpeer_sip_auth_total",
        "SIP Digest authentication outcomes",
        ["outcome"],
      );
      this.#outcomes = new Map(
        OUTCOME_LABELS.map((label) => [label, total.with({ outcome: label })]),
      );
    }
  }

  /** The realm of this authenticator's challenges. */
  get realm(): string {
    return this.#realm;
  }

  /** Uses `users` from now on (after the users file was re-read, e.g. on SIGHUP). */
  replaceUsers(users: UserDirectory): void {
    this.#users = users;
  }

  /** State sizes and drops. */
  get stats(): DigestAuthenticatorStats {
    return {
      trackedNonces: this.#tracker.size,
      trackedNoncesDropped: this.#tracker.evictedCount,
      failureSources: this.#limiter.size,
      failureSourcesDropped: this.#limiter.evictedCount,
    };
  }

  /**
   * Forgets nonce-counts of expired nonces and failure buckets that are full again; call it from
   * the SIP service's sweep loop (every few seconds to a minute). Returns entries dropped.
   */
  sweep(): number {
    const expiredBefore = this.#clock.now() - this.#nonces.lifetimeMs;
    return this.#tracker.sweep(expiredBefore) + this.#limiter.sweep(this.#clock.monotonic());
  }

  /**
   * Decides about one request; never throws on request content. `proxy: true` answers 407 with
   * Proxy-Authenticate (pass Proxy-Authorization values), else 401 with WWW-Authenticate (pass
   * Authorization values).
   */
  authenticate(request: DigestRequest, options: { readonly proxy: boolean }): DigestOutcome {
    const outcome = this.#decide(request, options.proxy);
    this.#outcomes?.get(outcome.ok ? "ok" : outcome.reason)?.inc();
    return outcome;
  }

  /**
   * A fresh challenge outcome (e.g. for a request the caller wants authenticated anyway).
   */
  challenge(
    sourceIp: string,
    options: {
      readonly proxy: boolean;
      readonly stale?: boolean;
      readonly reason?: DigestChallengeReason;
    },
  ): DigestOutcome {
    const nonce = this.#nonces.issue(this.#realm, sourceIp);
    const stale = options.stale ?? false;
    return {
      ok: false,
      status: options.proxy ? 407 : 401,
      reason: options.reason ?? "no-credentials",
      stale,
      headerName: options.proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
      headerValues: this.#algorithms.map((algorithm) =>
        formatDigestChallenge({ realm: this.#realm, nonce, algorithm, qop: ["auth"], stale })
      ),
    };
  }

  #decide(request: DigestRequest, proxy: boolean): DigestOutcome {
    const { sourceIp } = request;
    const found = this.#ourCredentials(request.credentials);
    if (found.credentials.length === 0 && found.error === undefined) {
      return this.challenge(sourceIp, { proxy, reason: "no-credentials" });
    }
    const waitMs = this.#limiter.retryAfterMs(sourceIp, this.#clock.monotonic());
    if (waitMs > 0) {
      return {
        ok: false,
        status: 403,
        reason: "rate-limited",
        retryAfterSeconds: Math.ceil(waitMs / 1000),
      };
    }
    // RFC 8760 section 2.4: of several credentials for the realm, use the most preferred algorithm.
    let chosen: [DigestCredentials, DigestAlgorithm] | undefined;
    for (const algorithm of this.#algorithms) {
      const credentials = found.credentials.find((c) => digestAlgorithm(c.algorithm) === algorithm);
      if (credentials !== undefined) {
        chosen = [credentials, algorithm];
        break;
      }
    }
    if (chosen === undefined) {
      if (found.error !== undefined) return this.#badRequest(sourceIp, "malformed", found.error);
      return this.challenge(sourceIp, { proxy, reason: "unsupported-algorithm" });
    }
    const [credentials, algorithm] = chosen;
    if (credentials.userhash) {
      return this.#badRequest(sourceIp, "userhash", "userhash=true was not offered");
    }
    if (credentials.qop === undefined) {
      if (!this.#allowNoQop) return this.challenge(sourceIp, { proxy, reason: "missing-qop" });
    } else if (credentials.qop.toLowerCase() !== "auth") {
      return this.challenge(sourceIp, { proxy, reason: "unsupported-qop" });
    }
    if (
      this.#checkUri && credentials.uri !== request.requestUri &&
      credentials.uri.toLowerCase() !== request.requestUri.toLowerCase()
    ) {
      return this.#badRequest(sourceIp, "uri-mismatch", `digest-uri ${credentials.uri}`);
    }
    const length = DIGEST_HEX_LENGTH[algorithm];
    if (credentials.response.length !== length || !HEX.test(credentials.response)) {
      return this.#badRequest(sourceIp, "malformed", `response is not ${length} hex digits`);
    }

    const record = this.#users.lookup(credentials.username, this.#realm);
    const ha1 = record?.ha1[algorithm];
    const expected = digestResponse(algorithm, {
      ha1: ha1 ?? DUMMY_HA1[algorithm],
      method: request.method,
      uri: credentials.uri,
      nonce: credentials.nonce,
      ...(credentials.qop === undefined
        ? {}
        : { qop: "auth" as const, nc: credentials.nc!, cnonce: credentials.cnonce! }),
    });
    const given = Buffer.from(credentials.response.toLowerCase(), "latin1");
    const match = timingSafeEqual(Buffer.from(expected, "latin1"), given);
    if (ha1 === undefined || !match) {
      this.#limiter.recordFailure(sourceIp, this.#clock.monotonic());
      return this.challenge(sourceIp, {
        proxy,
        reason: ha1 === undefined ? "unknown-user" : "wrong-response",
      });
    }

    const nonce = this.#nonces.check(credentials.nonce, this.#realm, sourceIp);
    if (nonce.verdict === "invalid") {
      return this.challenge(sourceIp, { proxy, stale: true, reason: "invalid-nonce" });
    }
    if (nonce.verdict === "stale") {
      return this.challenge(sourceIp, { proxy, stale: true, reason: "stale-nonce" });
    }
    if (credentials.nc !== undefined) {
      const verdict = this.#tracker.accept(
        credentials.nonce,
        nonce.issuedAt,
        parseInt(credentials.nc, 16),
      );
      if (verdict === "forgotten") {
        return this.challenge(sourceIp, { proxy, stale: true, reason: "stale-nonce" });
      }
      if (verdict !== "fresh") {
        return this.challenge(sourceIp, { proxy, stale: true, reason: "replay" });
      }
    }
    return { ok: true, user: record!.username, realm: this.#realm, algorithm };
  }

  /** Digest credentials for our realm among the values; the first malformed one's problem. */
  #ourCredentials(
    values: readonly string[],
  ): { credentials: DigestCredentials[]; error: string | undefined } {
    const credentials: DigestCredentials[] = [];
    let error: string | undefined;
    for (const value of values.slice(0, MAX_CREDENTIAL_HEADERS)) {
      let header: AuthHeader;
      try {
        header = parseAuthHeader(value);
      } catch (e) {
        // RFC 3261 section 22.3: values meant for other realms are not ours to judge, but a
        // broken one may be ours: remembered, reported only if nothing usable is found.
        if (!(e instanceof AuthHeaderError)) throw e;
        error ??= e.message;
        continue;
      }
      if (header.scheme.toLowerCase() !== "digest") continue;
      if (header.params.get("realm")?.value !== this.#realm) continue;
      try {
        credentials.push(digestCredentialsOf(header));
      } catch (e) {
        if (!(e instanceof AuthHeaderError)) throw e;
        error ??= e.message;
      }
    }
    return { credentials, error };
  }

  #badRequest(
    sourceIp: string,
    reason: DigestBadRequestReason,
    detail: string,
  ): DigestOutcome {
    this.#limiter.recordFailure(sourceIp, this.#clock.monotonic());
    return { ok: false, status: 400, reason, detail };
  }
}
