import type { DnsName } from "./dns_types.ts";

/** Longest label in bytes (RFC 1035 section 2.3.4). */
export const MAX_LABEL_BYTES = 63;
/** Longest name on the wire in bytes, length octets and the root included (RFC 1035 2.3.4). */
export const MAX_NAME_BYTES = 255;

const utf8 = new TextEncoder();

/** ASCII-only lower case: DNS compares names case-insensitively in ASCII only (RFC 6762 16). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * A canonical text form of a name for map keys and comparisons: ASCII lower-cased labels in
 * presentation form (dots and backslashes inside a label escaped), joined with dots.
 *
 * @example
 * ```ts
 * dnsNameKey(["My.Phone", "_sip", "_udp", "local"]); // "my\\.phone._sip._udp.local"
 * ```
 */
export function dnsNameKey(name: DnsName): string {
  let key = "";
  for (let i = 0; i < name.length; i++) {
    if (i > 0) key += ".";
    key += asciiLower(name[i]!).replace(/[\\.]/g, (c) => `\\${c}`);
  }
  return key;
}

/** Whether two names are the same name (ASCII case-insensitive). */
export function dnsNamesEqual(a: DnsName, b: DnsName): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (asciiLower(a[i]!) !== asciiLower(b[i]!)) return false;
  }
  return true;
}

/** A name's labels as dotted text for logs (no escaping; not a key). */
export function dnsNameText(name: DnsName): string {
  return name.join(".");
}

/**
 * Checks a name can go on the wire: every label 1..63 UTF-8 bytes, the whole at most 255 bytes.
 * Returns the reason it cannot, or undefined when it can.
 */
export function dnsNameProblem(name: DnsName): string | undefined {
  let total = 1; // the root label
  for (const label of name) {
    const bytes = utf8.encode(label).length;
    if (bytes === 0) return "empty label";
    if (bytes > MAX_LABEL_BYTES) return `label longer than ${MAX_LABEL_BYTES} bytes: ${label}`;
    total += 1 + bytes;
  }
  if (total > MAX_NAME_BYTES) return `name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}
