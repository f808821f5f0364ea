// Ten real superpeer processes on loopback form one overlay ring; records stored through one are
// fetched through every one; three are killed with SIGKILL and every record stays fetchable; the
// three restart (same keys) and rejoin.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";
import { launch, type Member, RingClient, stopAll, waitForRing } from "./daemon_ring.ts";

const RECORDS = 20;

test("ten daemons: one ring, records fetched through every daemon, survive 3 SIGKILLs, killed ones rejoin", async () => {
  const members: Member[] = [];
  const client = await RingClient.open("127.0.0.1");
  try {
    members.push(await launch([]));
    const bootstrap = `127.0.0.1:${members[0]!.udp.port}`;
    members.push(
      ...await Promise.all(
        Array.from({ length: 9 }, () => launch(["--set", `overlay.bootstrap=${bootstrap}`])),
      ),
    );
    await waitForRing(members, 40_000);

    const records = Array.from(
      { length: RECORDS },
      (_, i) => client.registration(`sip:user${i}@mesh.example.org`, `<sip:user${i}@127.0.0.1>`),
    );
    for (const record of records) {
      assert.is(await client.store(record, members[0]!.udp), MessageCode.StoreAns);
    }
    await new Promise((r) => setTimeout(r, 1000)); // replicas are written asynchronously
    assert.equal(await client.missing(records, members), [], "every record through every daemon");

    // Kill three peers spread over the ring (never three neighbours: each record has 3 copies).
    const ring = [...members].sort((
      a,
      b,
    ) => (idToBigInt(Buffer.from(a.nodeId, "hex")) < idToBigInt(Buffer.from(b.nodeId, "hex"))
      ? -1
      : 1)
    );
    const victims = [ring[1]!, ring[4]!, ring[7]!];
    for (const v of victims) v.process.kill("SIGKILL");
    await Promise.all(victims.map((v) => v.process.exited));
    const survivors = members.filter((m) => !victims.includes(m));
    await waitForRing(survivors, 40_000);
    assert.equal(await client.missing(records, survivors), [], "every record after 3 SIGKILLs");

    // Restart them with their data directories (same node keys): they rejoin the ring.
    const restarted = await Promise.all(
      victims.map((v) =>
        launch([
          "--set",
          `dataDir=${v.process.dataDir}`,
          "--set",
          `overlay.bootstrap=127.0.0.1:${survivors[0]!.udp.port}`,
        ])
      ),
    );
    for (const [i, r] of restarted.entries()) {
      assert.is(r.nodeId, victims[i]!.nodeId, "same key, same node id");
    }
    await waitForRing([...survivors, ...restarted], 40_000);
    members.push(...restarted);
    assert.equal(
      await client.missing(records, restarted),
      [],
      "records through the rejoined daemons",
    );
  } finally {
    await client.close();
    await stopAll(members);
  }
});

test.run();
