// The overlay over IPv6: three real superpeer processes bound to ::1 form one ring (their node
// infos carry 16-byte addresses), and a record stored through one is fetched through each.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import {
  launch,
  type Member,
  overlayStatus,
  RingClient,
  stopAll,
  waitForRing,
} from "./daemon_ring.ts";

test("IPv6: three daemons on ::1 form one ring and serve a record stored through one of them", async () => {
  const members: Member[] = [];
  const client = await RingClient.open("::1");
  try {
    members.push(await launch(["--set", "overlay.host=::1"]));
    const bootstrap = `[::1]:${members[0]!.udp.port}`;
    members.push(
      ...await Promise.all(
        [1, 2].map(() =>
          launch(["--set", "overlay.host=::1", "--set", `overlay.bootstrap=${bootstrap}`])
        ),
      ),
    );
    assert.ok(
      members.every((m) => m.udp.host === "::1"),
      JSON.stringify(members.map((m) => m.udp)),
    );
    await waitForRing(members, 30_000);
    for (const m of members) {
      const details = await overlayStatus(m);
      assert.ok(
        [...details.successors, ...details.predecessors].every((p: { address: string }) =>
          p.address.startsWith("::1:") || p.address.startsWith("[::1]:")
        ),
        JSON.stringify(details.successors),
      );
    }
    const record = client.registration("sip:alice@mesh.example.org", "<sip:alice@[::1]>");
    assert.is(await client.store(record, members[1]!.udp), MessageCode.StoreAns);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await client.missing([record], members), []);
  } finally {
    await client.close();
    await stopAll(members);
  }
});

test.run();
