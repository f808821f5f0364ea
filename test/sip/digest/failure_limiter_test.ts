import { test } from "uvu";
import * as assert from "uvu/assert";
import { FailureLimiter, failureSourceKey } from "../../../src/sip/digest/mod.ts";

test("FailureLimiter refuses a source after its burst and lets it back at the refill rate", () => {
  const limiter = new FailureLimiter({ burst: 3, perMinute: 6 });
  let now = 1000;
  for (let i = 0; i < 3; i++) {
    assert.is(limiter.retryAfterMs("192.0.2.1", now), 0, `failure ${i}`);
    limiter.recordFailure("192.0.2.1", now);
  }
  // 6 per minute: one failure's token every 10 s.
  assert.is(limiter.retryAfterMs("192.0.2.1", now), 10_000);
  assert.is(limiter.retryAfterMs("192.0.2.2", now), 0);
  now += 4_000;
  assert.is(limiter.retryAfterMs("192.0.2.1", now), 6_000);
  now += 6_000;
  assert.is(limiter.retryAfterMs("192.0.2.1", now), 0);
  limiter.recordFailure("192.0.2.1", now);
  assert.is(limiter.retryAfterMs("192.0.2.1", now), 10_000);
});

test("FailureLimiter counts an IPv6 /64 as one source and IPv4-mapped as IPv4", () => {
  const limiter = new FailureLimiter({ burst: 2, perMinute: 1 });
  limiter.recordFailure("2001:db8:1:2::1", 0);
  limiter.recordFailure("2001:db8:1:2:ffff::99", 0);
  assert.ok(limiter.retryAfterMs("2001:db8:1:2:abcd::7", 0) > 0);
  assert.is(limiter.retryAfterMs("2001:db8:1:3::1", 0), 0);
  limiter.recordFailure("::ffff:192.0.2.9", 0);
  limiter.recordFailure("192.0.2.9", 0);
  assert.ok(limiter.retryAfterMs("192.0.2.9", 0) > 0);
});

test("failureSourceKey() normalises IPv6 prefixes", () => {
  assert.is(failureSourceKey("192.0.2.1"), "192.0.2.1");
  assert.is(failureSourceKey("2001:DB8:0001:0002:aaaa::1"), "2001:db8:1:2::/64");
  assert.is(failureSourceKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.is(failureSourceKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.is(failureSourceKey("::1"), "0:0:0:0::/64");
  assert.is(failureSourceKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.is(failureSourceKey("0:0:0:0:0:ffff:192.0.2.1"), "192.0.2.1");
});

test("FailureLimiter is bounded: the oldest source is forgotten and counted; sweep drops full buckets", () => {
  let evicted = 0;
  const limiter = new FailureLimiter({
    burst: 1,
    perMinute: 60,
    maxSources: 2,
    onEvict: () => evicted++,
  });
  limiter.recordFailure("192.0.2.1", 0);
  limiter.recordFailure("192.0.2.2", 0);
  limiter.recordFailure("192.0.2.3", 0);
  assert.is(limiter.size, 2);
  assert.is(limiter.evictedCount, 1);
  assert.is(evicted, 1);
  assert.is(limiter.retryAfterMs("192.0.2.1", 0), 0);
  assert.ok(limiter.retryAfterMs("192.0.2.3", 0) > 0);
  assert.is(limiter.sweep(500), 0);
  assert.is(limiter.sweep(1000), 2);
  assert.is(limiter.size, 0);
});

test("FailureLimiter with burst 0 never refuses", () => {
  const limiter = new FailureLimiter({ burst: 0 });
  for (let i = 0; i < 100; i++) limiter.recordFailure("192.0.2.1", 0);
  assert.is(limiter.retryAfterMs("192.0.2.1", 0), 0);
  assert.is(limiter.size, 0);
});

test.run();
