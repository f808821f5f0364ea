// Shared by the SIP codec tests: sample messages and a way to catch a SipParseError.
import { SipParseError } from "../../../src/codec/sip/sip_errors.ts";

export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
export const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Whatever `fn` throws; fails the test when it returns. (uvu's assert.throws(fn, Class) does not
 * check the class.) */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected fn to throw");
}

/** The SipParseError `fn` throws; fails the test when it throws nothing or something else. */
export function refusal(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error("expected a SipParseError");
}

export {
  SAMPLE_INVITE as INVITE,
  SAMPLE_REGISTER as REGISTER,
} from "../../../scripts/lib/bench_sip.ts";
