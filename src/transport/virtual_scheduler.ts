import type { ManualClock } from "../core/clock.ts";
import type { Cancel, Scheduler } from "../core/scheduler.ts";

interface Event {
  time: number;
  seq: number;
  fn: (() => void) | undefined;
}

/**
 * A Scheduler in virtual time for tests and the overlay simulator: events wait in a binary min-heap
 * ordered by (time, insertion order) and run when `runUntil` reaches them, moving a ManualClock.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const scheduler = new VirtualScheduler(clock);
 * scheduler.schedule(500, () => console.log(clock.monotonic())); // 500
 * scheduler.runFor(1000);
 * ```
 */
export class VirtualScheduler implements Scheduler {
  readonly #clock: ManualClock;
  readonly #heap: Event[] = [];
  #seq = 0;
  #live = 0;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  /** Events still waiting (cancelled ones excluded). */
  get pending(): number {
    return this.#live;
  }

  /** Time of the next live event, or undefined. */
  get nextTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    const event: Event = {
      time: this.#clock.monotonic() + Math.max(0, delayMs),
      seq: this.#seq++,
      fn,
    };
    this.#push(event);
    this.#live++;
    return () => {
      if (event.fn !== undefined) {
        event.fn = undefined;
        this.#live--;
      }
    };
  }

  /** Runs the next event (advancing the clock to it); false when none is left. */
  step(): boolean {
    this.#dropCancelled();
    const event = this.#pop();
    if (event === undefined) return false;
    const fn = event.fn!;
    event.fn = undefined;
    this.#live--;
    const now = this.#clock.monotonic();
    if (event.time > now) this.#clock.advance(event.time - now);
    fn();
    return true;
  }

  /** Runs every event due at or before `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    for (;;) {
      const next = this.nextTime;
      if (next === undefined || next > time) break;
      this.step();
    }
    const now = this.#clock.monotonic();
    if (time > now) this.#clock.advance(time - now);
  }

  runFor(ms: number): void {
    this.runUntil(this.#clock.monotonic() + ms);
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === undefined) this.#pop();
  }

  #less(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #push(event: Event): void {
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): Event | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.#less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && this.#less(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
    return top;
  }
}
