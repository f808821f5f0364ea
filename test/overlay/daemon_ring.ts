// Helpers for tests that run real superpeer processes as one overlay ring: launch a daemon, read
// its overlay status, wait until the ring is consistent, and a client peer (not a ring member)
// that stores and fetches signed SIP registrations through any daemon.
import { randomBytes } from "node:crypto";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { systemScheduler } from "../../src/core/scheduler.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import type { StoredData } from "../../src/codec/overlay/messages/stored_data.ts";
import { parseHostPort } from "../../src/daemon/overlay_service.ts";
import { OpenAdmission } from "../../src/identity/admission.ts";
import { generateNodeKey, type NodeKey } from "../../src/identity/node_key.ts";
import { overlayIdForConfig } from "../../src/identity/overlay_id.ts";
import { resourceId } from "../../src/identity/resource_id.ts";
import { OverlayNode } from "../../src/overlay/overlay_node.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";
import { DEFAULT_KINDS, SIP_REGISTRATION } from "../../src/overlay/storage/kinds.ts";
import { LocalStore } from "../../src/overlay/storage/local_store.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";
import { signedRegistration } from "../../scripts/lib/signed_registration.ts";
import {
  type DaemonProcess,
  DENO_BIN,
  get,
  MAIN_TS,
  startDaemonProcess,
} from "../../scripts/lib/daemon_process.ts";

/** Fast stabilisation so rings form and repair within seconds. */
export const FAST = ["--set", "overlay.stabilizeMaxMs=2000", "--set", "overlay.peerTimeoutMs=6000"];

export interface Member {
  process: DaemonProcess;
  udp: DatagramAddress;
  nodeId: string;
}

/** The overlay service's `/status` details of a daemon. */
export async function overlayStatus(member: { process: DaemonProcess }) {
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

/** Starts a daemon (Deno, from source) with FAST timing and `extra` flags. */
export async function launch(extra: string[]): Promise<Member> {
  const process = await startDaemonProcess(DENO_BIN, ["run", "-A", MAIN_TS], [...FAST, ...extra]);
  const details = await overlayStatus({ process });
  return { process, udp: parseHostPort(details.udp), nodeId: details.nodeId };
}

/** Waits until every member's first successor is the next member on the ring. */
export async function waitForRing(members: Member[], timeoutMs: number): Promise<void> {
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

export interface SignedRecord {
  readonly resource: Uint8Array;
  readonly stored: StoredData;
}

/** A client peer (outside the ring, open admission) that reaches the ring through any daemon. */
export class RingClient {
  readonly key: NodeKey = generateNodeKey();
  readonly node: OverlayNode;

  readonly #transport: DatagramTransport;

  /** A client on its own UDP socket at `host` (any free port). */
  static async open(host: string): Promise<RingClient> {
    const transport = await openUdpTransport({ host, port: 0 }, {
      logger: silentLogger(),
      metrics: new MetricsRegistry(),
    });
    return new RingClient(transport);
  }

  constructor(transport: DatagramTransport) {
    this.#transport = transport;
    this.node = new OverlayNode({
      overlayId: overlayIdForConfig({
        overlay: { name: "superpeer", admission: "open", operatorPublicKey: "" },
      }),
      bootstrap: [],
      advertise: [],
      replayWindowSeconds: 300,
    }, {
      transport,
      clock: systemClock,
      scheduler: systemScheduler,
      logger: silentLogger(),
      metrics: new MetricsRegistry(),
      key: this.key,
      admission: new OpenAdmission(),
      store: new LocalStore({ kinds: DEFAULT_KINDS, clock: systemClock }),
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
  }

  /** A SIP registration of `aor` signed by this client. */
  registration(aor: string, contact: string): SignedRecord {
    const resource = resourceId(aor);
    return { resource, stored: signedRegistration(this.key, resource, contact, Date.now()) };
  }

  /** Stores a record through the daemon at `through`; the answer's message code. */
  async store(record: SignedRecord, through: DatagramAddress): Promise<number> {
    const answer = await this.node.messenger.request(
      { type: "resource", id: record.resource },
      {
        code: MessageCode.StoreReq,
        resourceId: record.resource,
        replicaNumber: 0,
        kindData: [{ kind: SIP_REGISTRATION.id, generation: 0, values: [record.stored] }],
      },
      { directTo: through },
    );
    return answer.body.code;
  }

  /**
   * Fetches every record through each member; returns what was missing or wrong ("i via id").
   */
  async missing(records: readonly SignedRecord[], through: readonly Member[]): Promise<string[]> {
    const missing: string[] = [];
    for (const m of through) {
      await Promise.all(records.map(async ({ resource, stored }, i) => {
        try {
          const answer = await this.node.messenger.request({ type: "resource", id: resource }, {
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
  }

  /** Stops the client's requests and closes its socket. */
  async close(): Promise<void> {
    this.node.messenger.close();
    await this.#transport.close();
  }
}

/** Stops every member (SIGTERM) and waits for them to exit. */
export async function stopAll(members: readonly Member[]): Promise<void> {
  for (const m of members) m.process.kill("SIGTERM");
  await Promise.all(members.map((m) => m.process.exited));
}
