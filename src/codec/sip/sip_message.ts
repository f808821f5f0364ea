/**
 * The SIP message model (RFC 3261 section 7): a request or a response, its header fields in order,
 * and its body bytes. Structured values (Via, From, To, CSeq, Contact, ...) are parsed on first use
 * and cached until the headers change, so the proxy's hot path parses only what it reads.
 *
 * @module
 */
import { type CSeq, parseCSeq } from "./cseq.ts";
import { type NameAddr, parseNameAddr } from "./name_addr.ts";
import { parseCallId, parseDeltaSeconds, parseMaxForwards } from "./scalar_headers.ts";
import { SipParseError } from "./sip_errors.ts";
import { SipHeaders } from "./sip_headers.ts";
import { parseVia, type Via } from "./via.ts";

/** What a request is made of. */
export interface SipRequestInit {
  readonly method: string;
  /** The Request-URI as text. */
  readonly uri: string;
  readonly headers?: Iterable<readonly [name: string, value: string]> | SipHeaders;
  readonly body?: Uint8Array;
}

/** What a response is made of. */
export interface SipResponseInit {
  readonly status: number;
  readonly reason: string;
  readonly headers?: Iterable<readonly [name: string, value: string]> | SipHeaders;
  readonly body?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * One request or response. The start line and body are plain fields; header access goes through
 * `headers`, or the typed accessors, which parse on first call and throw SipParseError ("VALUE",
 * "MISSING_HEADER", ...) when the header is malformed or absent.
 *
 * @example
 * ```ts
 * const msg = parseSipMessage(datagram);
 * if (msg.isRequest && msg.method === "REGISTER") {
 *   const { seq } = msg.cseq();
 *   const branch = msg.topVia().branch;
 * }
 * ```
 */
export class SipMessage {
  readonly isRequest: boolean;
  /** Request method, case-sensitive (section 7.1); "" for a response. */
  method: string;
  /** Request-URI as text; "" for a response. */
  uri: string;
  /** Status-Code; 0 for a request. */
  status: number;
  /** Reason-Phrase (may be empty); "" for a request. */
  reason: string;
  readonly headers: SipHeaders;
  /** The body: exactly Content-Length bytes, owned by this message. */
  body: Uint8Array;

  #cacheVersion = -1;
  #via: readonly Via[] | undefined;
  #from: NameAddr | undefined;
  #to: NameAddr | undefined;
  #cseq: CSeq | undefined;

  private constructor(
    isRequest: boolean,
    headers: SipHeaders,
    body: Uint8Array,
  ) {
    this.isRequest = isRequest;
    this.method = "";
    this.uri = "";
    this.status = 0;
    this.reason = "";
    this.headers = headers;
    this.body = body;
  }

  /** A request; headers are copied into a new SipHeaders unless one is given. */
  static request(init: SipRequestInit): SipMessage {
    const m = new SipMessage(true, toHeaders(init.headers), init.body ?? EMPTY);
    m.method = init.method;
    m.uri = init.uri;
    return m;
  }

  /** A response; headers are copied into a new SipHeaders unless one is given. */
  static response(init: SipResponseInit): SipMessage {
    const m = new SipMessage(false, toHeaders(init.headers), init.body ?? EMPTY);
    m.status = init.status;
    m.reason = init.reason;
    return m;
  }

  /** Every Via value, topmost first. */
  via(): readonly Via[] {
    this.#fresh();
    if (this.#via === undefined) {
      const values = this.headers.values("via");
      if (values === undefined) throw new SipParseError("VALUE", "Via", "unbalanced quote or <");
      if (values.length === 0) throw new SipParseError("MISSING_HEADER", "Via", "no Via");
      this.#via = values.map((v, i) => parseVia(v, i === 0 ? "Via" : `Via value ${i + 1}`));
    }
    return this.#via;
  }

  /** The topmost Via: the previous hop of a request, the next hop of a response. */
  topVia(): Via {
    return this.via()[0]!;
  }

  from(): NameAddr {
    this.#fresh();
    return this.#from ??= parseNameAddr(this.#single("from"), "From");
  }

  to(): NameAddr {
    this.#fresh();
    return this.#to ??= parseNameAddr(this.#single("to"), "To");
  }

  cseq(): CSeq {
    this.#fresh();
    return this.#cseq ??= parseCSeq(this.#single("cseq"));
  }

  callId(): string {
    return parseCallId(this.#single("call-id"));
  }

  /** Max-Forwards, or undefined when absent (a proxy then passes the check, section 16.3). */
  maxForwards(): number | undefined {
    const value = this.headers.get("max-forwards");
    return value === undefined ? undefined : parseMaxForwards(value);
  }

  /** Expires header in seconds, or undefined when absent. */
  expires(): number | undefined {
    const value = this.headers.get("expires");
    return value === undefined ? undefined : parseDeltaSeconds(value);
  }

  /**
   * Every Contact value in order, or "*" for the REGISTER wildcard (section 10.2.2). Not cached:
   * a registrar reads it once.
   */
  contacts(): readonly NameAddr[] | "*" {
    const values = this.#list("contact");
    if (values.length === 1 && values[0] === "*") return "*";
    return values.map((v, i) => parseNameAddr(v, `Contact value ${i + 1}`));
  }

  /** Every Route value in order (section 16.4 and 16.12). */
  routes(): readonly NameAddr[] {
    return this.#list("route").map((v, i) => parseNameAddr(v, `Route value ${i + 1}`));
  }

  /** Every Record-Route value in order (section 16.6 step 4, 12.1.1). */
  recordRoutes(): readonly NameAddr[] {
    return this.#list("record-route").map((v, i) =>
      parseNameAddr(v, `Record-Route value ${i + 1}`)
    );
  }

  #list(key: string): string[] {
    const values = this.headers.values(key);
    if (values === undefined) throw new SipParseError("VALUE", key, "unbalanced quote or <");
    return values;
  }

  #single(key: string): string {
    const value = this.headers.get(key);
    if (value === undefined) throw new SipParseError("MISSING_HEADER", key, `no ${key} header`);
    return value;
  }

  #fresh(): void {
    const version = this.headers.version;
    if (this.#cacheVersion === version) return;
    this.#cacheVersion = version;
    this.#via = undefined;
    this.#from = undefined;
    this.#to = undefined;
    this.#cseq = undefined;
  }
}

function toHeaders(
  headers: Iterable<readonly [name: string, value: string]> | SipHeaders | undefined,
): SipHeaders {
  if (headers instanceof SipHeaders) return headers;
  return new SipHeaders(headers ?? []);
}
