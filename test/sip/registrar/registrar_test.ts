import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  getParam,
  parseNameAddr,
  parseSipMessage,
  serializeSipMessage,
  type SipMessage,
} from "../../../src/codec/sip/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import {
  DigestAuthenticator,
  digestHa1,
  digestResponse,
  formatDigestCredentials,
  makeUserRecord,
  parseDigestChallenge,
  UsersTable,
} from "../../../src/sip/digest/mod.ts";
import { BindingTable, Registrar } from "../../../src/sip/registrar/mod.ts";

const REALM = "mesh.example";
const encoder = new TextEncoder();

function setup(auth = true) {
  const clock = new ManualClock();
  const metrics = new MetricsRegistry();
  const bindings = new BindingTable<string>({ minExpiresSeconds: 60 });
  const authenticator = auth
    ? new DigestAuthenticator(
      { realm: REALM, nonceSecret: new Uint8Array(32).fill(3) },
      { clock, users: new UsersTable([makeUserRecord("alice", REALM, "wonderland")]) },
    )
    : undefined;
  let tags = 0;
  const registrar = new Registrar<string>({ domains: [REALM] }, {
    bindings,
    authenticator,
    clock,
    metrics,
    newTag: () => `tag${++tags}`,
  });
  return { clock, metrics, bindings, registrar };
}

interface RegisterOptions {
  readonly user?: string;
  readonly contacts?: readonly string[];
  readonly expires?: number;
  readonly cseq?: number;
  readonly authorization?: string;
  readonly extra?: readonly string[];
}

/** A REGISTER as a phone writes it, run through the real parser. */
function register(o: RegisterOptions = {}): SipMessage {
  const user = o.user ?? "alice";
  const lines = [
    `REGISTER sip:${REALM} SIP/2.0`,
    "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK776asdhds;rport",
    "Max-Forwards: 70",
    `To: <sip:${user}@${REALM}>`,
    `From: <sip:${user}@${REALM}>;tag=456248`,
    "Call-ID: 843817637684230@998sdasdh09",
    `CSeq: ${o.cseq ?? 1} REGISTER`,
    ...(o.contacts ?? ["<sip:alice@192.0.2.7:5060>"]).map((c) => `Contact: ${c}`),
    ...(o.expires === undefined ? [] : [`Expires: ${o.expires}`]),
    ...(o.authorization === undefined ? [] : [`Authorization: ${o.authorization}`]),
    ...(o.extra ?? []),
    "Content-Length: 0",
    "",
    "",
  ];
  return parseSipMessage(encoder.encode(lines.join("\r\n")));
}

function answer(response: SipMessage, password = "wonderland", user = "alice"): string {
  const challenge = parseDigestChallenge(response.headers.get("www-authenticate")!)!;
  const algorithm = "SHA-256";
  const ha1 = digestHa1(algorithm, { username: user, realm: REALM, password });
  const fields = { qop: "auth" as const, nc: "00000001", cnonce: "0a4f113b" };
  const uri = `sip:${REALM}`;
  const response2 = digestResponse(algorithm, {
    ha1,
    method: "REGISTER",
    uri,
    nonce: challenge.nonce,
    ...fields,
  });
  return formatDigestCredentials({
    username: user,
    realm: REALM,
    nonce: challenge.nonce,
    uri,
    response: response2,
    algorithm,
    ...fields,
  });
}

const CONTEXT = { sourceIp: "192.0.2.7", flow: "udp:192.0.2.7:5060" };

test("Registrar challenges, then binds with a 200 OK listing the contact, its expiry and a Date", () => {
  const { registrar, bindings, metrics } = setup();
  const first = registrar.handle(register({ expires: 600 }), CONTEXT);
  assert.is(first.response.status, 401);
  assert.is(first.outcome, "challenged");
  assert.is(first.response.headers.getAll("www-authenticate").length, 2); // SHA-256 and MD5
  assert.is(getParam(first.response.to().params, "tag"), "tag1");
  assert.is(bindings.size, 0);
  const second = registrar.handle(
    register({ expires: 600, cseq: 2, authorization: answer(first.response) }),
    CONTEXT,
  );
  assert.is(second.response.status, 200, second.response.reason);
  assert.is(second.aor, `sip:alice@${REALM}`);
  const contacts = second.response.contacts();
  assert.ok(contacts !== "*");
  assert.is(contacts.length, 1);
  assert.is(contacts[0]!.uri, "sip:alice@192.0.2.7:5060");
  assert.is(getParam(contacts[0]!.params, "expires"), "600");
  assert.ok(second.response.headers.has("date"));
  assert.is(second.response.callId(), "843817637684230@998sdasdh09");
  assert.is(second.response.topVia().branch, "z9hG4bK776asdhds");
  assert.is(bindings.lookup(`sip:alice@${REALM}`, 0)[0]!.flow, CONTEXT.flow);
  // the response serializes and parses back
  const back = parseSipMessage(serializeSipMessage(second.response));
  assert.is(back.status, 200);
  assert.is(metrics.value("superpeer_sip_registrations_total", { outcome: "ok" }), 1);
  assert.is(metrics.value("superpeer_sip_registrations_total", { outcome: "challenged" }), 1);
});

test("Registrar refuses to bind another user's AOR with 403, and an unserved domain with 404", () => {
  const { registrar } = setup();
  const challenge = registrar.handle(register({ user: "bob" }), CONTEXT).response;
  const stolen = registrar.handle(
    register({ user: "bob", cseq: 2, authorization: answer(challenge) }),
    CONTEXT,
  );
  assert.is(stolen.response.status, 403);
  const open = setup(false).registrar;
  const elsewhere = open.handle(
    parseSipMessage(encoder.encode(
      serializeText(register()).replace(
        `To: <sip:alice@${REALM}>`,
        "To: <sip:alice@other.example>",
      ),
    )),
    CONTEXT,
  );
  assert.is(elsewhere.response.status, 404);
});

test("Registrar answers 423 with Min-Expires, 420 for an unknown Require, 400 for a tel: AOR", () => {
  const { registrar } = setup(false);
  const brief = registrar.handle(register({ expires: 20 }), CONTEXT);
  assert.is(brief.response.status, 423);
  assert.is(brief.response.headers.get("min-expires"), "60");
  const required = registrar.handle(register({ extra: ["Require: path, 100rel"] }), CONTEXT);
  assert.is(required.response.status, 420);
  assert.is(required.response.headers.get("unsupported"), "100rel");
  const tel = parseSipMessage(encoder.encode(
    serializeText(register()).replace(`To: <sip:alice@${REALM}>`, "To: <tel:+15551234>"),
  ));
  assert.is(registrar.handle(tel, CONTEXT).response.status, 400);
});

test("Registrar echoes Path to a UA that supports it and stores it with the binding", () => {
  const { registrar, bindings } = setup(false);
  const result = registrar.handle(
    register({
      expires: 300,
      extra: ["Path: <sip:edge.mesh.example;lr>", "Supported: path, outbound"],
    }),
    CONTEXT,
  );
  assert.is(result.response.status, 200);
  assert.equal(result.response.headers.getAll("path"), ["<sip:edge.mesh.example;lr>"]);
  assert.equal(bindings.lookup(`sip:alice@${REALM}`, 0)[0]!.path, ["<sip:edge.mesh.example;lr>"]);
  const broken = registrar.handle(
    register({ cseq: 3, expires: 300, extra: ["Path: <edge.mesh.example;lr>"] }),
    CONTEXT,
  );
  assert.is(broken.response.status, 400, "a Path that does not parse is refused, not stored");
  const without = registrar.handle(
    register({ cseq: 4, expires: 300, extra: ["Path: <sip:edge.mesh.example;lr>"] }),
    CONTEXT,
  );
  assert.is(without.response.headers.has("path"), false);
});

test("Registrar answers 400 to a REGISTER whose Expires or Contact does not parse, and keeps serving", () => {
  const { registrar, bindings } = setup(false);
  const broken = registrar.handle(register({ extra: ["Expires: soon"] }), CONTEXT);
  assert.is(broken.response.status, 400);
  const badContact = registrar.handle(register({ contacts: ["<no-scheme>"] }), CONTEXT);
  assert.is(badContact.response.status, 400);
  assert.is(registrar.handle(register({ expires: 120 }), CONTEXT).response.status, 200);
  assert.is(bindings.size, 1);
  // a query (no Contact) lists the binding; expiry counts down on the clock
  const query = registrar.handle(register({ contacts: [], cseq: 5 }), CONTEXT);
  const listed = query.response.contacts();
  assert.ok(listed !== "*" && listed.length === 1);
  assert.is(parseNameAddr(query.response.headers.get("contact")!).uri, "sip:alice@192.0.2.7:5060");
});

test("Registrar adds the registered-headers (relay hand-off) to a 200 OK, not to refusals", () => {
  const clock = new ManualClock();
  const calls: string[] = [];
  const registrar = new Registrar<string>({ domains: [REALM] }, {
    bindings: new BindingTable<string>({ minExpiresSeconds: 60 }),
    clock,
    registeredHeaders: (user, aor) => {
      calls.push(`${user} ${aor}`);
      return [["Superpeer-TURN", "<turn:192.0.2.1:3478?transport=udp>"]];
    },
  });
  const ok = registrar.handle(register({ expires: 300 }), CONTEXT);
  assert.is(ok.response.status, 200);
  assert.equal(ok.response.headers.getAll("superpeer-turn"), [
    "<turn:192.0.2.1:3478?transport=udp>",
  ]);
  assert.equal(calls, [`alice sip:alice@${REALM}`]);
  const brief = registrar.handle(register({ expires: 10, cseq: 2 }), CONTEXT);
  assert.is(brief.response.status, 423);
  assert.is(brief.response.headers.has("superpeer-turn"), false);
});

function serializeText(message: SipMessage): string {
  return new TextDecoder().decode(serializeSipMessage(message));
}

test.run();
