import { test } from "uvu";
import * as assert from "uvu/assert";
import { getParam, parseNameAddr } from "../../src/codec/sip/mod.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { longTermKey } from "../../src/codec/stun/mod.ts";
import { RestCredentialStore } from "../../src/relay/credentials.ts";
import { TURN_HANDOFF_HEADER, turnHandoffHeaders } from "../../src/sip/turn_handoff.ts";

test("turnHandoffHeaders() gives one header per TURN server with REST credentials the relay accepts", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new RestCredentialStore({ secrets: ["north"] }, { clock });
  const headers = turnHandoffHeaders({
    servers: () => [
      { scheme: "turn", host: "192.0.2.1", port: 3478, transport: "udp" },
      { scheme: "turns", host: "2001:db8::1", port: 5349, transport: "tcp" },
    ],
    mint: (user) => store.mint(user, { ttlSeconds: 600 }),
  }, "alice");
  assert.equal(headers.map(([name]) => name), [TURN_HANDOFF_HEADER, TURN_HANDOFF_HEADER]);
  const first = parseNameAddr(headers[0]![1]);
  assert.is(first.uri, "turn:192.0.2.1:3478?transport=udp");
  assert.is(parseNameAddr(headers[1]![1]).uri, "turns:[2001:db8::1]:5349?transport=tcp");
  const username = getParam(first.params, "username")!.slice(1, -1);
  const credential = getParam(first.params, "credential")!.slice(1, -1);
  assert.is(username, "1700000600:alice");
  assert.is(getParam(first.params, "expires"), "1700000600");
  // the relay derives the same long-term key from the handed-out password
  const [key] = store.keysFor(username, "realm", "md5");
  assert.equal(key, longTermKey({ username, realm: "realm", password: credential }));
});

test("turnHandoffHeaders() hands out nothing while no TURN server runs", () => {
  let minted = 0;
  const headers = turnHandoffHeaders({
    servers: () => [],
    mint: () => {
      minted++;
      return { username: "u", password: "p", expiresAt: 0 };
    },
  }, "alice");
  assert.equal(headers, []);
  assert.is(minted, 0);
});

test.run();
