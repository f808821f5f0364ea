/**
 * A binary min-heap of (deadline, item), ties in insertion order: the one timer loop of the
 * transaction table keeps every transaction's next deadline here instead of arming a timer per
 * transaction (STYLE rule 6).
 *
 * @module
 */

/**
 * Deadlines and their items, earliest first. Stale entries are the owner's business: it skips
 * them when they come out, and calls `retain` to drop them in bulk when they pile up.
 *
 * @example
 * ```ts
 * const q = new DeadlineQueue<string>();
 * q.push(500, "a"); q.push(100, "b");
 * q.peekTime(); // 100
 * q.pop()?.item; // "b"
 * ```
 */
export class DeadlineQueue<T> {
  #times: number[] = [];
  #seqs: number[] = [];
  #items: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#times.length;
  }

  /** The earliest deadline, or undefined when empty. */
  peekTime(): number | undefined {
    return this.#times[0];
  }

  push(time: number, item: T): void {
    this.#times.push(time);
    this.#seqs.push(this.#seq++);
    this.#items.push(item);
    this.#siftUp(this.#times.length - 1);
  }

  /** Removes and returns the earliest entry. */
  pop(): { time: number; item: T } | undefined {
    const n = this.#times.length;
    if (n === 0) return undefined;
    const time = this.#times[0]!;
    const item = this.#items[0]!;
    const lastTime = this.#times.pop()!;
    const lastSeq = this.#seqs.pop()!;
    const lastItem = this.#items.pop()!;
    if (n > 1) {
      this.#times[0] = lastTime;
      this.#seqs[0] = lastSeq;
      this.#items[0] = lastItem;
      this.#siftDown(0);
    }
    return { time, item };
  }

  /** Keeps only the entries `keep` accepts and rebuilds the heap (O(n)). */
  retain(keep: (time: number, item: T) => boolean): void {
    const times: number[] = [];
    const seqs: number[] = [];
    const items: T[] = [];
    for (let i = 0; i < this.#times.length; i++) {
      if (!keep(this.#times[i]!, this.#items[i]!)) continue;
      times.push(this.#times[i]!);
      seqs.push(this.#seqs[i]!);
      items.push(this.#items[i]!);
    }
    this.#times = times;
    this.#seqs = seqs;
    this.#items = items;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  clear(): void {
    this.#times = [];
    this.#seqs = [];
    this.#items = [];
  }

  #less(a: number, b: number): boolean {
    const ta = this.#times[a]!;
    const tb = this.#times[b]!;
    return ta < tb || (ta === tb && this.#seqs[a]! < this.#seqs[b]!);
  }

  #swap(a: number, b: number): void {
    const t = this.#times[a]!;
    this.#times[a] = this.#times[b]!;
    this.#times[b] = t;
    const s = this.#seqs[a]!;
    this.#seqs[a] = this.#seqs[b]!;
    this.#seqs[b] = s;
    const x = this.#items[a]!;
    this.#items[a] = this.#items[b]!;
    this.#items[b] = x;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#times.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.#less(r, l) ? r : l;
      if (!this.#less(c, i)) return;
      this.#swap(c, i);
      i = c;
    }
  }
}
