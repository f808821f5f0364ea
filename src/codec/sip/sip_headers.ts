/**
 * The header fields of one SIP message: an ordered list of (name, value) with case-insensitive
 * lookup in which compact forms equal their long names (RFC 3261 section 7.3.3), and comma lists
 * split into values where the header's grammar allows it (section 7.3.1).
 *
 * @module
 */
import { CANONICAL_HEADER_NAMES, COMPACT_HEADER_NAMES, LIST_HEADERS } from "./constants.ts";
import { splitCommaList } from "./sip_syntax.ts";

/**
 * The lookup key of a header name: lower-case, compact forms expanded ("v" and "VIA" -> "via").
 *
 * @example
 * ```ts
 * headerKey("l"); // "content-length"
 * ```
 */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? COMPACT_HEADER_NAMES.get(lower) ?? lower : lower;
}

/** How a name is written out: the RFC's long spelling for known headers, else as given. */
export function canonicalHeaderName(name: string): string {
  return CANONICAL_HEADER_NAMES.get(headerKey(name)) ?? name;
}

/**
 * Ordered header fields. Reading is by key (any case, compact or long); writing keeps the order of
 * the others. `version` changes on every mutation, so cached parses can tell they are stale.
 *
 * @example
 * ```ts
 * const h = new SipHeaders([["v", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2"]]);
 * h.values("Via").length; // 2
 * h.prepend("Via", "SIP/2.0/UDP proxy;branch=z9hG4bK3");
 * ```
 */
export class SipHeaders {
  #names: string[] = [];
  #keys: string[] = [];
  #values: string[] = [];
  #version = 0;

  constructor(fields: Iterable<readonly [name: string, value: string]> = []) {
    for (const [name, value] of fields) this.append(name, value);
  }

  /** Number of header fields (lines), not of comma-separated values. */
  get length(): number {
    return this.#names.length;
  }

  /** Changes whenever a field is added, replaced or removed. */
  get version(): number {
    return this.#version;
  }

  /** The name of field `index` as it arrived or was added. */
  name(index: number): string {
    return this.#names[index]!;
  }

  /** The lookup key of field `index` (see headerKey()). */
  key(index: number): string {
    return this.#keys[index]!;
  }

  /** The value of field `index`: unfolded, outer whitespace trimmed. */
  value(index: number): string {
    return this.#values[index]!;
  }

  /** True when at least one field has this name. */
  has(name: string): boolean {
    return this.#keys.indexOf(headerKey(name)) >= 0;
  }

  /** Number of fields (lines) with this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const k of this.#keys) if (k === key) n++;
    return n;
  }

  /** The whole value of the first field with this name, or undefined. */
  get(name: string): string | undefined {
    const i = this.#keys.indexOf(headerKey(name));
    return i < 0 ? undefined : this.#values[i];
  }

  /** The whole value of every field with this name, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] === key) out.push(this.#values[i]!);
    }
    return out;
  }

  /**
   * Every value of this header in order: for list headers (Via, Route, Contact, Allow, ...) each
   * field split at commas outside quotes and <>; for others the same as getAll(). Returns
   * undefined when a list field has an unbalanced quote or angle bracket.
   */
  values(name: string): string[] | undefined {
    const key = headerKey(name);
    if (!LIST_HEADERS.has(key)) return this.getAll(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] !== key) continue;
      const parts = splitCommaList(this.#values[i]!);
      if (parts === undefined) return undefined;
      for (const p of parts) out.push(p);
    }
    return out;
  }

  /** Adds a field after all others. */
  append(name: string, value: string): void {
    this.#names.push(name);
    this.#keys.push(headerKey(name));
    this.#values.push(value);
    this.#version++;
  }

  /**
   * Adds a field before the first field with the same name, or first of all when there is none
   * (a proxy's Via and Record-Route go on top, RFC 3261 sections 16.6 steps 4 and 8).
   */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    let at = this.#keys.indexOf(key);
    if (at < 0) at = 0;
    this.#names.splice(at, 0, name);
    this.#keys.splice(at, 0, key);
    this.#values.splice(at, 0, value);
    this.#version++;
  }

  /** Replaces every field with this name by one field, where the first one was (else appended). */
  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.#keys.indexOf(key);
    if (at < 0) {
      this.append(name, value);
      return;
    }
    this.remove(name);
    this.#names.splice(at, 0, name);
    this.#keys.splice(at, 0, key);
    this.#values.splice(at, 0, value);
    this.#version++;
  }

  /** Removes every field with this name; returns how many there were. */
  remove(name: string): number {
    const key = headerKey(name);
    let removed = 0;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      if (this.#keys[i] !== key) continue;
      this.#names.splice(i, 1);
      this.#keys.splice(i, 1);
      this.#values.splice(i, 1);
      removed++;
    }
    if (removed > 0) this.#version++;
    return removed;
  }

  /**
   * Removes and returns the first value of a list header (the topmost Via of a response, section
   * 18.1.2; the first Route, section 16.4): the first field loses its first comma element, or the
   * whole field when it had one. Undefined when there is none.
   */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.#keys.indexOf(key);
    if (i < 0) return undefined;
    const parts = LIST_HEADERS.has(key) ? splitCommaList(this.#values[i]!) : undefined;
    this.#version++;
    if (parts === undefined || parts.length <= 1) {
      const value = this.#values[i]!;
      this.#names.splice(i, 1);
      this.#keys.splice(i, 1);
      this.#values.splice(i, 1);
      return value;
    }
    this.#values[i] = parts.slice(1).join(", ");
    return parts[0];
  }

  /** [name, value] of every field in order. */
  *entries(): IterableIterator<[name: string, value: string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }
}
