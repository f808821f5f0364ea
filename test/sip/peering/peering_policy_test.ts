// PeeringPolicy (issue #6 part 8): source ranges, From domains, no open relay, the per-source
// token bucket on an injected clock, the cap on outside INVITEs, counters and the log limit.
// CidrSet and SuperpeerPeers (configured blocks, learned addresses) too.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../../src/core/clock.ts";
import type { Logger } from "../../../src/core/logger.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import { cidrProblem, CidrSet } from "../../../src/sip/peering/cidr_set.ts";
import {
  PeeringPolicy,
  type PeeringPolicyInit,
  type PeeringRequest,
} from "../../../src/sip/peering/peering_policy.ts";
import { SuperpeerPeers } from "../../../src/sip/peering/superpeer_peers.ts";

function setup(init: PeeringPolicyInit = {}, logger: Logger = silentLogger()) {
  const clock = new ManualClock();
  const metrics = new MetricsRegistry();
  const policy = new PeeringPolicy(init, { clock, metrics, logger });
  const refused = (reason: string) =>
    metrics.value("superpeer_sip_policy_refused_total", { reason });
  return { clock, metrics, policy, refused };
}

const INVITE: PeeringRequest = {
  method: "INVITE",
  sourceIp: "198.51.100.7",
  fromDomain: "other.example",
  forUs: true,
};

test("CidrSet matches IPv4, IPv6 and IPv4-mapped addresses and refuses bad blocks", () => {
  const set = new CidrSet(["10.10.0.0/16", "2001:db8::/32", "192.0.2.1"]);
  assert.ok(set.has("10.10.200.1"));
  assert.not.ok(set.has("10.11.0.1"));
  assert.ok(set.has("[2001:db8::5]"));
  assert.ok(set.has("::ffff:10.10.0.9"));
  assert.ok(set.has("192.0.2.1"));
  assert.not.ok(set.has("192.0.2.2"));
  assert.not.ok(set.has("not-an-ip"));
  assert.throws(() => new CidrSet(["10.0.0.0/33"]), (e: unknown) => e instanceof TypeError);
  assert.ok(cidrProblem("example.org")?.includes("not an IP address"));
  assert.is(cidrProblem("fd00::/8"), undefined);
});

test("PeeringPolicy.admit() refuses sources outside allowedSources with 403, counted", () => {
  const { policy, refused } = setup({ allowedSources: ["203.0.113.0/24"] });
  const denied = policy.admit(INVITE);
  assert.equal(denied.ok ? undefined : [denied.status, denied.reason], [403, "source"]);
  assert.ok(policy.admit({ ...INVITE, sourceIp: "203.0.113.9" }).ok);
  assert.is(refused("source"), 1);
});

test("PeeringPolicy.admit() checks the From domain and refuses relaying to other domains", () => {
  const { policy, refused } = setup({ allowedDomains: ["Partner.Example"] });
  const wrong = policy.admit(INVITE);
  assert.equal(wrong.ok ? undefined : [wrong.status, wrong.reason], [403, "from_domain"]);
  const relay = policy.admit({ ...INVITE, fromDomain: "partner.example", forUs: false });
  assert.equal(relay.ok ? undefined : [relay.status, relay.reason], [403, "to_domain"]);
  assert.ok(policy.admit({ ...INVITE, fromDomain: "partner.example" }).ok);
  assert.is(refused("from_domain"), 1);
  assert.is(refused("to_domain"), 1);
});

test("PeeringPolicy.admit() limits each source's rate with a token bucket (503 + Retry-After)", () => {
  const { clock, policy, refused } = setup({ requestsPerSecond: 2, burst: 3 });
  const message = { ...INVITE, method: "MESSAGE" };
  for (let i = 0; i < 3; i++) assert.ok(policy.admit(message).ok, `burst ${i}`);
  const over = policy.admit(message);
  assert.equal(over.ok ? undefined : [over.status, over.reason, over.retryAfterSeconds], [
    503,
    "rate",
    1,
  ]);
  assert.ok(
    policy.admit({ ...message, sourceIp: "198.51.100.8" }).ok,
    "another source has its own bucket",
  );
  clock.advance(500); // one token back at 2/s
  assert.ok(policy.admit(message).ok);
  assert.not.ok(policy.admit(message).ok);
  assert.is(refused("rate"), 2);
  clock.advance(10_000);
  assert.is(policy.sweep(), 2, "full buckets are forgotten");
  assert.is(policy.sourceCount, 0);
});

test("PeeringPolicy keeps at most maxSources buckets, dropping the oldest (counted)", () => {
  const { metrics, policy } = setup({ maxSources: 2 });
  for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
    assert.ok(policy.admit({ ...INVITE, method: "OPTIONS", sourceIp: ip }).ok);
  }
  assert.is(policy.sourceCount, 2);
  assert.is(metrics.value("superpeer_sip_policy_dropped_total", { reason: "sources_full" }), 1);
});

test("PeeringPolicy caps outside INVITEs in progress; release() frees a slot once", () => {
  const { policy, refused } = setup({ maxUnauthenticatedInvites: 2, requestsPerSecond: 0 });
  const first = policy.admit(INVITE);
  const second = policy.admit(INVITE);
  assert.ok(first.ok && second.ok);
  const third = policy.admit(INVITE);
  assert.equal(third.ok ? undefined : [third.status, third.reason, third.retryAfterSeconds], [
    503,
    "invite_cap",
    5,
  ]);
  assert.ok(policy.admit({ ...INVITE, method: "MESSAGE" }).ok, "the cap is for INVITEs only");
  if (first.ok) {
    first.release();
    first.release();
  }
  assert.is(policy.inviteCount, 1, "a second release() changes nothing");
  assert.ok(policy.admit(INVITE).ok);
  assert.is(refused("invite_cap"), 1);
});

test("PeeringPolicy logs refusals at most once a minute, with the counts since the last line", () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger: Logger = {
    ...silentLogger(),
    warn: (_message, fields) => void lines.push(fields ?? {}),
  };
  const { clock, policy } = setup({ allowedSources: ["203.0.113.0/24"] }, logger);
  for (let i = 0; i < 5; i++) policy.admit(INVITE);
  assert.is(lines.length, 1);
  clock.advance(59_000);
  policy.admit(INVITE);
  assert.is(lines.length, 1);
  clock.advance(1_000);
  policy.admit(INVITE);
  assert.is(lines.length, 2);
  assert.is(lines[0]!.lastSource, "198.51.100.7");
  assert.is(lines[1]!.sinceLastLine, "source=6", "five unlogged and this one, by reason");
});

test("SuperpeerPeers: configured blocks (any port), learned UDP addresses until they lapse", () => {
  const clock = new ManualClock();
  const peers = new SuperpeerPeers({ trustedSources: ["10.10.0.0/16"], maxLearned: 2 }, { clock });
  const udp = (host: string, port: number) => ({ transport: "UDP", host, port, reliable: false });
  assert.ok(peers.isPeer({ ...udp("10.10.4.4", 40000), transport: "TCP", reliable: true }));
  assert.not.ok(peers.isPeer(udp("192.0.2.5", 5060)));
  peers.learn("sip:bob@192.0.2.5:5070", 60);
  assert.ok(peers.isPeer(udp("192.0.2.5", 5070)));
  assert.not.ok(peers.isPeer(udp("192.0.2.5", 5060)), "another port is not the peer's socket");
  clock.advance(61_000);
  assert.not.ok(peers.isPeer(udp("192.0.2.5", 5070)), "lapsed with the entry");
  peers.learn("sip:a@192.0.2.1", 600);
  peers.learn("sip:b@192.0.2.2", 600);
  peers.learn("sip:c@192.0.2.3", 600);
  assert.is(peers.learnedCount, 2);
  assert.not.ok(peers.isPeer(udp("192.0.2.1", 5060)), "the oldest was dropped at the cap");
});

test("SuperpeerPeers.vouches(): the From AOR's overlay entry names the source", async () => {
  const clock = new ManualClock();
  const overlay = {
    resolve: () =>
      Promise.resolve([{ nodeId: "aa", uri: "sip:alice@192.0.2.9:5060", lifetime: 300 }]),
  };
  const peers = new SuperpeerPeers({}, { clock, overlay });
  const udp = (host: string, port: number) => ({ transport: "UDP", host, port, reliable: false });
  assert.not.ok(await peers.vouches("sip:alice@mesh.example", udp("192.0.2.66", 5060), {}));
  assert.not.ok(peers.isPeer(udp("192.0.2.9", 5060)), "nothing learned from a miss");
  assert.ok(await peers.vouches("sip:alice@mesh.example", udp("192.0.2.9", 5060), {}));
  assert.ok(peers.isPeer(udp("192.0.2.9", 5060)), "learned");
});

test.run();
