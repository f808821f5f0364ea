// The Proxy Peer's config keys (issue #6 part 8): defaults, and the cross-field checks that name
// a bad CIDR block, route or default route, and refuse TCP next hops (no TCP client yet).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { crossFieldIssues, DEFAULT_CONFIG } from "../../src/daemon/config/superpeer_config.ts";

const withSip = (sip: Partial<typeof DEFAULT_CONFIG.sip>) =>
  crossFieldIssues({ ...DEFAULT_CONFIG, sip: { ...DEFAULT_CONFIG.sip, ...sip } })
    .filter((issue) => issue.path.startsWith("sip."));

test("sip peering defaults: proxy auth on, any source, rate 10/s burst 20, 32 outside INVITEs, DNS on", () => {
  const sip = DEFAULT_CONFIG.sip;
  assert.equal(
    [sip.proxyAuth, sip.peeringSources, sip.peeringRequestsPerSecond, sip.peeringBurst],
    [true, [], 10, 20],
  );
  assert.equal([sip.maxUnauthenticatedInvites, sip.routes, sip.defaultRoute, sip.dns], [
    32,
    [],
    "",
    true,
  ]);
  assert.equal(withSip({}), []);
});

test("crossFieldIssues() names bad sip.peers / peeringSources blocks, routes and TCP next hops", () => {
  const issues = withSip({
    peers: ["10.0.0.0/8", "10.0.0.0/40"],
    peeringSources: ["300.1.1.1"],
    routes: [
      "partner.example=192.0.2.1:5060",
      "bad_domain=192.0.2.1",
      "tcp.example=gw.example;transport=tcp",
    ],
    defaultRoute: "192.0.2.9;lr",
  });
  assert.equal(issues.map((i) => i.path), [
    "sip.peers[1]",
    "sip.peeringSources[0]",
    "sip.routes[1]",
    "sip.routes[2]",
    "sip.defaultRoute",
  ]);
  assert.match(issues[3]!.message, /TCP client connections/);
});

test.run();
