// The Proxy Peer role (issue #6 part 8) on a memory network with virtual time and scripted
// phones: proxy authentication of our own phones (407, then forwarded without the credentials),
// requests from superpeers not challenged (configured block, or the From AOR's overlay entry),
// the peering policy for requests from outside (403 outside the allowed sources, accepted from
// inside them, no relaying to other domains), and calls to other domains by static route and by
// RFC 3263 with failover to the next SRV target on 503.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SipMessage } from "../../../src/codec/sip/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import type { DatagramAddress } from "../../../src/core/transport.ts";
import {
  DigestAuthenticator,
  digestHa1,
  digestResponse,
  formatDigestCredentials,
  makeUserRecord,
  parseDigestChallenge,
  UsersTable,
} from "../../../src/sip/digest/mod.ts";
import type { SipDnsLookup } from "../../../src/sip/peering/rfc3263_resolver.ts";
import { SipElement, type SipElementInit } from "../../../src/sip/sip_element.ts";
import { MemoryNetwork } from "../../../src/transport/memory_network.ts";
import { VirtualScheduler } from "../../../src/transport/virtual_scheduler.ts";
import { DOMAIN, FakeOverlay, Phone } from "./scripted_phones.ts";

const PASSWORDS: Record<string, string> = { alice: "wonderland", bob: "builder", carol: "c" };

interface Options {
  readonly auth?: boolean;
  readonly init?: Partial<SipElementInit>;
  readonly dns?: SipDnsLookup;
}

function setup(options: Options = {}) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  let state = 11;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const network = new MemoryNetwork({ scheduler, random });
  const overlay = new FakeOverlay();
  const users = new UsersTable(
    Object.entries(PASSWORDS).map(([user, password]) => makeUserRecord(user, DOMAIN, password)),
  );
  const element = (name: string, host: string, init: Partial<SipElementInit> = {}) => {
    const metrics = new MetricsRegistry();
    const authenticator = options.auth
      ? new DigestAuthenticator({ realm: DOMAIN, algorithms: ["MD5"] }, { clock, users, metrics })
      : undefined;
    const sip = new SipElement({
      domains: [DOMAIN],
      advertised: { host, port: 5060 },
      ...init,
    }, {
      udp: network.attach({ host, port: 5060 }),
      overlay: overlay.peer(name),
      ...(authenticator !== undefined ? { authenticator } : {}),
      ...(options.dns !== undefined ? { dns: options.dns } : {}),
      random: () => 0,
      clock,
      scheduler,
      logger: silentLogger(),
      metrics,
    });
    sip.start();
    return { sip, metrics, address: { host, port: 5060 } };
  };
  const a = element("A", "10.0.0.1", options.init);
  const b = element("B", "10.0.0.2", options.init);
  const phone = (host: string, user: string) => new Phone(network, { host, port: 5060 }, user);
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 5) {
      scheduler.runFor(5);
      for (let i = 0; i < 4; i++) await Promise.resolve();
    }
  };
  /** A binding made directly in the element's table (the registrar has its own tests). */
  const registerAt = (at: ReturnType<typeof element>, p: Phone) => {
    at.sip.bindings.register({
      aor: `sip:${p.user}@${DOMAIN}`,
      callId: `reg-${p.user}`,
      cseq: 1,
      contacts: [{ uri: p.contact, displayName: undefined, params: [] }],
      expires: 600,
      path: [],
      flow: { transport: "UDP", host: p.address.host, port: p.address.port, reliable: false },
    }, clock.monotonic());
  };
  return { clock, network, overlay, a, b, phone, run, registerAt };
}

interface InviteOptions {
  readonly branch: string;
  readonly cseq?: number;
  readonly fromDomain?: string;
  readonly toUri?: string;
  readonly extra?: readonly string[];
}

function invite(from: Phone, to: string, proxy: DatagramAddress, o: InviteOptions): void {
  const toUri = o.toUri ?? `sip:${to}@${DOMAIN}`;
  from.send([
    `INVITE ${toUri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address.host}:5060;branch=${o.branch};rport`,
    "Max-Forwards: 70",
    `To: <${toUri}>`,
    `From: <sip:${from.user}@${o.fromDomain ?? DOMAIN}>;tag=caller`,
    `Call-ID: call-${o.branch.replace(/\d+$/, "")}`,
    `CSeq: ${o.cseq ?? 1} INVITE`,
    `Contact: <${from.contact}>`,
    ...(o.extra ?? []),
  ], proxy);
}

/** Proxy-Authorization answering the 407's first challenge, as `user`. */
function credentials(challengeResponse: SipMessage, uri: string, user: string): string {
  const challenge = parseDigestChallenge(challengeResponse.headers.get("proxy-authenticate")!)!;
  const ha1 = digestHa1("MD5", { username: user, realm: DOMAIN, password: PASSWORDS[user]! });
  const fields = { qop: "auth" as const, nc: "00000001", cnonce: "0a4f113b" };
  const response = digestResponse("MD5", {
    ha1,
    method: "INVITE",
    uri,
    nonce: challenge.nonce,
    ...fields,
  });
  return formatDigestCredentials({
    username: user,
    realm: DOMAIN,
    nonce: challenge.nonce,
    uri,
    response,
    algorithm: "MD5",
    ...fields,
  });
}

test("A phone's INVITE gets 407; the retry with Proxy-Authorization is forwarded without it", async () => {
  const { a, phone, run, registerAt } = setup({ auth: true });
  const alice = phone("10.0.1.1", "alice");
  const bob = phone("10.0.1.2", "bob");
  registerAt(a, bob);
  invite(alice, "bob", a.address, { branch: "z9hG4bKauth1" });
  await run(500);
  assert.equal(alice.finals("INVITE"), [407]);
  const challenge = alice.responses("INVITE").find((r) => r.status === 407)!;
  assert.ok(challenge.headers.get("proxy-authenticate")?.startsWith("Digest "));
  assert.is(bob.requests("INVITE").length, 0, "nothing forwarded before authentication");
  const other =
    'Digest username="x", realm="elsewhere.example", nonce="n", uri="sip:x", response="00"';
  invite(alice, "bob", a.address, {
    branch: "z9hG4bKauth2",
    cseq: 2,
    extra: [
      `Proxy-Authorization: ${credentials(challenge, `sip:bob@${DOMAIN}`, "alice")}`,
      `Proxy-Authorization: ${other}`,
    ],
  });
  await run(1_000);
  const forwarded = bob.requests("INVITE");
  assert.is(forwarded.length, 1, "forwarded once authenticated");
  // RFC 3261 section 22.3: our realm's credentials consumed, another realm's passed on
  assert.equal(forwarded[0]!.headers.getAll("proxy-authorization"), [other]);
  assert.equal(alice.finals("INVITE"), [407, 200]);
  assert.is(a.metrics.value("superpeer_sip_proxy_origin_total", { origin: "phone" }), 2);
});

test("A phone authenticated as another user than its From gets 403 (identity)", async () => {
  const { a, phone, run, registerAt } = setup({ auth: true });
  const alice = phone("10.0.1.1", "alice");
  registerAt(a, phone("10.0.1.2", "bob"));
  invite(alice, "bob", a.address, { branch: "z9hG4bKid1" });
  await run(500);
  const challenge = alice.responses("INVITE").find((r) => r.status === 407)!;
  invite(alice, "bob", a.address, {
    branch: "z9hG4bKid2",
    cseq: 2,
    extra: [`Proxy-Authorization: ${credentials(challenge, `sip:bob@${DOMAIN}`, "carol")}`],
  });
  await run(500);
  assert.equal(alice.finals("INVITE"), [407, 403]);
  assert.is(a.metrics.value("superpeer_sip_policy_refused_total", { reason: "identity" }), 1);
});

test("Superpeer B does not challenge A's forwarded INVITE: the overlay entry of its From names A", async () => {
  const { a, b, phone, run, registerAt, overlay } = setup({ auth: true });
  const alice = phone("10.0.1.1", "alice");
  const bob = phone("10.0.2.1", "bob");
  registerAt(a, alice);
  registerAt(b, bob);
  assert.equal([...overlay.entries.get(`sip:alice@${DOMAIN}`)!], [[
    "A",
    "sip:alice@10.0.0.1:5060",
  ]]);
  invite(alice, "bob", a.address, { branch: "z9hG4bKpeer1" });
  await run(500);
  const challenge = alice.responses("INVITE").find((r) => r.status === 407)!;
  invite(alice, "bob", a.address, {
    branch: "z9hG4bKpeer2",
    cseq: 2,
    extra: [`Proxy-Authorization: ${credentials(challenge, `sip:bob@${DOMAIN}`, "alice")}`],
  });
  await run(1_000);
  assert.is(bob.requests("INVITE").length, 1, "B delivered it");
  assert.equal(alice.finals("INVITE"), [407, 200]);
  assert.is(b.metrics.value("superpeer_sip_proxy_origin_total", { origin: "peer" }), 1);
  assert.is(b.metrics.value("superpeer_sip_proxy_origin_total", { origin: "phone" }), 0);
  assert.ok(
    b.sip.peers.isPeer({ transport: "UDP", host: "10.0.0.1", port: 5060, reliable: false }),
  );
});

test("A request with our From from an unknown source is challenged; from a sip.peers block it is not", async () => {
  const { b, phone, run, registerAt } = setup({
    auth: true,
    init: { peers: { trustedSources: ["10.0.9.0/24"] } },
  });
  const bob = phone("10.0.2.1", "bob");
  registerAt(b, bob);
  // claims to be alice, sent straight to B from an address no entry names
  const spoofer = phone("10.0.7.7", "alice");
  invite(spoofer, "bob", b.address, { branch: "z9hG4bKspoof1" });
  const trusted = phone("10.0.9.9", "alice");
  invite(trusted, "bob", b.address, { branch: "z9hG4bKtrust1" });
  await run(1_000);
  assert.equal(spoofer.finals("INVITE"), [407]);
  assert.equal(trusted.finals("INVITE"), [200]);
  assert.is(bob.requests("INVITE").length, 1);
});

test("An outside INVITE from a source outside the peering policy gets 403; one from inside is proxied", async () => {
  const { a, phone, run, registerAt } = setup({
    auth: true,
    init: { peering: { allowedSources: ["198.51.100.0/24"] } },
  });
  const bob = phone("10.0.1.2", "bob");
  registerAt(a, bob);
  const spammer = phone("203.0.113.66", "spam");
  invite(spammer, "bob", a.address, { branch: "z9hG4bKout1", fromDomain: "spam.example" });
  await run(500);
  assert.equal(spammer.finals("INVITE"), [403]);
  assert.is(bob.requests("INVITE").length, 0);
  assert.is(a.metrics.value("superpeer_sip_policy_refused_total", { reason: "source" }), 1);

  const partner = phone("198.51.100.5", "carol");
  invite(partner, "bob", a.address, { branch: "z9hG4bKout2", fromDomain: "partner.example" });
  await run(1_000);
  assert.equal(partner.finals("INVITE"), [200], "accepted without a challenge: the I-CSCF role");
  assert.is(bob.requests("INVITE").length, 1);
  // no open relay: an outside request for another domain is refused
  invite(partner, "x", a.address, {
    branch: "z9hG4bKout3",
    fromDomain: "partner.example",
    toUri: "sip:x@third.example",
  });
  await run(500);
  assert.equal(partner.finals("INVITE"), [200, 403]);
  assert.is(a.metrics.value("superpeer_sip_policy_refused_total", { reason: "to_domain" }), 1);
  assert.is(a.sip.policy.inviteCount, 0, "the INVITE slot is free again");
});

test("A call to another domain goes by static route; RFC 3263 fails over to the next SRV target on 503", async () => {
  const asked: string[] = [];
  const dns: SipDnsLookup = {
    naptr: (name) => (asked.push(`NAPTR ${name}`), Promise.resolve([])),
    srv: (name) => {
      asked.push(`SRV ${name}`);
      return Promise.resolve(
        name === "_sip._udp.far.example"
          ? [
            { name: "busy.far.example", port: 5060, priority: 10, weight: 0 },
            { name: "ok.far.example", port: 5060, priority: 20, weight: 0 },
          ]
          : [],
      );
    },
    a: (name) =>
      Promise.resolve(
        name === "busy.far.example"
          ? [{ address: "192.0.2.1" }]
          : name === "ok.far.example"
          ? [{ address: "192.0.2.2" }]
          : [],
      ),
    aaaa: () => Promise.resolve([]),
  };
  const { a, phone, run, network } = setup({
    dns,
    init: { outbound: { routes: ["partner.example=198.51.100.20:5080"] } },
  });
  const alice = phone("10.0.1.1", "alice");
  const gateway = new Phone(network, { host: "198.51.100.20", port: 5080 }, "gw");
  invite(alice, "x", a.address, { branch: "z9hG4bKstatic1", toUri: "sip:dave@partner.example" });
  await run(1_000);
  assert.equal(gateway.requests("INVITE").map((r) => r.uri), ["sip:dave@partner.example"]);
  assert.equal(alice.finals("INVITE"), [200]);
  assert.not.ok(asked.some((q) => q.includes("partner.example")), "a static route needs no DNS");

  const busy = new Phone(network, { host: "192.0.2.1", port: 5060 }, "busy");
  busy.answer = [503];
  const ok = new Phone(network, { host: "192.0.2.2", port: 5060 }, "ok");
  invite(alice, "x", a.address, { branch: "z9hG4bKdns1", toUri: "sip:erin@far.example" });
  await run(2_000);
  assert.equal(asked, ["NAPTR far.example", "SRV _sip._udp.far.example"]);
  assert.is(busy.requests("INVITE").length, 1, "priority 10 first");
  assert.is(ok.requests("INVITE").length, 1, "then the next target after its 503");
  assert.equal(alice.finals("INVITE"), [200, 200]);
  assert.is(a.metrics.value("superpeer_sip_proxy_failovers_total"), 1);
  // RFC 3261 section 17.1.1.3: A's client transaction ACKs the 503; alice never sees it
  assert.is(busy.requests("ACK").length, 1);
  assert.not.ok(alice.responses("INVITE").some((r) => r.status === 503));
});

test.run();
