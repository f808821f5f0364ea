// Scripted SIP endpoints for the proxy tests on a memory network: phones that answer INVITEs as
// told and ACK non-2xx finals, and a shared stand-in for the overlay's registrations.
import { parseSipMessage, type SipMessage } from "../../../src/codec/sip/mod.ts";
import type { DatagramAddress, DatagramTransport } from "../../../src/core/transport.ts";
import type { OverlayRegistration, SipOverlay } from "../../../src/sip/overlay_registrations.ts";
import type { MemoryNetwork } from "../../../src/transport/memory_network.ts";

export const DOMAIN = "mesh.example";
const encoder = new TextEncoder();

/** One shared "overlay": what each peer publishes, by AOR and publisher. */
export class FakeOverlay {
  readonly entries = new Map<string, Map<string, string>>();
  peer(name: string): SipOverlay {
    return {
      publish: (aor, uri) => {
        const byPeer = this.entries.get(aor) ?? new Map<string, string>();
        byPeer.set(name, uri);
        this.entries.set(aor, byPeer);
      },
      withdraw: (aor) => void this.entries.get(aor)?.delete(name),
      resolve: (aor) => {
        const out: OverlayRegistration[] = [];
        for (const [peer, uri] of this.entries.get(aor) ?? []) {
          if (peer !== name) out.push({ nodeId: peer, uri, lifetime: 600 });
        }
        return Promise.resolve(out);
      },
    };
  }
}

/** A scripted phone (or outside server): records what it gets, answers INVITEs as told. */
export class Phone {
  readonly received: SipMessage[] = [];
  readonly transport: DatagramTransport;
  answer: number[] = [180, 200];
  constructor(network: MemoryNetwork, readonly address: DatagramAddress, readonly user: string) {
    this.transport = network.attach(address);
    this.transport.onDatagram((bytes, from) => {
      const message = parseSipMessage(bytes);
      this.received.push(message);
      if (message.isRequest && message.method !== "ACK") this.#respond(message);
      if (!message.isRequest && message.status >= 300 && message.cseq().method === "INVITE") {
        this.send([
          `ACK ${message.headers.get("to")!.replace(/^.*<([^>]*)>.*$/, "$1")} SIP/2.0`,
          `Via: ${message.headers.get("via")}`,
          "Max-Forwards: 70",
          `To: ${message.headers.get("to")}`,
          `From: ${message.headers.get("from")}`,
          `Call-ID: ${message.callId()}`,
          `CSeq: ${message.cseq().seq} ACK`,
        ], from);
      }
    });
  }
  get contact(): string {
    return `sip:${this.user}@${this.address.host}:${this.address.port}`;
  }
  send(lines: string[], to: DatagramAddress): void {
    this.transport.send(encoder.encode([...lines, "Content-Length: 0", "", ""].join("\r\n")), to);
  }
  register(proxy: DatagramAddress): void {
    // auth "none" elements only; digest elements get bindings through registerAt()
    this.send([
      `REGISTER sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address.host}:${this.address.port};branch=z9hG4bKreg${this.user};rport`,
      "Max-Forwards: 70",
      `To: <sip:${this.user}@${DOMAIN}>`,
      `From: <sip:${this.user}@${DOMAIN}>;tag=r${this.user}`,
      `Call-ID: reg-${this.user}`,
      "CSeq: 1 REGISTER",
      `Contact: <${this.contact}>`,
      "Expires: 600",
    ], proxy);
  }
  responses(method: string): SipMessage[] {
    return this.received.filter((m) => !m.isRequest && m.cseq().method === method);
  }
  finals(method: string): number[] {
    return this.responses(method).map((r) => r.status).filter((s) => s >= 200);
  }
  requests(method: string): SipMessage[] {
    return this.received.filter((m) => m.isRequest && m.method === method);
  }
  #respond(request: SipMessage): void {
    const statuses = request.method === "INVITE" ? this.answer : [200];
    for (const status of statuses) {
      const top = request.topVia();
      this.send([
        `SIP/2.0 ${status} Scripted`,
        ...request.headers.getAll("via").map((v) => `Via: ${v}`),
        ...request.headers.getAll("record-route").map((v) => `Record-Route: ${v}`),
        `From: ${request.headers.get("from")}`,
        `To: ${request.headers.get("to")}${status > 100 ? ";tag=callee" : ""}`,
        `Call-ID: ${request.callId()}`,
        `CSeq: ${request.headers.get("cseq")}`,
        ...(request.method === "INVITE" && status === 200 ? [`Contact: <${this.contact}>`] : []),
      ], { host: top.received ?? top.host, port: top.rport ?? top.port ?? 5060 });
    }
  }
}
