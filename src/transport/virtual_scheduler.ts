import type { ManualClock } from "../core/clock.ts";
import type { Cancel, Scheduler } from "../core/scheduler.ts";

/** One queued callback; `fn` undefined once it ran or was cancelled (lazy deletion). */
interface Event {
  readonly time: number;
  readonly seq: number;
  fn: (() => void) | undefined;
}

/**
 * Cancelled events are left in the heap and skipped when they reach the top; once they outnumber
 * the live ones (and there are at least this many) the heap is rebuilt without them, so a service
 * that arms and cancels a retransmit timer per message cannot grow the heap without bound.
 */
const COMPACT_MIN_CANCELLED = 1024;

/** Orders by time, then by insertion: equal times run first-scheduled first. */
function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A Scheduler in virtual time for tests and the overlay simulator. Events wait in a binary min-heap
 * ordered by (time, insertion order) and run when `runUntil`, `runFor` or `step` reaches them,
 * moving the ManualClock to each event's time first, so a callback reads the time it was due.
 * An event scheduled from a callback with delay 0 runs after the events already queued for that
 * same time. Cancelling is O(1) (lazy deletion). Exceptions from a callback propagate to the caller
 * of `step` / `runUntil` (a simulator wants to see them); the scheduler stays consistent.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const scheduler = new VirtualScheduler(clock);
 * scheduler.schedule(500, () => console.log(clock.monotonic())); // 500
 * scheduler.runFor(1000);
 * console.log(clock.monotonic()); // 1000
 * ```
 */
export class VirtualScheduler implements Scheduler {
  readonly #clock: ManualClock;
  #heap: Event[] = [];
  #seq = 0;
  #live = 0;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  /** Events still waiting (cancelled ones excluded). */
  get pending(): number {
    return this.#live;
  }

  /** Time (on the clock's monotonic scale) of the next live event, or undefined when none waits. */
  get nextTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  /**
   * Queues `fn` to run `delayMs` from now; negative delays count as 0.
   * @throws {RangeError} when `delayMs` is NaN (it would corrupt the heap's order)
   */
  schedule(delayMs: number, fn: () => void): Cancel {
    if (Number.isNaN(delayMs)) throw new RangeError("Cannot schedule an event: delay is NaN");
    const event: Event = {
      time: this.#clock.monotonic() + (delayMs > 0 ? delayMs : 0),
      seq: this.#seq++,
      fn,
    };
    this.#push(event);
    this.#live++;
    return () => {
      if (event.fn !== undefined) {
        event.fn = undefined;
        this.#live--;
        this.#maybeCompact();
      }
    };
  }

  /** Runs the next live event, advancing the clock to its time; false when none is left. */
  step(): boolean {
    this.#dropCancelled();
    const event = this.#pop();
    if (event === undefined) return false;
    this.#run(event);
    return true;
  }

  /** Runs every event due at or before `timeMs` in order, then moves the clock to `timeMs`. */
  runUntil(timeMs: number): void {
    for (;;) {
      // Read the field each time: a cancel inside a callback may compact into a new array.
      const top = this.#heap[0];
      if (top === undefined || top.time > timeMs) break;
      this.#pop();
      if (top.fn !== undefined) this.#run(top);
    }
    const now = this.#clock.monotonic();
    if (timeMs > now) this.#clock.advance(timeMs - now);
  }

  /** Runs `ms` of virtual time from now. */
  runFor(ms: number): void {
    this.runUntil(this.#clock.monotonic() + ms);
  }

  #run(event: Event): void {
    const fn = event.fn!;
    event.fn = undefined;
    this.#live--;
    const now = this.#clock.monotonic();
    if (event.time > now) this.#clock.advance(event.time - now);
    fn();
  }

  #dropCancelled(): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.fn === undefined) this.#pop();
  }

  #maybeCompact(): void {
    const cancelled = this.#heap.length - this.#live;
    if (cancelled < COMPACT_MIN_CANCELLED || cancelled <= this.#live) return;
    const live = this.#heap.filter((e) => e.fn !== undefined);
    // Floyd's heapify: sift down every parent, last to first (O(n)).
    this.#heap = live;
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.#siftDown(live[i]!, i);
  }

  #push(event: Event): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(event);
    // Move the hole up instead of swapping: one write per level.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  #pop(): Event | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    this.#siftDown(last, 0);
    return top;
  }

  /** Places `event` at hole `i` and moves it down to where it belongs. */
  #siftDown(event: Event, i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = heap[l]!;
      if (r < n && before(heap[r]!, child)) {
        c = r;
        child = heap[r]!;
      }
      if (!before(child, event)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = event;
  }
}
