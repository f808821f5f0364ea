// `superpeer run` with the relay's REST secret: a REGISTER's 200 OK hands the phone this
// superpeer's TURN servers (UDP and TCP) with credentials the relay accepts (issue #6 part 9).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getParam, parseNameAddr, parseSipMessage } from "../../src/codec/sip/mod.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { restPassword } from "../../src/relay/credentials.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";
import { DENO_BIN, get, MAIN_TS, startDaemonProcess } from "../../scripts/lib/daemon_process.ts";

test("superpeer run hands TURN servers and REST credentials to a registered phone", async () => {
  const daemon = await startDaemonProcess(DENO_BIN, ["run", "-A", MAIN_TS], [
    "--set",
    "overlay.enabled=false",
    "--set",
    "relay.authSecrets=north-secret",
    "--set",
    "sip.auth=none",
    "--set",
    "sip.domains=mesh.test",
  ]);
  const phone = await openUdpTransport({ host: "127.0.0.1", port: 0 }, {
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  try {
    const status = JSON.parse((await get(`${daemon.opsUrl}/status`)).body);
    const details = (name: string) =>
      status.services.find((s: { name: string }) => s.name === name).details;
    const sipPort = Number(String(details("sip").udp).split(":").pop());
    const relayPort = Number(String(details("relay").udp).split(":").pop());
    const answer = new Promise<Uint8Array>((resolve) => {
      phone.onDatagram((bytes) => resolve(Uint8Array.from(bytes)));
    });
    const port = phone.local.port;
    phone.send(
      new TextEncoder().encode([
        "REGISTER sip:mesh.test SIP/2.0",
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKhandoff;rport`,
        "Max-Forwards: 70",
        "To: <sip:alice@mesh.test>",
        "From: <sip:alice@mesh.test>;tag=h1",
        "Call-ID: handoff@127.0.0.1",
        "CSeq: 1 REGISTER",
        `Contact: <sip:alice@127.0.0.1:${port}>`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n")),
      { host: "127.0.0.1", port: sipPort },
    );
    const ok = parseSipMessage(
      await Promise.race([
        answer,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer")), 5000)),
      ]),
    );
    assert.is(ok.status, 200, ok.reason);
    const offers = ok.headers.getAll("superpeer-turn").map((v) => parseNameAddr(v));
    assert.equal(offers.map((o) => o.uri), [
      `turn:127.0.0.1:${relayPort}?transport=udp`,
      `turn:127.0.0.1:${relayPort}?transport=tcp`,
    ]);
    const username = getParam(offers[0]!.params, "username")!.slice(1, -1);
    const credential = getParam(offers[0]!.params, "credential")!.slice(1, -1);
    assert.match(username, /^\d+:alice$/);
    assert.is(credential, restPassword("north-secret", username), "the relay's REST password");
  } finally {
    await phone.close();
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
});

test.run();
