import { SuperpeerError } from "../../core/errors.ts";

/** The parts of a DNS message (RFC 1035 section 4.1), naming where a decode failed. */
export type DnsSection = "header" | "question" | "answer" | "authority" | "additional";

/**
 * Bytes that are not a well-formed DNS message. `offset` is the byte where the problem was found,
 * `section` and `index` the entry being read (index 0 is the first question, answer, ...);
 * both are undefined when a name or rdata was decoded on its own. RFC 6762 has no error reply for
 * malformed packets: callers count and drop them.
 *
 * @example
 * ```ts
 * try { decodeDnsMessage(datagram); }
 * catch (e) { if (e instanceof DnsDecodeError) metrics.drop(e.section ?? "message"); else throw e; }
 * ```
 */
export class DnsDecodeError extends SuperpeerError {
  readonly offset: number;
  readonly section: DnsSection | undefined;
  readonly index: number | undefined;
  /** What is wrong, without the place. */
  readonly reason: string;

  constructor(offset: number, reason: string, section?: DnsSection, index?: number) {
    super(
      "DNS_DECODE",
      `Cannot decode DNS message: ${describePlace(offset, section, index)}: ${reason}`,
    );
    this.offset = offset;
    this.section = section;
    this.index = index;
    this.reason = reason;
  }

  /** The same error, placed in `section` entry `index` (when it was not placed yet). */
  placedIn(section: DnsSection, index: number): DnsDecodeError {
    return this.section === undefined
      ? new DnsDecodeError(this.offset, this.reason, section, index)
      : this;
  }
}

function describePlace(offset: number, section?: DnsSection, index?: number): string {
  if (section === undefined) return `at byte ${offset}`;
  if (section === "header" || index === undefined) return `${section} at byte ${offset}`;
  return `${section} ${index} at byte ${offset}`;
}

/**
 * A message that cannot be encoded: a name or value out of its RFC range, sections added out of
 * order, or a message larger than the limit it must fit in.
 *
 * @example
 * ```ts
 * try { encodeDnsMessage(message, 1452); }
 * catch (e) { if (e instanceof DnsEncodeError) log.warn("Cannot send the response", { e }); }
 * ```
 */
export class DnsEncodeError extends SuperpeerError {
  constructor(message: string) {
    super("DNS_ENCODE", `Cannot encode DNS message: ${message}`);
  }
}
