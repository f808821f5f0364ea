/** Why an entry left a bounded map early. */
export type EvictionReason = "capacity";

/**
 * A Map with a hard entry cap: at the cap, inserting a new key evicts the oldest-inserted one
 * and reports it, so no collection in superpeer grows without bound (STYLE rule 5).
 *
 * @example
 * ```ts
 * const m = new BoundedMap<string, number>({ maxEntries: 2 });
 * m.set("a", 1); m.set("b", 2); m.set("c", 3); // "a" is evicted
 * ```
 */
export class BoundedMap<K, V> {
  readonly maxEntries: number;
  #map = new Map<K, V>();
  #evicted = 0;
  #onEvict: ((key: K, value: V, reason: EvictionReason) => void) | undefined;

  constructor(
    options: { maxEntries: number; onEvict?: (key: K, value: V, reason: EvictionReason) => void },
  ) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(
        `Cannot make a bounded map: maxEntries must be a positive integer, got ${options.maxEntries}`,
      );
    }
    this.maxEntries = options.maxEntries;
    this.#onEvict = options.onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Entries evicted because the map was full, since construction. */
  get evictedCount(): number {
    return this.#evicted;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    if (!this.#map.has(key) && this.#map.size >= this.maxEntries) {
      const oldest = this.#map.entries().next();
      if (!oldest.done) {
        const [oldKey, oldValue] = oldest.value;
        this.#map.delete(oldKey);
        this.#evicted++;
        this.#onEvict?.(oldKey, oldValue, "capacity");
      }
    }
    this.#map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }
}
