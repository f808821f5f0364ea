/**
 * The OpaqueString profile of PRECIS (RFC 8265 section 4.2), which RFC 8489 sections 9.2.2 and
 * 14.3 apply to usernames, realms and passwords before they are hashed into a long-term key.
 *
 * Enforcement as the profile gives it: non-ASCII spaces map to U+0020, then Unicode NFC; the result
 * must not be empty and must not contain what the FreeformClass disallows that JavaScript can
 * name: control characters, default-ignorable code points, surrogates and unassigned code points.
 * (Old Hangul Jamo, also disallowed, are not checked.) Printable ASCII comes out unchanged.
 *
 * @module
 */

const DISALLOWED = /[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Cn}]/u;
const NON_ASCII_SPACE = /(?![ ])\p{Zs}/gu;

/** A string the OpaqueString profile refuses (RFC 8265 section 4.2). */
export class OpaqueStringError extends RangeError {
  readonly code = "OPAQUE_STRING";
}

/**
 * `text` enforced under OpaqueString (RFC 8265 section 4.2.2), or a thrown OpaqueStringError.
 *
 * @example
 * ```ts
 * prepareOpaqueString("pass\u00a0word"); // "pass word"
 * ```
 */
export function prepareOpaqueString(text: string): string {
  // RFC 8265 section 4.2.1: additional mapping rule: non-ASCII space to ASCII space
  const prepared = text.replace(NON_ASCII_SPACE, " ").normalize("NFC");
  // RFC 8265 section 4.2.2: an empty string after enforcement is refused
  if (prepared.length === 0) throw new OpaqueStringError("Cannot use an empty OpaqueString");
  const bad = DISALLOWED.exec(prepared);
  if (bad !== null) {
    const point = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    throw new OpaqueStringError(
      `Cannot use OpaqueString: U+${point} at ${bad.index} is disallowed`,
    );
  }
  return prepared;
}
