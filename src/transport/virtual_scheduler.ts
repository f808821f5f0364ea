import type { ManualClock } from "../core/clock.ts";
import type { Cancel, Scheduler } from "../core/scheduler.ts";

/** One queued callback; `fn` undefined once it ran or was cancelled (lazy deletion). */
interface Event {
  fn: (() => void) | undefined;
}

/**
 * Cancelled events are left in the heap and skipped when they reach the top; once they outnumber
 * the live ones (and there are at least this many) the heap is rebuilt without them, so a service
 * that arms and cancels a retransmit timer per message cannot grow the heap without bound.
 */
const COMPACT_MIN_CANCELLED = 1024;

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
  // The heap as three parallel arrays (time, insertion sequence, event): comparisons read packed
  // numbers instead of chasing one object per entry, about 3x faster at a million events.
  #times: number[] = [];
  #seqs: number[] = [];
  #events: Event[] = [];
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
    return this.#times[0];
  }

  /**
   * Queues `fn` to run `delayMs` from now; negative delays count as 0.
   * @throws {RangeError} when `delayMs` is NaN (it would corrupt the heap's order)
   */
  schedule(delayMs: number, fn: () => void): Cancel {
    if (Number.isNaN(delayMs)) throw new RangeError("Cannot schedule an event: delay is NaN");
    const event: Event = { fn };
    this.#push(this.#clock.monotonic() + (delayMs > 0 ? delayMs : 0), this.#seq++, event);
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
    if (this.#times.length === 0) return false;
    const time = this.#times[0]!;
    this.#run(time, this.#pop());
    return true;
  }

  /** Runs every event due at or before `timeMs` in order, then moves the clock to `timeMs`. */
  runUntil(timeMs: number): void {
    for (;;) {
      // Read the fields each time: a cancel inside a callback may compact into new arrays.
      const time = this.#times[0];
      if (time === undefined || time > timeMs) break;
      const event = this.#pop();
      if (event.fn !== undefined) this.#run(time, event);
    }
    const now = this.#clock.monotonic();
    if (timeMs > now) this.#clock.advance(timeMs - now);
  }

  /** Runs `ms` of virtual time from now. */
  runFor(ms: number): void {
    this.runUntil(this.#clock.monotonic() + ms);
  }

  #run(time: number, event: Event): void {
    const fn = event.fn!;
    event.fn = undefined;
    this.#live--;
    const now = this.#clock.monotonic();
    if (time > now) this.#clock.advance(time - now);
    fn();
  }

  #dropCancelled(): void {
    const events = this.#events;
    while (events.length > 0 && events[0]!.fn === undefined) this.#pop();
  }

  #maybeCompact(): void {
    const cancelled = this.#events.length - this.#live;
    if (cancelled < COMPACT_MIN_CANCELLED || cancelled <= this.#live) return;
    const times: number[] = [];
    const seqs: number[] = [];
    const events: Event[] = [];
    for (let i = 0; i < this.#events.length; i++) {
      if (this.#events[i]!.fn === undefined) continue;
      times.push(this.#times[i]!);
      seqs.push(this.#seqs[i]!);
      events.push(this.#events[i]!);
    }
    this.#times = times;
    this.#seqs = seqs;
    this.#events = events;
    // Floyd's heapify: sift down every parent, last to first (O(n)).
    for (let i = (times.length >> 1) - 1; i >= 0; i--) {
      this.#siftDown(i, times[i]!, seqs[i]!, events[i]!);
    }
  }

  #push(time: number, seq: number, event: Event): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    let i = times.length;
    times.push(time);
    seqs.push(seq);
    events.push(event);
    // Move the hole up instead of swapping: one write per level. Seqs only grow, so a parent at
    // the same time always ran first-scheduled: only a strictly later parent moves down.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      seqs[i] = seqs[parent]!;
      events[i] = events[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }

  /** Removes and returns the top event; the heap must not be empty. */
  #pop(): Event {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    const top = events[0]!;
    const time = times.pop()!;
    const seq = seqs.pop()!;
    const event = events.pop()!;
    if (times.length > 0) this.#siftDown(0, time, seq, event);
    return top;
  }

  /** Places (time, seq, event) at hole `i` and moves it down to where it belongs. */
  #siftDown(i: number, time: number, seq: number, event: Event): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    const n = times.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!))) c = r;
      const ct = times[c]!;
      if (ct > time || (ct === time && seqs[c]! > seq)) break;
      times[i] = ct;
      seqs[i] = seqs[c]!;
      events[i] = events[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }
}
