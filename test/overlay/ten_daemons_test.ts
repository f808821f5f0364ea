// Ten real superpeer processes on loopback form one overlay ring; records stored through one are
// fetched through every one; three are killed with SIGKILL and every record stays fetchable; the
// three restart (same keys) and rejoin.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { systemScheduler } from "../../src/core/scheduler.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import {
  encodeStoredDataToBeSigned,
  type StoredData,
} from "../../src/codec/overlay/messages/stored_data.ts";
import { OpenAdmission } from "../../src/identity/admission.ts";
import { generateNodeKey } from "../../src/identity/node_key.ts";
import { overlayIdForConfig } from "../../src/identity/overlay_id.ts";
import { resourceId } from "../../src/identity/resource_id.ts";
import { SignatureDomain, signInDomain } from "../../src/identity/signatures.ts";
import { OverlayNode } from "../../src/overlay/overlay_node.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";
import { DEFAULT_KINDS, SIP_REGISTRATION } from "../../src/overlay/storage/kinds.ts";
import { LocalStore } from "../../src/overlay/storage/local_store.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";
import { type DaemonProcess, DENO_BIN, get, MAIN_TS } from "../../scripts/lib/daemon_process.ts";
import { startDaemonProcess } from "../../scripts/lib/daemon_process.ts";

const FAST = ["--set", "overlay.stabilizeMaxMs=2000", "--set", "overlay.peerTimeoutMs=6000"];
const RECORDS = 20;

interface Member {
  process: DaemonProcess;
  udp: DatagramAddress;
  nodeId: string;
}

async function overlayStatus(member: { process: DaemonProcess }) {
  let body: string;
  try {
    body = (await get(`${member.process.opsUrl}/status`)).body;
  } catch (error) {
    throw new Error(
      `${member.process.opsUrl} does not answer (${(error as Error).message}); its log:\n${
        member.process.stderr().slice(-3000)
      }`,
    );
  }
  const status = JSON.parse(body);
  return status.services.find((s: { name: string }) => s.name === "overlay").details;
}

async function launch(extra: string[]): Promise<Member> {
  const process = await startDaemonProcess(DENO_BIN, ["run", "-A", MAIN_TS], [...FAST, ...extra]);
  const details = await overlayStatus({ process });
  const [host, port] = details.udp.split(":");
  return { process, udp: { host, port: Number(port) }, nodeId: details.nodeId };
}

/** Waits until every member's first successor is the next member on the ring. */
async function waitForRing(members: Member[], timeoutMs: number): Promise<void> {
  const sorted = [...members].sort((
    a,
    b,
  ) => (idToBigInt(Buffer.from(a.nodeId, "hex")) < idToBigInt(Buffer.from(b.nodeId, "hex"))
    ? -1
    : 1)
  );
  const deadline = Date.now() + timeoutMs;
  let wrong: string[] = [];
  while (Date.now() < deadline) {
    wrong = [];
    for (const [i, m] of sorted.entries()) {
      const details = await overlayStatus(m);
      const want = sorted[(i + 1) % sorted.length]!.nodeId;
      if (details.successors[0]?.nodeId !== want) {
        wrong.push(`${m.nodeId.slice(0, 6)}->${details.successors[0]?.nodeId?.slice(0, 6)}`);
      }
    }
    if (wrong.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`ring not consistent after ${timeoutMs} ms: ${wrong.join(" ")}`);
}

test("ten daemons: one ring, records fetched through every daemon, survive 3 SIGKILLs, killed ones rejoin", async () => {
  const members: Member[] = [];
  const client = await openUdpTransport({ host: "127.0.0.1", port: 0 }, {
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  try {
    members.push(await launch([]));
    const bootstrap = `127.0.0.1:${members[0]!.udp.port}`;
    members.push(
      ...await Promise.all(
        Array.from({ length: 9 }, () => launch(["--set", `overlay.bootstrap=${bootstrap}`])),
      ),
    );
    await waitForRing(members, 40_000);

    // A client (not a ring member) that talks to the ring through any daemon.
    const key = generateNodeKey();
    const overlayId = overlayIdForConfig({
      overlay: { name: "superpeer", admission: "open", operatorPublicKey: "" },
    });
    const node = new OverlayNode({
      overlayId,
      bootstrap: [],
      advertise: [],
      replayWindowSeconds: 300,
    }, {
      transport: client,
      clock: systemClock,
      scheduler: systemScheduler,
      logger: silentLogger(),
      metrics: new MetricsRegistry(),
      key,
      admission: new OpenAdmission(),
      store: new LocalStore({ kinds: DEFAULT_KINDS, clock: systemClock }),
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
    const records = Array.from({ length: RECORDS }, (_, i) => {
      const resource = resourceId(`sip:user${i}@mesh.example.org`);
      const value = {
        model: "dictionary" as const,
        key: key.nodeId,
        exists: true,
        data: new TextEncoder().encode(`<sip:user${i}@127.0.0.1>`),
      };
      const storageTime = Math.floor(Date.now() / 1000);
      const sig = signInDomain(
        key.privateKey,
        SignatureDomain.StoredData,
        encodeStoredDataToBeSigned(resource, SIP_REGISTRATION.id, storageTime, value),
      );
      const stored: StoredData = {
        storageTime,
        lifetime: 3600,
        value,
        signature: { signerKey: key.publicKeyRaw, sig },
      };
      return { resource, stored };
    });
    for (const { resource, stored } of records) {
      const answer = await node.messenger.request({ type: "resource", id: resource }, {
        code: MessageCode.StoreReq,
        resourceId: resource,
        replicaNumber: 0,
        kindData: [{ kind: SIP_REGISTRATION.id, generation: 0, values: [stored] }],
      }, { directTo: members[0]!.udp });
      assert.is(answer.body.code, MessageCode.StoreAns);
    }
    await new Promise((r) => setTimeout(r, 1000)); // replicas are written asynchronously

    const fetchAll = async (through: Member[]) => {
      const missing: string[] = [];
      for (const m of through) {
        await Promise.all(records.map(async ({ resource, stored }, i) => {
          try {
            const answer = await node.messenger.request({ type: "resource", id: resource }, {
              code: MessageCode.FetchReq,
              resourceId: resource,
              specifiers: [{
                kind: SIP_REGISTRATION.id,
                generation: 0,
                selector: { model: "dictionary", keys: [] },
              }],
            }, { directTo: m.udp });
            const values = answer.body.code === MessageCode.FetchAns
              ? answer.body.kindData[0]?.values ?? []
              : [];
            if (
              values.length !== 1 || Buffer.compare(values[0]!.value.data, stored.value.data) !== 0
            ) missing.push(`${i} via ${m.nodeId.slice(0, 6)}`);
          } catch (error) {
            missing.push(`${i} via ${m.nodeId.slice(0, 6)}: ${(error as Error).message}`);
          }
        }));
      }
      return missing;
    };
    assert.equal(await fetchAll(members), [], "every record through every daemon");

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
    assert.equal(await fetchAll(survivors), [], "every record after 3 SIGKILLs");

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
    assert.equal(await fetchAll(restarted), [], "records through the rejoined daemons");
    node.messenger.close();
  } finally {
    for (const m of members) m.process.kill("SIGTERM");
    await Promise.all(members.map((m) => m.process.exited));
    await client.close();
  }
});

test.run();
