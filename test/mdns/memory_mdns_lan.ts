import type { Scheduler } from "../../src/core/scheduler.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import type { MdnsInterfaceInfo, MdnsNetwork } from "../../src/mdns/mdns_service.ts";

type PacketListener = (
  bytes: Uint8Array,
  from: DatagramAddress,
  interfaceName: string,
  fromSelf: boolean,
) => void;

interface Station {
  info: MdnsInterfaceInfo;
  packet: PacketListener | undefined;
  up: ((info: MdnsInterfaceInfo) => void) | undefined;
  change: ((info: MdnsInterfaceInfo) => void) | undefined;
  down: ((name: string) => void) | undefined;
  open: boolean;
}

/** A station's network plus the controls a test turns: its address changes, its link goes. */
export interface MemoryMdnsStation extends MdnsNetwork {
  /** The interface gets new addresses (announced as an interface change). */
  renumber(ipv4: string, ipv6: string): void;
  /** The interface disappears: no more packets in or out. */
  unplug(): void;
}

/**
 * One simulated Ethernet segment for MdnsService tests: every station has one interface "eth0";
 * a multicast packet reaches every other open station 1 ms later, a unicast one the station that
 * owns the address. No sockets; time is the injected scheduler's.
 */
export class MemoryMdnsLan {
  readonly #scheduler: Scheduler;
  readonly #stations: Station[] = [];
  /** Every packet sent, for tests that look at the wire. */
  readonly wire: Array<{ from: string; bytes: Uint8Array; to?: DatagramAddress }> = [];

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Injects raw bytes as if `from` had multicast them. */
  inject(bytes: Uint8Array, from: DatagramAddress): void {
    for (const station of this.#stations) {
      if (station.open) station.packet?.(bytes, from, "eth0", false);
    }
  }

  attach(ipv4: string, ipv6: string): MemoryMdnsStation {
    const station: Station = {
      info: { name: "eth0", ipv4: [ipv4], ipv6: [ipv6] },
      packet: undefined,
      up: undefined,
      change: undefined,
      down: undefined,
      open: false,
    };
    this.#stations.push(station);
    return {
      start: () => {
        station.open = true;
        this.#scheduler.schedule(0, () => station.up?.(station.info));
        return Promise.resolve();
      },
      onInterfaceUp: (listener) => (station.up = listener),
      onInterfaceChange: (listener) => (station.change = listener),
      onInterfaceDown: (listener) => (station.down = listener),
      renumber: (v4, v6) => {
        station.info = { name: "eth0", ipv4: [v4], ipv6: [v6] };
        station.change?.(station.info);
      },
      unplug: () => {
        station.open = false;
        station.down?.("eth0");
      },
      onPacket: (listener) => (station.packet = listener),
      send: (bytes, _name, family, to) => {
        if (!station.open) return;
        const copy = bytes.slice();
        const from = {
          host: family === 4 ? station.info.ipv4[0]! : station.info.ipv6[0]!,
          port: 5353,
        };
        this.wire.push({ from: from.host, bytes: copy, ...(to ? { to } : {}) });
        this.#scheduler.schedule(1, () => {
          for (const other of this.#stations) {
            if (other === station || !other.open) continue;
            const owns = to === undefined || other.info.ipv4.includes(to.host) ||
              other.info.ipv6.includes(to.host);
            if (owns) other.packet?.(copy, from, "eth0", false);
          }
        });
      },
      close: () => {
        station.open = false;
        return Promise.resolve();
      },
    };
  }
}
