/**
 * The server side of the WebSocket opening handshake (RFC 6455 section 4.2) for SIP (RFC 7118
 * section 4.1): checks an HTTP upgrade request, picks a subprotocol, and writes the 101 response or
 * the refusal. The request is read by an HTTP server (node:http's `upgrade` event); these functions
 * only look at its method, version, target and header values, so they run without a socket.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { WEBSOCKET_GUID, WEBSOCKET_VERSION } from "./constants.ts";
import { WebSocketHandshakeError } from "./websocket_errors.ts";

/**
 * What acceptWebSocketUpgrade() reads of a request; node:http's IncomingMessage has this shape.
 * Header names are lower case; a repeated header is a list or one comma-joined value.
 */
export interface WebSocketUpgradeRequest {
  readonly method?: string | undefined;
  /** "1.1" for HTTP/1.1. */
  readonly httpVersion: string;
  /** The request target: "/", "/sip?x=1", or an absolute URI. */
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** What the server accepts. */
export interface AcceptWebSocketUpgradeOptions {
  /** Subprotocols the server speaks; one of them must be offered (RFC 7118: `["sip"]`). */
  readonly subprotocols: readonly string[];
  /** When given, the only path accepted (the query is ignored); otherwise any path. */
  readonly path?: string;
  /**
   * When given, the only Origin values accepted (compared without regard to letter case); a
   * request without Origin (not a browser) is accepted. Otherwise every origin is.
   */
  readonly allowedOrigins?: readonly string[];
}

/** An accepted upgrade: what to answer and what was asked for. */
export interface WebSocketUpgrade {
  /** The client's Sec-WebSocket-Key. */
  readonly key: string;
  /** The Sec-WebSocket-Accept value for it. */
  readonly accept: string;
  /** The subprotocol chosen: the client's first offer that the server speaks. */
  readonly subprotocol: string;
  /** The Origin header (browsers send one), if any. */
  readonly origin: string | undefined;
  /** The request target's path, without the query. */
  readonly path: string;
}

const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/; // 16 bytes in canonical base64: 22 digits and "=="

/**
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2 item 5.4): the base64 of
 * the SHA-1 of the key followed by the protocol's GUID.
 *
 * @example
 * ```ts
 * computeWebSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export function computeWebSocketAccept(key: string): string {
  return createHash("sha1").update(key + WEBSOCKET_GUID, "latin1").digest("base64");
}

/**
 * Checks an upgrade request against RFC 6455 section 4.2.1 and the server's options, in the order
 * the section lists them, and returns what to answer.
 *
 * @throws {WebSocketHandshakeError} with the HTTP status to refuse with
 *
 * @example
 * ```ts
 * const upgrade = acceptWebSocketUpgrade(request, { subprotocols: ["sip"] });
 * socket.write(encodeWebSocketUpgradeResponse(upgrade));
 * ```
 */
export function acceptWebSocketUpgrade(
  request: WebSocketUpgradeRequest,
  options: AcceptWebSocketUpgradeOptions,
): WebSocketUpgrade {
  // RFC 6455 section 4.2.1 item 1: an HTTP/1.1 or higher GET request.
  if (request.method !== "GET") {
    throw new WebSocketHandshakeError("METHOD", `method ${request.method} is not GET`);
  }
  if (!isHttp11OrLater(request.httpVersion)) {
    throw new WebSocketHandshakeError("HEADER", `HTTP/${request.httpVersion} is older than 1.1`);
  }
  const headers = request.headers;
  const target = request.url ?? "/";
  const path = pathOf(target);
  if (options.path !== undefined && path !== options.path) {
    throw new WebSocketHandshakeError("PATH", `path ${path} is not ${options.path}`);
  }
  // Item 2: a Host header field.
  if ((header(headers, "host") ?? "").trim() === "") {
    throw new WebSocketHandshakeError("HEADER", "Host is missing");
  }
  // Item 3: Upgrade includes "websocket"; item 4: Connection includes "Upgrade" (both ASCII
  // case-insensitive tokens).
  if (!tokens(header(headers, "upgrade")).some((t) => t.toLowerCase() === "websocket")) {
    throw new WebSocketHandshakeError("HEADER", "Upgrade has no websocket token");
  }
  if (!tokens(header(headers, "connection")).some((t) => t.toLowerCase() === "upgrade")) {
    throw new WebSocketHandshakeError("HEADER", "Connection has no Upgrade token");
  }
  // Item 5: a key that decodes to 16 bytes.
  const key = (header(headers, "sec-websocket-key") ?? "").trim();
  if (!KEY.test(key)) {
    throw new WebSocketHandshakeError("KEY", "Sec-WebSocket-Key is not the base64 of 16 bytes");
  }
  // Item 6: version 13 (section 4.4: otherwise 426 with the versions we speak).
  const version = (header(headers, "sec-websocket-version") ?? "").trim();
  if (version !== WEBSOCKET_VERSION) {
    throw new WebSocketHandshakeError(
      "VERSION",
      `Sec-WebSocket-Version ${version || "(none)"} is not ${WEBSOCKET_VERSION}`,
    );
  }
  const origin = header(headers, "origin")?.trim();
  if (
    options.allowedOrigins !== undefined && origin !== undefined &&
    !options.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase())
  ) {
    throw new WebSocketHandshakeError("ORIGIN", `origin ${origin} is not allowed`);
  }
  // RFC 7118 section 4.1: the client MUST offer "sip" and the 101 MUST name it.
  const offered = tokens(header(headers, "sec-websocket-protocol"));
  const subprotocol = offered.find((p) => options.subprotocols.includes(p));
  if (subprotocol === undefined) {
    throw new WebSocketHandshakeError(
      "SUBPROTOCOL",
      `none of the offered subprotocols (${offered.join(", ") || "none"}) is ${
        options.subprotocols.join(" or ")
      }`,
    );
  }
  return { key, accept: computeWebSocketAccept(key), subprotocol, origin, path };
}

/**
 * The 101 response that completes the handshake (RFC 6455 section 4.2.2 item 5).
 *
 * @example
 * ```ts
 * socket.write(encodeWebSocketUpgradeResponse({ accept, subprotocol: "sip" }));
 * ```
 */
export function encodeWebSocketUpgradeResponse(
  upgrade: Pick<WebSocketUpgrade, "accept" | "subprotocol">,
): string {
  return "HTTP/1.1 101 Switching Protocols\r\n" +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${upgrade.accept}\r\n` +
    `Sec-WebSocket-Protocol: ${upgrade.subprotocol}\r\n` +
    "\r\n";
}

const PHRASES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  503: "Service Unavailable",
};

/**
 * An HTTP response refusing an upgrade (or a plain HTTP request), with no body, asking the client
 * to close. A 426 names the version this server speaks (RFC 6455 section 4.4).
 *
 * @example
 * ```ts
 * socket.end(encodeWebSocketRefusal(426));
 * ```
 */
export function encodeWebSocketRefusal(status: number): string {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`Cannot encode a WebSocket refusal: status ${status} is not 400-599`);
  }
  const version = status === 426
    ? `Upgrade: websocket\r\nSec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n`
    : "";
  return `HTTP/1.1 ${status} ${PHRASES[status] ?? "Error"}\r\n` + version +
    "Connection: close\r\nContent-Length: 0\r\n\r\n";
}

function header(
  headers: WebSocketUpgradeRequest["headers"],
  name: string,
): string | undefined {
  const value = headers[name];
  return typeof value === "string" ? value : value?.join(",");
}

/** The comma-separated tokens of a header value, trimmed, empty ones dropped. */
function tokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

function isHttp11OrLater(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  return major > 1 || (major === 1 && Number(match[2]) >= 1);
}

function pathOf(target: string): string {
  let path = target;
  if (!path.startsWith("/")) {
    // An absolute-form target (RFC 9112 section 3.2.2): keep what follows the authority.
    const afterScheme = path.indexOf("://");
    const slash = afterScheme < 0 ? -1 : path.indexOf("/", afterScheme + 3);
    path = slash < 0 ? "/" : path.slice(slash);
  }
  const query = path.search(/[?#]/);
  return query < 0 ? path : path.slice(0, query);
}
