// Seeded, bounded fuzzing of the overlay decoders: mutated and random inputs must either decode or
// fail with one of our typed errors, quickly. Used by test/codec/overlay/fuzz_test.ts (a few
// thousand inputs) and scripts/fuzz.ts (100k and more).
import { ManualClock } from "../../src/core/clock.ts";
import { decodeEnvelope } from "../../src/codec/overlay/envelope.ts";
import { decodeFrame } from "../../src/codec/overlay/frame.ts";
import { decodeMessageBody } from "../../src/codec/overlay/message_body.ts";
import { OverlayDecodeError } from "../../src/codec/overlay/overlay_errors.ts";
import { MAX_MESSAGE_BYTES } from "../../src/codec/overlay/constants.ts";
import { MessageSecurityError, openMessage } from "../../src/overlay/message_security.ts";
import { Reassembler } from "../../src/overlay/reassembler.ts";

/** Which decoder an input is fed to. */
export type FuzzTarget = "frame" | "envelope" | "body";

export interface FuzzCrash {
  readonly target: FuzzTarget;
  readonly input: Uint8Array;
  readonly error: string;
}

export interface FuzzReport {
  readonly inputs: number;
  readonly decoded: number;
  readonly refused: number;
  readonly crashes: FuzzCrash[];
  /** Slowest single input, in ms (a hang would show here, bounded by the input size cap). */
  readonly slowestMs: number;
}

/** mulberry32: a small, fast, seedable PRNG (deterministic runs, reproducible crashes). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(
  input: Uint8Array,
  corpus: readonly Uint8Array[],
  random: () => number,
): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const bytes = input.slice();
  switch (pick(8)) {
    case 0: // flip bits
      for (let i = 0, n = 1 + pick(4); i < n && bytes.length > 0; i++) {
        bytes[pick(bytes.length)]! ^= 1 << pick(8);
      }
      return bytes;
    case 1: // set bytes to interesting values
      for (let i = 0, n = 1 + pick(3); i < n && bytes.length > 0; i++) {
        bytes[pick(bytes.length)] = [
          0x00,
          0xff,
          0x17,
          0x18,
          0x1b,
          0x1f,
          0x5f,
          0x9f,
          0xbf,
          0xf7,
          0xfb,
          0x7f,
        ][pick(12)]!;
      }
      return bytes;
    case 2: // truncate
      return bytes.subarray(0, pick(bytes.length + 1));
    case 3: { // insert random bytes
      const at = pick(bytes.length + 1);
      const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes.subarray(0, at));
      out.set(extra, at);
      out.set(bytes.subarray(at), at + extra.length);
      return out;
    }
    case 4: { // splice with another corpus entry
      const other = corpus[pick(corpus.length)]!;
      const cut = pick(bytes.length + 1);
      const from = pick(other.length + 1);
      const out = new Uint8Array(cut + other.length - from);
      out.set(bytes.subarray(0, cut));
      out.set(other.subarray(from), cut);
      return out;
    }
    case 5: // duplicate a slice
    {
      const start = pick(bytes.length + 1);
      const slice = bytes.subarray(start, start + pick(32));
      const out = new Uint8Array(bytes.length + slice.length);
      out.set(bytes);
      out.set(slice, bytes.length);
      return out;
    }
    case 6: // random bytes
      return Uint8Array.from({ length: pick(64) }, () => pick(256));
    default: // one random byte anywhere, including array/string headers
      if (bytes.length > 0) bytes[pick(bytes.length)] = pick(256);
      return bytes;
  }
}

const acceptAll = { check: () => {} };

function run(target: FuzzTarget, input: Uint8Array, reassembler: Reassembler): boolean {
  switch (target) {
    case "envelope":
      decodeEnvelope(input);
      return true;
    case "body":
      decodeMessageBody(input);
      return true;
    case "frame": {
      const frame = decodeFrame(input, MAX_MESSAGE_BYTES);
      if (frame.type === "ack") return true;
      if (frame.type === "fragment") {
        reassembler.add("fuzz", frame);
        return true;
      }
      openMessage(frame, {
        overlayId: 0,
        admission: acceptAll,
        nowSeconds: 0,
        windowSeconds: 0xffff_ffff,
      });
      return true;
    }
  }
}

/**
 * Runs `iterations` inputs derived from `corpus` (per target) with a seeded PRNG.
 * Inputs are capped at MAX_MESSAGE_BYTES, the largest thing any decoder is handed.
 */
export function fuzzOverlay(options: {
  seed: number;
  iterations: number;
  corpus: Readonly<Record<FuzzTarget, readonly Uint8Array[]>>;
}): FuzzReport {
  const random = prng(options.seed);
  const reassembler = new Reassembler({}, { clock: new ManualClock() });
  const targets: FuzzTarget[] = ["frame", "envelope", "body"];
  let decoded = 0;
  let refused = 0;
  let slowestMs = 0;
  const crashes: FuzzCrash[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const target = targets[i % targets.length]!;
    const corpus = options.corpus[target];
    if (corpus.length === 0) continue;
    let input = corpus[Math.floor(random() * corpus.length)]!;
    for (let m = 0, n = 1 + Math.floor(random() * 3); m < n; m++) {
      input = mutate(input, corpus, random);
    }
    if (input.length > MAX_MESSAGE_BYTES) input = input.subarray(0, MAX_MESSAGE_BYTES);
    const started = performance.now();
    try {
      run(target, input, reassembler);
      decoded++;
    } catch (error) {
      if (error instanceof OverlayDecodeError || error instanceof MessageSecurityError) refused++;
      else {crashes.push({
          target,
          input: input.slice(),
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });}
    }
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return { inputs: options.iterations, decoded, refused, crashes, slowestMs };
}
