import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  acceptWebSocketUpgrade,
  computeWebSocketAccept,
  encodeWebSocketRefusal,
  encodeWebSocketUpgradeResponse,
  type WebSocketUpgradeRequest,
} from "../../../src/codec/websocket/handshake.ts";
import {
  WebSocketHandshakeError,
  type WebSocketHandshakeErrorReason,
} from "../../../src/codec/websocket/websocket_errors.ts";

/** RFC 6455 section 1.3's example key and the accept value it gives. */
const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A request as JsSIP sends it (headers as node:http gives them: lower-case names). */
function request(
  headers: Record<string, string | string[] | undefined> = {},
  line: Partial<Pick<WebSocketUpgradeRequest, "method" | "httpVersion" | "url">> = {},
): WebSocketUpgradeRequest {
  return {
    method: "GET",
    httpVersion: "1.1",
    url: "/",
    ...line,
    headers: {
      host: "ap.example.net:8443",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": RFC_KEY,
      "sec-websocket-version": "13",
      "sec-websocket-protocol": "sip",
      origin: "https://phone.example.org",
      ...headers,
    },
  };
}

function refusal(
  req: WebSocketUpgradeRequest,
  options: Parameters<typeof acceptWebSocketUpgrade>[1] = { subprotocols: ["sip"] },
): WebSocketHandshakeError {
  try {
    acceptWebSocketUpgrade(req, options);
  } catch (error) {
    if (error instanceof WebSocketHandshakeError) return error;
    throw error;
  }
  assert.unreachable("the request was accepted");
  throw new Error("unreachable");
}

test("computeWebSocketAccept() gives RFC 6455 section 1.3's example value", () => {
  assert.is(computeWebSocketAccept(RFC_KEY), RFC_ACCEPT);
});

test("acceptWebSocketUpgrade() accepts a browser's SIP upgrade and answers 101 with sip", () => {
  const upgrade = acceptWebSocketUpgrade(request({}, { url: "/ws?token=1" }), {
    subprotocols: ["sip"],
  });
  assert.equal(upgrade, {
    key: RFC_KEY,
    accept: RFC_ACCEPT,
    subprotocol: "sip",
    origin: "https://phone.example.org",
    path: "/ws",
  });
  assert.is(
    encodeWebSocketUpgradeResponse(upgrade),
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  );
});

test("acceptWebSocketUpgrade() reads tokens in lists, in any letter case, and header arrays", () => {
  const upgrade = acceptWebSocketUpgrade(
    request({
      upgrade: "WebSocket",
      connection: "keep-alive, UPGRADE",
      "sec-websocket-protocol": ["chat, sip", "other"],
      origin: undefined,
    }, { httpVersion: "2.0" }),
    { subprotocols: ["sip"] },
  );
  assert.is(upgrade.subprotocol, "sip");
  assert.is(upgrade.origin, undefined);
});

test("acceptWebSocketUpgrade() picks the client's first offer the server speaks", () => {
  const req = request({ "sec-websocket-protocol": "sip-v2, sip" });
  assert.is(acceptWebSocketUpgrade(req, { subprotocols: ["sip", "sip-v2"] }).subprotocol, "sip-v2");
});

test("acceptWebSocketUpgrade() reads the path of an absolute-form target", () => {
  const req = request({}, { url: "http://ap.example.net/sip?x" });
  assert.is(acceptWebSocketUpgrade(req, { subprotocols: ["sip"], path: "/sip" }).path, "/sip");
});

const REFUSALS: [string, WebSocketUpgradeRequest, WebSocketHandshakeErrorReason, number][] = [
  ["a POST", request({}, { method: "POST" }), "METHOD", 405],
  ["HTTP/1.0", request({}, { httpVersion: "1.0" }), "HEADER", 400],
  ["no Host", request({ host: undefined }), "HEADER", 400],
  ["an empty Host", request({ host: " " }), "HEADER", 400],
  ["no Upgrade", request({ upgrade: undefined }), "HEADER", 400],
  ["Upgrade: h2c", request({ upgrade: "h2c" }), "HEADER", 400],
  ["Connection without Upgrade", request({ connection: "keep-alive" }), "HEADER", 400],
  ["no key", request({ "sec-websocket-key": undefined }), "KEY", 400],
  ["a key of 15 bytes", request({ "sec-websocket-key": "AAAAAAAAAAAAAAAAAAAA" }), "KEY", 400],
  ["a key of 17 bytes", request({ "sec-websocket-key": "AAAAAAAAAAAAAAAAAAAAAAA=" }), "KEY", 400],
  [
    "a key with pad bits set",
    request({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZR==" }),
    "KEY",
    400,
  ],
  ["two keys", request({ "sec-websocket-key": [RFC_KEY, RFC_KEY] }), "KEY", 400],
  ["version 8", request({ "sec-websocket-version": "8" }), "VERSION", 426],
  ["no version", request({ "sec-websocket-version": undefined }), "VERSION", 426],
  ["no subprotocol", request({ "sec-websocket-protocol": undefined }), "SUBPROTOCOL", 400],
  [
    "only other subprotocols",
    request({ "sec-websocket-protocol": "chat, SIP" }),
    "SUBPROTOCOL",
    400,
  ],
];

for (const [what, req, reason, status] of REFUSALS) {
  test(`acceptWebSocketUpgrade() refuses ${what} with ${status}`, () => {
    const error = refusal(req);
    assert.is(error.reason, reason);
    assert.is(error.status, status);
    assert.is(error.code, "WEBSOCKET_HANDSHAKE");
  });
}

test("acceptWebSocketUpgrade() refuses another path with 404 when a path is set", () => {
  const error = refusal(request({}, { url: "/other" }), { subprotocols: ["sip"], path: "/sip" });
  assert.is(error.reason, "PATH");
  assert.is(error.status, 404);
});

test("acceptWebSocketUpgrade() with allowedOrigins refuses other origins, accepts listed and absent ones", () => {
  const options = { subprotocols: ["sip"], allowedOrigins: ["https://Phone.example.org"] };
  assert.is(acceptWebSocketUpgrade(request(), options).origin, "https://phone.example.org");
  assert.is(acceptWebSocketUpgrade(request({ origin: undefined }), options).origin, undefined);
  const error = refusal(request({ origin: "https://evil.example" }), options);
  assert.is(error.reason, "ORIGIN");
  assert.is(error.status, 403);
});

test("encodeWebSocketRefusal() writes a bodiless close response; 426 names version 13", () => {
  assert.is(
    encodeWebSocketRefusal(400),
    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  );
  assert.match(encodeWebSocketRefusal(426), "\r\nSec-WebSocket-Version: 13\r\n");
  assert.throws(() => encodeWebSocketRefusal(200), (e: unknown) => e instanceof RangeError);
});

test.run();
