/**
 * Validates one numeric option at construction (STYLE rule 10: fail fast, naming the key).
 *
 * @example
 * ```ts
 * requirePositiveInteger("hop sender", "maxPending", 1024); // 1024
 * ```
 */
export function requirePositiveInteger(what: string, key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot make a ${what}: ${key} must be a positive integer, got ${value}`);
  }
  return value;
}
