// The overlay simulator at small size inside npm test: the same OverlayNode code, 100 nodes on an
// in-memory network with 10-30 ms links in virtual time. Full size: `npx deno task sim`.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { simulate } from "../../scripts/lib/overlay_sim.ts";

const N = 100;

test(`simulate steady (N=${N}): every lookup succeeds in about 0.5 log2 N + 1 hops`, async () => {
  const r = await simulate({ scenario: "steady", nodes: N, seed: 7, lookups: 150, records: 100 });
  assert.is(r.failedRouting + r.failedMissing, 0, JSON.stringify(r));
  assert.ok(r.meanHops <= 0.5 * Math.log2(N) + 1.5, `mean hops ${r.meanHops}`);
});

test(`simulate fail50 (N=${N}): after half the nodes crash, lookups route and refreshed records are all back`, async () => {
  const r = await simulate({ scenario: "fail50", nodes: N, seed: 8, lookups: 150, records: 100 });
  // The goal is zero routing failures after one period; measured here: a few lookups still time
  // out on dead fingers (README, "Overlay"). This bound catches a regression, not the goal.
  assert.ok(r.failedRouting <= 0.05 * r.lookups, JSON.stringify(r.failureReasons));
  assert.is(r.recordsLostAfterRefresh, 0);
  // Losses before refresh depend on which nodes the draw kills (about p^3 = 12.5 % of records,
  // with wide spread since neighbours share records); what the code controls is that every
  // record had its three copies when they crashed.
  assert.is(r.minCopiesBeforeFailure, 3, "every record held by 3 peers before the failure");
});

test(`simulate churn (N=${N}, median session 10 min, 3 min): lookups keep succeeding`, async () => {
  const r = await simulate({
    scenario: "churn",
    nodes: N,
    seed: 9,
    lookups: 120,
    records: 100,
    medianSessionMs: 600_000,
    churnMs: 180_000,
  });
  assert.ok(r.lookups >= 50, `${r.lookups} lookups`);
  assert.ok(
    r.succeeded / r.lookups >= 0.95,
    `${r.succeeded}/${r.lookups} ${JSON.stringify(r.failureReasons)} missing ${r.failedMissing}`,
  );
});

test.run();
