// What the micro-benchmarks measure a call with besides its rate (bench_overlay.ts perSecond):
// heap bytes per call.

/**
 * Median heap growth per call over `batches` batches of `size` calls, the results kept alive in
 * the batch; a batch in which a GC ran shows as a drop and is left out. Undefined where
 * `Deno.memoryUsage()` is missing, or when every batch saw a GC.
 *
 * @example
 * ```ts
 * heapBytesPerCall(() => decodeDnsMessage(bytes)); // about 4,500
 * ```
 */
export function heapBytesPerCall(
  fn: () => unknown,
  size = 200,
  batches = 9,
): number | undefined {
  if (typeof Deno === "undefined" || typeof Deno.memoryUsage !== "function") return undefined;
  const keep: unknown[] = new Array(size);
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < size; i++) keep[i] = fn();
    const after = Deno.memoryUsage().heapUsed;
    if (after >= before) samples.push((after - before) / size);
  }
  samples.sort((a, b) => a - b);
  return samples.length > 0 ? samples[Math.floor(samples.length / 2)] : undefined;
}
