// RFC 8489 sections 9.2.4, 14.4 and 14.11-14.12 on the TURN server: the nonce cookie, the
// PASSWORD-ALGORITHMS offer, SHA-256 long-term keys with MESSAGE-INTEGRITY-SHA256, USERHASH.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  decodeNonce,
  encodeLifetime,
  encodeNonce,
  encodePasswordAlgorithm,
  encodeRealm,
  encodeRequestedTransport,
  encodeUserhash,
  encodeUsername,
  longTermKey,
  nonceFeatures,
  type PasswordAlgorithm,
  passwordAlgorithmsValue,
  SecurityFeature,
  StunAttribute,
  StunMessageBuilder,
  userhash,
} from "../../src/codec/stun/mod.ts";
import { ManualClock } from "../../src/core/clock.ts";
import {
  RestCredentialStore,
  StaticCredentialStore,
  staticUserKeyHex,
} from "../../src/relay/mod.ts";
import {
  errorOf,
  makeServer,
  newTransactionId,
  PASSWORDS,
  REALM,
  TestClient,
  tupleOf,
} from "./turn_test_client.ts";

const ALLOCATE = 0x0003;
const REFRESH = 0x0004;

/** Static users with both keys (or only the algorithms given). */
function usersWith(algorithms: readonly PasswordAlgorithm[]): StaticCredentialStore {
  const users: Record<string, string[]> = {};
  for (const [user, password] of Object.entries(PASSWORDS)) {
    users[user] = algorithms.map((algorithm) => staticUserKeyHex(user, REALM, password, algorithm));
  }
  return new StaticCredentialStore({ users });
}

interface Rfc8489Request {
  readonly algorithm?: PasswordAlgorithm;
  /** PASSWORD-ALGORITHMS to echo; the offer from the challenge when left out. */
  readonly offer?: Uint8Array | null;
  readonly anonymous?: boolean;
  readonly sha256Integrity?: boolean;
  readonly nonce?: string;
  readonly lifetime?: number;
}

/** An RFC 8489 client: echoes the offer, names its algorithm, signs with MI-SHA256. */
function rfc8489Request(
  client: TestClient,
  type: number,
  offer: Uint8Array,
  options: Rfc8489Request = {},
): Uint8Array {
  const algorithm = options.algorithm ?? "sha256";
  const password = PASSWORDS[client.username]!;
  const key = longTermKey({ username: client.username, realm: REALM, password }, algorithm);
  const b = new StunMessageBuilder().begin(type, newTransactionId());
  if (type === ALLOCATE) encodeRequestedTransport(b, 17);
  if (options.lifetime !== undefined) encodeLifetime(b, options.lifetime);
  if (options.anonymous) encodeUserhash(b, userhash(client.username, REALM));
  else encodeUsername(b, client.username);
  encodeRealm(b, REALM);
  encodeNonce(b, options.nonce ?? client.nonce!);
  const echoed = options.offer === undefined ? offer : options.offer;
  if (echoed !== null) b.addBytes(StunAttribute.PasswordAlgorithms, echoed);
  if (options.offer !== null || options.algorithm !== undefined) {
    encodePasswordAlgorithm(b, algorithm);
  }
  return b.finish(
    options.sha256Integrity === false ? { integrityKey: key } : { integritySha256Key: key },
  ).slice();
}

/** The challenge: a 401 to an unauthenticated Allocate; returns the offered list's bytes. */
function challenge(client: TestClient): Uint8Array {
  const first = client.request(ALLOCATE, (b) => encodeRequestedTransport(b, 17), { auth: false });
  assert.is(errorOf(first.response), 401);
  const at = first.response!.indexOf(StunAttribute.PasswordAlgorithms);
  assert.ok(at >= 0, "401 carries PASSWORD-ALGORITHMS");
  return first.response!.value(at).slice();
}

test("TurnServer challenges with the nonce cookie and offers MD5 first while a user lacks SHA-256", () => {
  const { server } = makeServer();
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  assert.equal(offer, passwordAlgorithmsValue(["md5", "sha256"]));
  assert.is(
    nonceFeatures(client.nonce!),
    SecurityFeature.PasswordAlgorithms | SecurityFeature.UsernameAnonymity,
  );
  // an RFC 5389 client ignores the offer and is processed as MD5, answered with MESSAGE-INTEGRITY
  const legacy = client.allocate();
  assert.is(errorOf(legacy.response), 0);
  assert.ok(checkMessageIntegrity(legacy.response!, client.key));
  assert.is(legacy.response!.integritySha256Index, -1);
});

test("TurnServer allocates with a SHA-256 key and answers with MESSAGE-INTEGRITY-SHA256", () => {
  const { server } = makeServer({}, { credentials: usersWith(["md5", "sha256"]) });
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  assert.equal(offer, passwordAlgorithmsValue(["sha256", "md5"]));
  const allocated = client.send(rfc8489Request(client, ALLOCATE, offer));
  assert.is(errorOf(allocated.response), 0);
  const key = longTermKey({ username: "alice", realm: REALM, password: "wonderland" }, "sha256");
  assert.ok(checkMessageIntegritySha256(allocated.response!, key));
  assert.is(allocated.response!.integrityIndex, -1);
  // the allocation keeps its SHA-256 key: a Refresh signed with it succeeds the same way
  const refreshed = client.send(rfc8489Request(client, REFRESH, offer, { lifetime: 900 }));
  assert.is(errorOf(refreshed.response), 0);
  assert.ok(checkMessageIntegritySha256(refreshed.response!, key));
  // MD5 named explicitly, signed with MI-SHA256: accepted on a fresh 5-tuple, answered likewise
  const other = new TestClient(server, tupleOf(2));
  const offer2 = challenge(other);
  const md5 = other.send(rfc8489Request(other, ALLOCATE, offer2, { algorithm: "md5" }));
  assert.is(errorOf(md5.response), 0);
  assert.ok(checkMessageIntegritySha256(md5.response!, other.key));
});

test("TurnServer answers 400 when PASSWORD-ALGORITHM(S) do not match its offer", () => {
  const { server } = makeServer({}, { credentials: usersWith(["md5", "sha256"]) });
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  const cases: Array<[string, Rfc8489Request]> = [
    ["PASSWORD-ALGORITHM alone", { offer: null, algorithm: "sha256" }],
    ["offer reordered", { offer: passwordAlgorithmsValue(["md5", "sha256"]) }],
    ["offer shortened (bid-down)", { offer: passwordAlgorithmsValue(["md5"]), algorithm: "md5" }],
  ];
  for (const [what, options] of cases) {
    const { response } = client.send(rfc8489Request(client, ALLOCATE, offer, options));
    assert.is(errorOf(response), 400, what);
    assert.is(response!.integritySha256Index, -1, what);
  }
  // PASSWORD-ALGORITHMS alone (no PASSWORD-ALGORITHM): 400 too
  const b = new StunMessageBuilder().begin(ALLOCATE, newTransactionId());
  encodeRequestedTransport(b, 17);
  encodeUsername(b, "alice");
  encodeRealm(b, REALM);
  encodeNonce(b, client.nonce!);
  b.addBytes(StunAttribute.PasswordAlgorithms, offer);
  const alone = client.send(b.finish({ integrityKey: client.key }).slice());
  assert.is(errorOf(alone.response), 400);
  assert.is(server.table.size, 0);
});

test("TurnServer finds the user of a USERHASH, and answers 401 to an unknown one", () => {
  const { server } = makeServer({}, { credentials: usersWith(["md5", "sha256"]) });
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  const allocated = client.send(rfc8489Request(client, ALLOCATE, offer, { anonymous: true }));
  assert.is(errorOf(allocated.response), 0);
  assert.is(server.table.size, 1);
  const stranger = new TestClient(server, tupleOf(2), "mallory", "x");
  PASSWORDS.mallory = "x";
  try {
    const offer2 = challenge(stranger);
    const refused = stranger.send(
      rfc8489Request(stranger, ALLOCATE, offer2, { anonymous: true }),
    );
    assert.is(errorOf(refused.response), 401);
    assert.ok(refused.response!.has(StunAttribute.PasswordAlgorithms));
  } finally {
    delete PASSWORDS.mallory;
  }
});

test("TurnServer answers 438 to a nonce whose cookie was rewritten to drop a feature", () => {
  const { server } = makeServer({}, { credentials: usersWith(["md5", "sha256"]) });
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  const nonce = client.nonce!;
  const stripped = "obMatJos2AAAA" + nonce.slice(13);
  const { response } = client.send(
    rfc8489Request(client, ALLOCATE, offer, { nonce: stripped, algorithm: "md5" }),
  );
  assert.is(errorOf(response), 438);
  assert.ok(decodeNonce(response!, response!.indexOf(StunAttribute.Nonce)).startsWith("obMatJos2"));
  assert.ok(response!.has(StunAttribute.PasswordAlgorithms));
  assert.is(server.table.size, 0);
});

test("TurnServer refuses MD5 for a user configured with a SHA-256 key only", () => {
  const { server } = makeServer({}, { credentials: usersWith(["sha256"]) });
  const client = new TestClient(server, tupleOf());
  const offer = challenge(client);
  assert.equal(offer, passwordAlgorithmsValue(["sha256", "md5"]));
  assert.is(errorOf(client.allocate().response), 401); // legacy request: processed as MD5
  assert.is(errorOf(client.send(rfc8489Request(client, ALLOCATE, offer)).response), 0);
});

test("TurnServer takes SHA-256 with TURN REST credentials and leaves username anonymity off", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const rest = new RestCredentialStore({ secrets: ["north"] }, { clock });
  const minted = rest.mint("carol", { ttlSeconds: 600 });
  PASSWORDS[minted.username] = minted.password;
  try {
    const { server } = makeServer({}, { credentials: rest, clock });
    const client = new TestClient(server, tupleOf(), minted.username);
    const offer = challenge(client);
    assert.is(nonceFeatures(client.nonce!), SecurityFeature.PasswordAlgorithms);
    const allocated = client.send(rfc8489Request(client, ALLOCATE, offer));
    assert.is(errorOf(allocated.response), 0);
  } finally {
    delete PASSWORDS[minted.username];
  }
});

test("StaticCredentialStore takes MD5 and SHA-256 keys and refuses two of one kind", () => {
  const md5 = staticUserKeyHex("u", REALM, "p");
  const sha = staticUserKeyHex("u", REALM, "p", "sha256");
  assert.is(sha.length, 64);
  const store = new StaticCredentialStore({ users: { u: [md5, sha], v: md5 } });
  assert.is(store.keysFor("u", REALM, "sha256").length, 1);
  assert.is(store.keysFor("v", REALM, "sha256").length, 0);
  assert.equal(store.algorithms, ["md5"]);
  assert.is(store.usernameFor(userhash("v", REALM), REALM), "v");
  assert.is(store.usernameFor(userhash("w", REALM), REALM), undefined);
  assert.throws(
    () => new StaticCredentialStore({ users: { u: [md5, md5] } }),
    (e: unknown) => e instanceof TypeError,
  );
  // OpaqueString: a no-break space in the password is the same key as an ASCII space
  assert.is(staticUserKeyHex("u", REALM, "a\u00a0b"), staticUserKeyHex("u", REALM, "a b"));
});

test.run();
