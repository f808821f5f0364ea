import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../../src/core/clock.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import {
  type DigestAlgorithm,
  DigestAuthenticator,
  type DigestAuthenticatorInit,
  digestHa1,
  type DigestOutcome,
  digestResponse,
  formatDigestCredentials,
  makeUserRecord,
  parseDigestChallenge,
  UsersTable,
} from "../../../src/sip/digest/mod.ts";

const REALM = "example.org";
const URI = "sip:example.org";
const IP = "192.0.2.10";
const SECRET = new Uint8Array(32).fill(9);

function setup(init: Partial<DigestAuthenticatorInit> = {}) {
  const clock = new ManualClock();
  const metrics = new MetricsRegistry();
  const users = new UsersTable([
    makeUserRecord("alice", REALM, "wonderland"),
    makeUserRecord("bob", REALM, "builder", ["SHA-256"]),
  ]);
  const auth = new DigestAuthenticator(
    { realm: REALM, nonceSecret: SECRET, ...init },
    { clock, users, metrics },
  );
  return { clock, metrics, auth };
}

/** The nonce of a challenge outcome (fails the test when it is not one). */
function nonceOf(outcome: DigestOutcome): string {
  if (outcome.ok || (outcome.status !== 401 && outcome.status !== 407)) {
    assert.unreachable(`expected a challenge, got ${JSON.stringify(outcome)}`);
    return "";
  }
  return parseDigestChallenge(outcome.headerValues[0]!)!.nonce;
}

interface CredentialsOptions {
  username?: string;
  password?: string;
  algorithm?: DigestAlgorithm;
  nc?: string;
  method?: string;
  uri?: string;
  qop?: boolean;
  realm?: string;
}

/** Credentials a phone would send for `nonce`. */
function credentials(nonce: string, o: CredentialsOptions = {}): string {
  const username = o.username ?? "alice";
  const algorithm = o.algorithm ?? "SHA-256";
  const realm = o.realm ?? REALM;
  const uri = o.uri ?? URI;
  const nc = o.nc ?? "00000001";
  const cnonce = "c0ffee";
  const qop = o.qop ?? true;
  const ha1 = digestHa1(algorithm, { username, realm, password: o.password ?? "wonderland" });
  const response = digestResponse(algorithm, {
    ha1,
    method: o.method ?? "REGISTER",
    uri,
    nonce,
    ...(qop ? { qop: "auth" as const, nc, cnonce } : {}),
  });
  return formatDigestCredentials({
    username,
    realm,
    nonce,
    uri,
    response,
    algorithm,
    ...(qop ? { qop: "auth", nc, cnonce } : {}),
  });
}

const register = (values: readonly string[], sourceIp = IP) => ({
  method: "REGISTER",
  requestUri: URI,
  credentials: values,
  sourceIp,
});

test("DigestAuthenticator challenges a request without credentials: SHA-256 then MD5, qop=auth, one nonce", () => {
  const { auth } = setup();
  const outcome = auth.authenticate(register([]), { proxy: false });
  assert.is(outcome.ok, false);
  if (outcome.ok || outcome.status !== 401) throw new Error("expected 401");
  assert.is(outcome.reason, "no-credentials");
  assert.is(outcome.headerName, "WWW-Authenticate");
  assert.is(outcome.stale, false);
  const challenges = outcome.headerValues.map((v) => parseDigestChallenge(v)!);
  assert.equal(challenges.map((c) => c.algorithm), ["SHA-256", "MD5"]);
  assert.equal(challenges.map((c) => c.qop), [["auth"], ["auth"]]);
  assert.equal(challenges.map((c) => c.realm), [REALM, REALM]);
  assert.is(challenges[0]!.nonce, challenges[1]!.nonce);
  const proxy = auth.authenticate(register([]), { proxy: true });
  assert.is(!proxy.ok && proxy.status, 407);
  assert.is(!proxy.ok && proxy.status === 407 && proxy.headerName, "Proxy-Authenticate");
});

test("DigestAuthenticator accepts a right SHA-256 or MD5 response and returns the user", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  assert.equal(auth.authenticate(register([credentials(nonce)]), { proxy: false }), {
    ok: true,
    user: "alice",
    realm: REALM,
    algorithm: "SHA-256",
  });
  const md5 = auth.authenticate(
    register([credentials(nonce, { algorithm: "MD5", nc: "00000002" })]),
    { proxy: false },
  );
  assert.is(md5.ok && md5.algorithm, "MD5");
});

test("DigestAuthenticator refuses a replayed nonce-count with stale=true and takes the next one", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  assert.ok(auth.authenticate(register([credentials(nonce)]), { proxy: false }).ok);
  const replay = auth.authenticate(register([credentials(nonce)]), { proxy: false });
  assert.is(!replay.ok && replay.reason, "replay");
  assert.is(!replay.ok && replay.status === 401 && replay.stale, true);
  assert.ok(
    auth.authenticate(register([credentials(nonce, { nc: "00000002" })]), { proxy: false }).ok,
  );
});

test("DigestAuthenticator answers an expired nonce with stale=true only when the response is right", () => {
  const { auth, clock } = setup({ nonceLifetimeSeconds: 60 });
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  clock.advance(60_001);
  const stale = auth.authenticate(register([credentials(nonce)]), { proxy: false });
  assert.is(!stale.ok && stale.reason, "stale-nonce");
  assert.is(!stale.ok && stale.status === 401 && stale.stale, true);
  assert.ok(nonceOf(stale) !== nonce);
  const wrong = auth.authenticate(
    register([credentials(nonce, { password: "guess" })]),
    { proxy: false },
  );
  assert.is(!wrong.ok && wrong.reason, "wrong-response");
  assert.is(!wrong.ok && wrong.status === 401 && wrong.stale, false);
  // The fresh nonce works.
  assert.ok(auth.authenticate(register([credentials(nonceOf(stale))]), { proxy: false }).ok);
});

test("DigestAuthenticator calls a nonce from another secret or source invalid, stale=true if the password is right", () => {
  const { auth } = setup();
  const other = setup({ nonceSecret: new Uint8Array(32).fill(1) }).auth;
  const foreign = nonceOf(other.authenticate(register([]), { proxy: false }));
  const outcome = auth.authenticate(register([credentials(foreign)]), { proxy: false });
  assert.is(!outcome.ok && outcome.reason, "invalid-nonce");
  assert.is(!outcome.ok && outcome.status === 401 && outcome.stale, true);
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const moved = auth.authenticate(register([credentials(nonce)], "198.51.100.1"), { proxy: false });
  assert.is(!moved.ok && moved.reason, "invalid-nonce");
});

test("DigestAuthenticator gives an unknown user and a wrong password the same fresh challenge", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const unknown = auth.authenticate(register([credentials(nonce, { username: "mallory" })]), {
    proxy: false,
  });
  const wrong = auth.authenticate(register([credentials(nonce, { password: "x" })]), {
    proxy: false,
  });
  assert.is(!unknown.ok && unknown.reason, "unknown-user");
  assert.is(!wrong.ok && wrong.reason, "wrong-response");
  for (const o of [unknown, wrong]) {
    assert.is(!o.ok && o.status, 401);
    assert.is(!o.ok && o.status === 401 && o.stale, false);
  }
  // bob has no MD5 HA1: MD5 credentials fail like a wrong password.
  const bobMd5 = auth.authenticate(
    register([credentials(nonce, { username: "bob", password: "builder", algorithm: "MD5" })]),
    { proxy: false },
  );
  assert.is(!bobMd5.ok && bobMd5.reason, "unknown-user");
  const bobSha = auth.authenticate(
    register([credentials(nonce, { username: "bob", password: "builder", nc: "00000005" })]),
    { proxy: false },
  );
  assert.is(bobSha.ok && bobSha.user, "bob");
});

test("DigestAuthenticator rate-limits a source after its failure burst (403 with retry time), others unaffected", () => {
  const { auth, clock, metrics } = setup({ maxFailureBurst: 3, failuresPerMinute: 6 });
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  for (let i = 0; i < 3; i++) {
    const o = auth.authenticate(register([credentials(nonce, { password: `guess${i}` })]), {
      proxy: false,
    });
    assert.is(!o.ok && o.status, 401, `guess ${i}`);
  }
  const limited = auth.authenticate(register([credentials(nonce)]), { proxy: false });
  assert.equal(limited, { ok: false, status: 403, reason: "rate-limited", retryAfterSeconds: 10 });
  // A request without credentials is still challenged (it cannot fail).
  assert.is(!auth.authenticate(register([]), { proxy: false }).ok, true);
  const elsewhere = setup().auth;
  assert.ok(elsewhere.authenticate(register([credentials(nonce)], IP), { proxy: false }).ok);
  const otherIp = "192.0.2.11";
  const theirNonce = nonceOf(auth.authenticate(register([], otherIp), { proxy: false }));
  assert.ok(auth.authenticate(register([credentials(theirNonce)], otherIp), { proxy: false }).ok);
  clock.advance(10_000);
  assert.ok(auth.authenticate(register([credentials(nonce)]), { proxy: false }).ok);
  assert.is(metrics.value("superpeer_sip_auth_total", { outcome: "rate-limited" }), 1);
  assert.is(metrics.value("superpeer_sip_auth_total", { outcome: "wrong-response" }), 3);
  assert.is(auth.stats.failureSources, 1);
});

test("DigestAuthenticator re-challenges credentials without qop unless allowNoQop", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const noQop = auth.authenticate(register([credentials(nonce, { qop: false })]), {
    proxy: false,
  });
  assert.is(!noQop.ok && noQop.reason, "missing-qop");
  const legacy = setup({ allowNoQop: true }).auth;
  const legacyNonce = nonceOf(legacy.authenticate(register([]), { proxy: false }));
  assert.ok(
    legacy.authenticate(register([credentials(legacyNonce, { qop: false })]), {
      proxy: false,
    }).ok,
  );
});

test("DigestAuthenticator answers 400 to malformed credentials, a digest-uri that is not the Request-URI, and userhash", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const broken = auth.authenticate(register(['Digest username="alice, realm="example.org"']), {
    proxy: false,
  });
  assert.is(!broken.ok && broken.status, 400);
  assert.is(!broken.ok && broken.reason, "malformed");
  const noNc = auth.authenticate(
    register([
      `Digest username="alice", realm="${REALM}", nonce="${nonce}", uri="${URI}", ` +
      `response="${"0".repeat(64)}", algorithm=SHA-256, qop=auth, cnonce="c"`,
    ]),
    { proxy: false },
  );
  assert.is(
    !noNc.ok && noNc.status === 400 && noNc.detail,
    "Cannot parse auth header: at 0: qop without nc",
  );
  const otherUri = auth.authenticate(
    register([credentials(nonce, { uri: "sip:evil.example" })]),
    { proxy: false },
  );
  assert.is(!otherUri.ok && otherUri.reason, "uri-mismatch");
  const caseOnly = auth.authenticate(
    register([credentials(nonce, { uri: "SIP:EXAMPLE.ORG" })]),
    { proxy: false },
  );
  assert.ok(caseOnly.ok);
  const hashed = auth.authenticate(
    register([credentials(nonce, { nc: "00000009" }) + ", userhash=true"]),
    { proxy: false },
  );
  assert.is(!hashed.ok && hashed.reason, "userhash");
  const shortResponse = auth.authenticate(
    register([
      credentials(nonce, { algorithm: "MD5" }).replace(/response="[0-9a-f]+"/, 'response="abc"'),
    ]),
    { proxy: false },
  );
  assert.is(!shortResponse.ok && shortResponse.reason, "malformed");
  const lax = setup({ checkUri: false }).auth;
  const laxNonce = nonceOf(lax.authenticate(register([]), { proxy: false }));
  assert.ok(
    lax.authenticate(register([credentials(laxNonce, { uri: "sip:other" })]), { proxy: false }).ok,
  );
});

test("DigestAuthenticator skips other realms and schemes, and picks the most preferred algorithm", () => {
  const { auth } = setup({ algorithms: ["SHA-256", "MD5"] });
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: true }));
  const values = [
    "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    credentials(nonce, { realm: "elsewhere.org" }),
    // A wrong MD5 response: it must not be the one used when a SHA-256 one is there.
    credentials(nonce, { algorithm: "MD5", password: "wrong" }),
    credentials(nonce, { algorithm: "SHA-256" }),
  ];
  const outcome = auth.authenticate(register(values), { proxy: true });
  assert.is(outcome.ok && outcome.algorithm, "SHA-256");
  const onlyOthers = auth.authenticate(register(values.slice(0, 2)), { proxy: true });
  assert.is(!onlyOthers.ok && onlyOthers.reason, "no-credentials");
  const sessOnly = auth.authenticate(
    register([
      credentials(nonce, { nc: "00000002" }).replace("algorithm=SHA-256", "algorithm=SHA-256-sess"),
    ]),
    { proxy: true },
  );
  assert.is(!sessOnly.ok && sessOnly.reason, "unsupported-algorithm");
});

test("DigestAuthenticator only offers configured algorithms, and refuses credentials of others", () => {
  const { auth } = setup({ algorithms: ["SHA-512-256"] });
  const outcome = auth.authenticate(register([]), { proxy: false });
  assert.equal(
    !outcome.ok && outcome.status === 401 &&
      outcome.headerValues.map((v) => parseDigestChallenge(v)!.algorithm),
    ["SHA-512-256"],
  );
  const nonce = nonceOf(outcome);
  assert.is(
    auth.authenticate(register([credentials(nonce, { algorithm: "SHA-512-256" })]), {
      proxy: false,
    }).ok,
    true,
  );
  const md5 = auth.authenticate(
    register([credentials(nonce, { algorithm: "MD5", nc: "00000002" })]),
    {
      proxy: false,
    },
  );
  assert.is(!md5.ok && md5.reason, "unsupported-algorithm");
  const isTypeError = (e: unknown): boolean => e instanceof TypeError;
  assert.throws(() => setup({ algorithms: [] }), isTypeError);
  assert.throws(() => setup({ algorithms: ["MD5", "MD5"] }), isTypeError);
  assert.throws(() => setup({ realm: "" }), isTypeError);
  assert.throws(() => setup({ realm: "a\nb" }), isTypeError);
});

test("DigestAuthenticator.sweep() forgets expired nonce-counts; a swept nonce stays refused", () => {
  const { auth, clock } = setup({ nonceLifetimeSeconds: 60 });
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  assert.ok(auth.authenticate(register([credentials(nonce)]), { proxy: false }).ok);
  assert.is(auth.stats.trackedNonces, 1);
  clock.advance(61_000);
  assert.is(auth.sweep(), 1);
  assert.is(auth.stats.trackedNonces, 0);
  const again = auth.authenticate(register([credentials(nonce, { nc: "00000002" })]), {
    proxy: false,
  });
  assert.is(!again.ok && again.reason, "stale-nonce");
});

test("DigestAuthenticator with a full nonce tracker drops the oldest, counts it, and refuses it as stale", () => {
  const { auth, metrics } = setup({ maxTrackedNonces: 1 });
  const first = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const second = nonceOf(auth.authenticate(register([]), { proxy: false }));
  assert.ok(auth.authenticate(register([credentials(first)]), { proxy: false }).ok);
  assert.ok(auth.authenticate(register([credentials(second)]), { proxy: false }).ok);
  assert.is(auth.stats.trackedNoncesDropped, 1);
  assert.is(metrics.value("superpeer_sip_auth_dropped_total", { reason: "nonce_tracker_full" }), 1);
  const replay = auth.authenticate(register([credentials(first)]), { proxy: false });
  assert.is(!replay.ok && replay.reason, "stale-nonce");
});

test("DigestAuthenticator.replaceUsers() takes effect on the next request", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  auth.replaceUsers(new UsersTable([makeUserRecord("alice", REALM, "new password")]));
  const old = auth.authenticate(register([credentials(nonce)]), { proxy: false });
  assert.is(!old.ok && old.reason, "wrong-response");
  assert.ok(
    auth.authenticate(
      register([credentials(nonce, { password: "new password", nc: "00000002" })]),
      { proxy: false },
    ).ok,
  );
});

test("DigestAuthenticator never throws on hostile header values", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.authenticate(register([]), { proxy: false }));
  const good = credentials(nonce);
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const chars = [...good];
    for (let k = 0; k < 3; k++) {
      chars[Math.floor(random() * chars.length)] = String.fromCharCode(Math.floor(random() * 128));
    }
    const outcome = auth.authenticate(register([chars.join("")], `10.0.${i % 256}.1`), {
      proxy: false,
    });
    assert.type(outcome.ok, "boolean");
  }
});

test.run();
