import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../src/codec/overlay/constants.ts";
import { SuperpeerError } from "../../../src/core/errors.ts";
import { RequestError, RequestTracker } from "../../../src/overlay/reliability/request_tracker.ts";

type Outcome<T> = { value: T } | { error: unknown };

/** Attaches handlers at once, so a rejection is never unhandled while a test is still driving time. */
function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then((value) => ({ value }), (error: unknown) => ({ error }));
}

async function rejection<T>(promise: Promise<Outcome<T>>): Promise<unknown> {
  const result = await promise;
  if (!("error" in result)) throw new Error("expected a rejection");
  return result.error;
}

function tid(n: number): Uint8Array {
  return new Uint8Array([0, 0, 0, 0, 0, 0, 0, n]);
}

test("RequestTracker.due() resends every 3 s and times out at 15 s with Error_Request_Timeout", async () => {
  // RFC 6940 section 6.2.1 retransmission, our 3 s interval within a 15 s request lifetime:
  // begun at T, resent at T+3000, +6000, +9000, +12000, failed at T+15000 (no resend then).
  const T = 1_000;
  const resendAt = [4_000, 7_000, 10_000, 13_000];
  const timeoutAt = 16_000;
  const tracker = new RequestTracker<string>();
  const resends: number[] = [];
  let now = T;
  const result = outcome(tracker.begin(tid(1), T, () => resends.push(now)));
  for (const at of resendAt) {
    assert.is(tracker.nextDeadline(), at);
    now = at - 1;
    tracker.due(now);
    now = at;
    tracker.due(now);
  }
  assert.equal(resends, resendAt);
  assert.is(tracker.nextDeadline(), timeoutAt);
  tracker.due(timeoutAt - 1);
  assert.is(tracker.size, 1);
  now = timeoutAt;
  tracker.due(now);
  assert.equal(resends, resendAt, "no resend at the lifetime's end");
  assert.is(tracker.size, 0);
  assert.is(tracker.nextDeadline(), undefined);
  const error = await rejection(result);
  assert.instance(error, RequestError);
  assert.instance(error, SuperpeerError);
  const requestError = error as RequestError;
  assert.is(requestError.reason, "timeout");
  assert.is(requestError.code, "OVERLAY_REQUEST");
  assert.is(requestError.errorCode, ErrorCode.RequestTimeout);
  assert.is(requestError.errorCode, 4);
  assert.is(requestError.transactionId, "0000000000000001");
  assert.match(requestError.message, /timeout.*0000000000000001/);
  const counters = tracker.counters;
  assert.is(counters.resent, 4);
  assert.is(counters.ended.timeout, 1);
});

test("RequestTracker.complete() after a resend resolves with the answer", async () => {
  const tracker = new RequestTracker<string>();
  let resends = 0;
  const result = outcome(tracker.begin(tid(1), 0, () => resends++));
  tracker.due(3_000);
  assert.is(resends, 1);
  assert.is(tracker.complete(tid(1), "answer"), true);
  assert.is(tracker.size, 0);
  assert.is(tracker.nextDeadline(), undefined);
  tracker.due(100_000);
  assert.is(resends, 1, "no resend once answered");
  assert.is(tracker.complete(tid(1), "late duplicate"), false);
  assert.equal(await result, { value: "answer" });
  assert.is(tracker.counters.completed, 1);
});

test("RequestTracker.complete() of an unknown transaction changes nothing", () => {
  const tracker = new RequestTracker<string>();
  void outcome(tracker.begin(tid(1), 0, () => {}));
  assert.is(tracker.complete(tid(2), "stray"), false);
  assert.is(tracker.size, 1);
});

test("RequestTracker.begin() with an already aborted signal rejects at once", async () => {
  const tracker = new RequestTracker<string>();
  const controller = new AbortController();
  controller.abort(new Error("user gave up"));
  const error = await rejection(
    outcome(tracker.begin(tid(1), 0, () => {}, { signal: controller.signal })),
  );
  assert.instance(error, RequestError);
  assert.is((error as RequestError).reason, "aborted");
  assert.is((error as RequestError).errorCode, undefined);
  assert.is(((error as RequestError).cause as Error).message, "user gave up");
  assert.is(tracker.size, 0);
  assert.is(tracker.nextDeadline(), undefined);
});

test("RequestTracker aborting a pending request rejects it and stops its resends", async () => {
  const tracker = new RequestTracker<string>();
  const controller = new AbortController();
  let resends = 0;
  const result = outcome(
    tracker.begin(tid(1), 0, () => resends++, { signal: controller.signal }),
  );
  void outcome(tracker.begin(tid(2), 1_000, () => {}));
  tracker.due(3_000);
  controller.abort();
  assert.is(tracker.size, 1);
  assert.is(tracker.nextDeadline(), 4_000, "only the other request's retry is left");
  tracker.due(6_000);
  assert.is(resends, 1);
  const error = await rejection(result);
  assert.is((error as RequestError).reason, "aborted");
  assert.is(tracker.complete(tid(1), "too late"), false);
  assert.is(tracker.counters.ended.aborted, 1);
});

test("RequestTracker aborting after completion changes nothing", async () => {
  const tracker = new RequestTracker<string>();
  const controller = new AbortController();
  const result = outcome(tracker.begin(tid(1), 0, () => {}, { signal: controller.signal }));
  tracker.complete(tid(1), "done");
  controller.abort();
  assert.equal(await result, { value: "done" });
  assert.is(tracker.counters.ended.aborted, 0);
});

test("RequestTracker.begin() at maxPending rejects with reason capacity", async () => {
  const tracker = new RequestTracker<string>({ maxPending: 2 });
  void outcome(tracker.begin(tid(1), 0, () => {}));
  void outcome(tracker.begin(tid(2), 0, () => {}));
  const error = await rejection(outcome(tracker.begin(tid(3), 0, () => {})));
  assert.instance(error, RequestError);
  assert.is((error as RequestError).reason, "capacity");
  assert.is(tracker.size, 2, "the requests in flight are untouched");
  assert.is(tracker.counters.ended.capacity, 1);
  tracker.complete(tid(1), "a");
  const fourth = outcome(tracker.begin(tid(4), 0, () => {}));
  assert.is(tracker.size, 2, "room again once one is answered");
  tracker.complete(tid(4), "d");
  assert.equal(await fourth, { value: "d" });
});

test("RequestTracker.begin() rejects a malformed or already pending transaction id", async () => {
  const tracker = new RequestTracker<string>();
  assert.instance(
    await rejection(outcome(tracker.begin(new Uint8Array(4), 0, () => {}))),
    RangeError,
  );
  void outcome(tracker.begin(tid(1), 0, () => {}));
  assert.instance(await rejection(outcome(tracker.begin(tid(1), 0, () => {}))), RangeError);
  assert.is(tracker.size, 1);
});

test("RequestTracker.fail() rejects with the given error", async () => {
  const tracker = new RequestTracker<string>();
  const result = outcome(tracker.begin(tid(1), 0, () => {}));
  const cause = new Error("Error answer: Forbidden");
  assert.is(tracker.fail(tid(1), cause), true);
  assert.is(tracker.fail(tid(1), cause), false);
  assert.is(await rejection(result), cause);
  assert.is(tracker.counters.failed, 1);
});

test("RequestTracker.due() survives a resend that fails its own request or throws", async () => {
  const tracker = new RequestTracker<string>();
  const noRoute = new Error("no route");
  const broken = new Error("encoder broke");
  const failed = outcome(tracker.begin(tid(1), 0, () => tracker.fail(tid(1), noRoute)));
  const threw = outcome(tracker.begin(tid(2), 0, () => {
    throw broken;
  }));
  let resends = 0;
  const healthy = outcome(tracker.begin(tid(3), 0, () => resends++));
  tracker.due(3_000);
  assert.is(await rejection(failed), noRoute);
  assert.is(await rejection(threw), broken);
  assert.is(resends, 1, "the other request is still resent");
  assert.is(tracker.size, 1);
  tracker.complete(tid(3), "ok");
  assert.equal(await healthy, { value: "ok" });
});

test("RequestTracker.closeAll() rejects every pending request with reason closed", async () => {
  const tracker = new RequestTracker<string>();
  const results = [
    outcome(tracker.begin(tid(1), 0, () => {})),
    outcome(tracker.begin(tid(2), 0, () => {})),
  ];
  assert.is(tracker.closeAll(), 2);
  assert.is(tracker.size, 0);
  assert.is(tracker.nextDeadline(), undefined);
  for (const result of results) {
    assert.is(((await rejection(result)) as RequestError).reason, "closed");
  }
});

test("RequestTracker.nextDeadline() is the earliest retry or timeout over all requests", () => {
  const tracker = new RequestTracker<string>({ retryIntervalMs: 3_000, lifetimeMs: 4_000 });
  assert.is(tracker.nextDeadline(), undefined);
  void outcome(tracker.begin(tid(1), 0, () => {}));
  void outcome(tracker.begin(tid(2), 500, () => {}));
  assert.is(tracker.nextDeadline(), 3_000);
  tracker.due(3_000); // 1 resent, its next retry (6000) is past its lifetime end (4000)
  assert.is(tracker.nextDeadline(), 3_500);
  tracker.due(3_500); // 2 resent
  assert.is(tracker.nextDeadline(), 4_000, "request 1 times out");
  tracker.due(4_000);
  assert.is(tracker.size, 1);
  assert.is(tracker.nextDeadline(), 4_500);
  tracker.due(4_500);
  assert.is(tracker.size, 0);
  assert.is(tracker.nextDeadline(), undefined);
});

test("RequestTracker rejects options that are not positive integers", () => {
  assert.throws(() => new RequestTracker({ retryIntervalMs: 0 }), /retryIntervalMs/);
  assert.throws(() => new RequestTracker({ lifetimeMs: -5 }), /lifetimeMs/);
  assert.throws(() => new RequestTracker({ maxPending: 0 }), /maxPending/);
});

test.run();
