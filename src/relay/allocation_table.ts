/**
 * The relay's state (RFC 8656 sections 6, 9 and 12): allocations indexed by 5-tuple and by relay
 * port, each with its permissions (by peer IP) and channel bindings (by number and by peer), the
 * quotas, and one sweep that expires all of it. Times are monotonic milliseconds passed in by the
 * caller: no timers, no clock of its own.
 *
 * Forwarding-path lookups (by relay port, by client address, by channel number, by peer host and
 * port) use the host strings the socket already gave and numeric ports: nothing is built per packet.
 *
 * @module
 */
import {
  CHANNEL_LIFETIME_S,
  CHANNEL_QUARANTINE_S,
  DEFAULT_MAX_ALLOCATION_BYTES_PER_SECOND,
  DEFAULT_MAX_ALLOCATIONS,
  DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP,
  DEFAULT_MAX_ALLOCATIONS_PER_USER,
  DEFAULT_MAX_CHANNELS_PER_ALLOCATION,
  DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION,
  PERMISSION_LIFETIME_S,
} from "./constants.ts";
import { copyFiveTuple, type FiveTuple, type HostPort, type TurnTransport } from "./five_tuple.ts";
import type { RelayPortPool } from "./port_pool.ts";
import { TokenBucket } from "./token_bucket.ts";

/** Why the table refused to create or grow something; also the `reason` label of refusals. */
export type TableRefusal =
  | "quota_total"
  | "quota_user"
  | "quota_client_ip"
  | "permissions_full"
  | "channels_full"
  | "channel_number_in_use"
  | "channel_peer_in_use"
  | "channel_quarantined";

/** One channel binding (RFC 8656 section 12). */
export interface ChannelBinding {
  readonly number: number;
  readonly peer: HostPort;
  /** The allocation's relay port of the peer's address family (a dual allocation has two). */
  readonly relayPort: number;
  /** Monotonic ms. */
  expiresAt: number;
}

/** An expired binding whose number and peer stay reserved (RFC 8656 section 12: 5 minutes). */
interface Quarantined {
  readonly number: number;
  readonly host: string;
  readonly port: number;
  readonly until: number;
}

/** The relayed transport address of an allocation. */
export interface RelayedAddress {
  readonly family: 4 | 6;
  readonly host: string;
  readonly port: number;
}

/** What create() needs besides the limits. */
export interface NewAllocation {
  readonly fiveTuple: FiveTuple;
  readonly username: string;
  readonly realm: string;
  /** The long-term key that authenticated the Allocate; later requests are checked with it. */
  readonly key: Uint8Array;
  readonly relayed: RelayedAddress;
  /** A dual allocation's second relayed address, of the other family (RFC 8656 section 7.2). */
  readonly additional?: RelayedAddress;
  readonly lifetimeSeconds: number;
}

/**
 * One allocation (RFC 8656 section 6): its 5-tuple, relayed address, credentials, expiry,
 * permissions and channels. The table owns it; callers read it and ask the table to change it.
 *
 * @example
 * ```ts
 * const allocation = table.byRelayPort(port);
 * if (allocation?.hasPermission(rinfo.address, now)) forward();
 * ```
 */
export class Allocation {
  readonly id: number;
  readonly fiveTuple: FiveTuple;
  readonly username: string;
  readonly realm: string;
  readonly key: Uint8Array;
  /** Its relayed addresses: one, or two of different families (a dual allocation). */
  readonly relays: RelayedAddress[];
  /** Monotonic ms. */
  expiresAt: number;
  /** Peer IP -> expiry (monotonic ms); ports do not matter (RFC 8656 section 9). */
  readonly permissions = new Map<string, number>();
  /** Channel number -> binding. */
  readonly channels = new Map<number, ChannelBinding>();
  /** Peer host -> peer port -> binding, so a datagram from a peer finds its channel without a key string. */
  readonly channelsByPeer = new Map<string, Map<number, ChannelBinding>>();
  /** Bytes relayed for this allocation, both directions. */
  readonly bucket: TokenBucket;
  readonly quarantine: Quarantined[] = [];

  constructor(id: number, init: NewAllocation, expiresAt: number, bucket: TokenBucket) {
    this.id = id;
    this.fiveTuple = copyFiveTuple(init.fiveTuple);
    this.username = init.username;
    this.realm = init.realm;
    this.key = init.key.slice();
    this.relays = init.additional === undefined
      ? [{ ...init.relayed }]
      : [{ ...init.relayed }, { ...init.additional }];
    this.expiresAt = expiresAt;
    this.bucket = bucket;
  }

  /** The first relayed address (the only one unless the allocation is dual). */
  get relayed(): RelayedAddress {
    return this.relays[0]!;
  }

  /** The relayed address of `family`, if the allocation has one. */
  relayFor(family: 4 | 6): RelayedAddress | undefined {
    const relays = this.relays;
    for (let i = 0; i < relays.length; i++) if (relays[i]!.family === family) return relays[i];
    return undefined;
  }

  /** The relayed address on `port`, if it is one of this allocation's. */
  relayOnPort(port: number): RelayedAddress | undefined {
    const relays = this.relays;
    for (let i = 0; i < relays.length; i++) if (relays[i]!.port === port) return relays[i];
    return undefined;
  }

  /** Whether a live permission covers `peerIp` (RFC 8656 section 9). */
  hasPermission(peerIp: string, now: number): boolean {
    const expiresAt = this.permissions.get(peerIp);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** The live binding of `number`, if any. */
  channel(number: number, now: number): ChannelBinding | undefined {
    const binding = this.channels.get(number);
    return binding !== undefined && binding.expiresAt > now ? binding : undefined;
  }

  /** The live binding to peer `host`:`port`, if any. */
  channelForPeer(host: string, port: number, now: number): ChannelBinding | undefined {
    const binding = this.channelsByPeer.get(host)?.get(port);
    return binding !== undefined && binding.expiresAt > now ? binding : undefined;
  }
}

/** Options of an AllocationTable. */
export interface AllocationTableInit {
  /** @default DEFAULT_MAX_ALLOCATIONS (1000) */
  readonly maxAllocations?: number;
  /** @default DEFAULT_MAX_ALLOCATIONS_PER_USER (10) */
  readonly maxAllocationsPerUser?: number;
  /** @default DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP (20) */
  readonly maxAllocationsPerClientIp?: number;
  /** @default DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION (32) */
  readonly maxPermissionsPerAllocation?: number;
  /** @default DEFAULT_MAX_CHANNELS_PER_ALLOCATION (32) */
  readonly maxChannelsPerAllocation?: number;
  /**
   * Refuse re-binding an expired channel's number or peer to another partner for 5 minutes
   * (RFC 8656 section 12 puts the wait on the client; enforcing it catches confused clients).
   * @default true
   */
  readonly enforceChannelQuarantine?: boolean;
  /** Relayed bytes per second per allocation; 0 is unlimited. @default 1_000_000 */
  readonly allocationBytesPerSecond?: number;
  /** Token-bucket depth in bytes per allocation. @default allocationBytesPerSecond */
  readonly allocationBurstBytes?: number;
}

/** What an AllocationTable needs from outside. */
export interface AllocationTableComponents {
  /** Relay ports; the table releases an allocation's port when it goes. */
  readonly ports: RelayPortPool;
}

/** What one sweep() expired. */
export interface SweepResult {
  /** Allocations removed: close their relay sockets. */
  readonly allocations: readonly Allocation[];
  readonly permissions: number;
  readonly channels: number;
  readonly quarantines: number;
}

/** Counts kept by the table since construction. */
export interface AllocationTableStats {
  readonly allocations: number;
  readonly permissions: number;
  readonly channels: number;
  readonly refused: ReadonlyMap<TableRefusal, number>;
  readonly expired: {
    readonly allocations: number;
    readonly permissions: number;
    readonly channels: number;
    readonly quarantines: number;
  };
  readonly deleted: number;
}

/** What bindChannel() did. */
export type ChannelBindOutcome = "created" | "refreshed" | TableRefusal;

const NO_ALLOCATIONS: readonly Allocation[] = Object.freeze([]);

/**
 * Allocations with their permissions and channels, quotas, and expiry.
 *
 * @example
 * ```ts
 * const table = new AllocationTable({}, { ports });
 * const refusal = table.canCreate("alice", "192.0.2.7");
 * if (refusal === undefined) table.create({ fiveTuple, username: "alice", realm, key, relayed, lifetimeSeconds: 600 }, now);
 * const { allocations } = table.sweep(now); // close their relay sockets
 * ```
 */
export class AllocationTable {
  readonly #maxTotal: number;
  readonly #maxPerUser: number;
  readonly #maxPerClientIp: number;
  readonly #maxPermissions: number;
  readonly #maxChannels: number;
  readonly #quarantine: boolean;
  readonly #rate: number;
  readonly #burst: number;
  readonly #ports: RelayPortPool;
  /** Client IP -> its allocations (few: capped by maxAllocationsPerClientIp). */
  readonly #byClient = new Map<string, Allocation[]>();
  readonly #byRelayPort = new Map<number, Allocation>();
  readonly #perUser = new Map<string, number>();
  #nextId = 1;
  #permissionCount = 0;
  #channelCount = 0;
  #deleted = 0;
  readonly #refused = new Map<TableRefusal, number>();
  readonly #expired = { allocations: 0, permissions: 0, channels: 0, quarantines: 0 };

  constructor(init: AllocationTableInit, components: AllocationTableComponents) {
    this.#maxTotal = positive(init.maxAllocations ?? DEFAULT_MAX_ALLOCATIONS, "maxAllocations");
    this.#maxPerUser = positive(
      init.maxAllocationsPerUser ?? DEFAULT_MAX_ALLOCATIONS_PER_USER,
      "maxAllocationsPerUser",
    );
    this.#maxPerClientIp = positive(
      init.maxAllocationsPerClientIp ?? DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP,
      "maxAllocationsPerClientIp",
    );
    this.#maxPermissions = positive(
      init.maxPermissionsPerAllocation ?? DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION,
      "maxPermissionsPerAllocation",
    );
    this.#maxChannels = positive(
      init.maxChannelsPerAllocation ?? DEFAULT_MAX_CHANNELS_PER_ALLOCATION,
      "maxChannelsPerAllocation",
    );
    this.#quarantine = init.enforceChannelQuarantine ?? true;
    this.#rate = init.allocationBytesPerSecond ?? DEFAULT_MAX_ALLOCATION_BYTES_PER_SECOND;
    this.#burst = init.allocationBurstBytes ?? this.#rate;
    if (!(this.#rate >= 0) || !(this.#burst >= 0)) {
      throw new RangeError(
        `Cannot create an allocation table: rate ${this.#rate}, burst ${this.#burst}`,
      );
    }
    this.#ports = components.ports;
  }

  #count = 0;

  /** Live allocations. */
  get size(): number {
    return this.#count;
  }

  /** The allocation of a 5-tuple (RFC 8656 section 5), compared field by field. */
  find(transport: TurnTransport, client: HostPort, server: HostPort): Allocation | undefined {
    const list = this.#byClient.get(client.host);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      const t = a.fiveTuple;
      if (
        t.client.port === client.port && t.transport === transport &&
        t.server.port === server.port && t.server.host === server.host
      ) return a;
    }
    return undefined;
  }

  /** The allocation relaying on `port` (RFC 8656 section 3: the relayed address names it too). */
  byRelayPort(port: number): Allocation | undefined {
    return this.#byRelayPort.get(port);
  }

  /** Every allocation once (for status pages and tests). */
  *all(): IterableIterator<Allocation> {
    for (const list of this.#byClient.values()) yield* list;
  }

  /**
   * Why an allocation for `username` from `clientIp` would be refused now, or undefined. The
   * total cap is checked first (508), then per user and per client IP (486, RFC 8656 section 7.2).
   * Counts the refusal.
   */
  canCreate(username: string, clientIp: string): TableRefusal | undefined {
    let refusal: TableRefusal | undefined;
    if (this.size >= this.#maxTotal) refusal = "quota_total";
    else if ((this.#perUser.get(username) ?? 0) >= this.#maxPerUser) refusal = "quota_user";
    else if ((this.#byClient.get(clientIp)?.length ?? 0) >= this.#maxPerClientIp) {
      refusal = "quota_client_ip";
    }
    if (refusal !== undefined) this.#refuse(refusal);
    return refusal;
  }

  /**
   * Adds an allocation whose relay port the caller has taken from the pool. Throws if canCreate()
   * would refuse it or the 5-tuple or port is taken (caller bugs, not client errors).
   */
  create(init: NewAllocation, now: number): Allocation {
    const { fiveTuple, relayed } = init;
    if (this.find(fiveTuple.transport, fiveTuple.client, fiveTuple.server) !== undefined) {
      throw new RangeError(`Cannot create an allocation: the 5-tuple has one`);
    }
    for (const relay of init.additional === undefined ? [relayed] : [relayed, init.additional]) {
      if (this.#byRelayPort.has(relay.port)) {
        throw new RangeError(`Cannot create an allocation: relay port ${relay.port} is in use`);
      }
    }
    if (init.additional !== undefined && init.additional.family === relayed.family) {
      throw new RangeError("Cannot create an allocation: a dual allocation needs two families");
    }
    if (
      this.size >= this.#maxTotal || (this.#perUser.get(init.username) ?? 0) >= this.#maxPerUser ||
      (this.#byClient.get(fiveTuple.client.host)?.length ?? 0) >= this.#maxPerClientIp
    ) {
      throw new RangeError(`Cannot create an allocation: over quota`);
    }
    const allocation = new Allocation(
      this.#nextId++,
      init,
      now + init.lifetimeSeconds * 1000,
      new TokenBucket(this.#rate, this.#burst, now),
    );
    let list = this.#byClient.get(fiveTuple.client.host);
    if (list === undefined) this.#byClient.set(fiveTuple.client.host, list = []);
    list.push(allocation);
    this.#count++;
    for (const relay of allocation.relays) this.#byRelayPort.set(relay.port, allocation);
    this.#perUser.set(init.username, (this.#perUser.get(init.username) ?? 0) + 1);
    return allocation;
  }

  /** Sets a new lifetime (RFC 8656 section 8.2); 0 deletes the allocation. */
  refresh(allocation: Allocation, lifetimeSeconds: number, now: number): void {
    if (lifetimeSeconds === 0) this.delete(allocation);
    else allocation.expiresAt = now + lifetimeSeconds * 1000;
  }

  /**
   * Removes the `family` relayed address of a dual allocation and frees its port, with the
   * channels bound to peers of that family (RFC 8656 section 8.2: a Refresh with lifetime 0 and
   * REQUESTED-ADDRESS-FAMILY). Returns the freed port; undefined (nothing done) when the allocation
   * has no such address or it is its only one (delete the allocation instead).
   */
  dropRelay(allocation: Allocation, family: 4 | 6): number | undefined {
    const relay = allocation.relayFor(family);
    if (relay === undefined || allocation.relays.length < 2) return undefined;
    if (this.#byRelayPort.get(relay.port) !== allocation) return undefined;
    allocation.relays.splice(allocation.relays.indexOf(relay), 1);
    this.#byRelayPort.delete(relay.port);
    this.#ports.release(relay.port);
    for (const binding of [...allocation.channels.values()]) {
      if (binding.relayPort === relay.port) this.#unbind(allocation, binding);
    }
    return relay.port;
  }

  /** Removes an allocation and frees its relay port; a second call does nothing. */
  delete(allocation: Allocation): void {
    if (this.#byRelayPort.get(allocation.relayed.port) !== allocation) return;
    this.#remove(allocation);
    this.#deleted++;
  }

  /**
   * Installs or refreshes permissions for `peerIps` (RFC 8656 sections 9 and 10.2), all or none:
   * "permissions_full" if the new ones would pass the cap.
   */
  addPermissions(
    allocation: Allocation,
    peerIps: readonly string[],
    now: number,
  ): "permissions_full" | undefined {
    let fresh = 0;
    for (let i = 0; i < peerIps.length; i++) {
      const ip = peerIps[i]!;
      if (!allocation.permissions.has(ip) && peerIps.indexOf(ip) === i) fresh++;
    }
    if (allocation.permissions.size + fresh > this.#maxPermissions) {
      this.#refuse("permissions_full");
      return "permissions_full";
    }
    // RFC 8656 section 9: the Permission Lifetime MUST be 300 seconds
    const expiresAt = now + PERMISSION_LIFETIME_S * 1000;
    for (const ip of peerIps) {
      if (!allocation.permissions.has(ip)) this.#permissionCount++;
      allocation.permissions.set(ip, expiresAt);
    }
    return undefined;
  }

  /**
   * Binds `number` to `peer`, or refreshes the binding, and installs or refreshes the permission
   * for the peer's IP (RFC 8656 section 12.2). Refuses a number bound to another peer, a peer
   * bound to another number, a quarantined number or peer, and passing either cap.
   */
  bindChannel(
    allocation: Allocation,
    number: number,
    peer: HostPort,
    now: number,
  ): ChannelBindOutcome {
    const byNumber = allocation.channels.get(number);
    if (byNumber !== undefined && byNumber.expiresAt <= now) {
      this.#expireChannel(allocation, byNumber);
    }
    const current = allocation.channels.get(number);
    const byPeer = allocation.channelsByPeer.get(peer.host)?.get(peer.port);
    if (byPeer !== undefined && byPeer !== current && byPeer.expiresAt <= now) {
      this.#expireChannel(allocation, byPeer);
    }
    const samePeer = current !== undefined && current.peer.host === peer.host &&
      current.peer.port === peer.port;
    if (current !== undefined && !samePeer) {
      // RFC 8656 section 12.2: the channel number is already bound to a different address
      return this.#refuse("channel_number_in_use");
    }
    const otherNumber = allocation.channelsByPeer.get(peer.host)?.get(peer.port);
    if (current === undefined && otherNumber !== undefined) {
      // RFC 8656 section 12.2: the transport address is already bound to a different channel
      return this.#refuse("channel_peer_in_use");
    }
    if (current === undefined && this.#quarantine) {
      for (const q of allocation.quarantine) {
        if (q.until <= now) continue;
        const sameAddress = q.host === peer.host && q.port === peer.port;
        if ((q.number === number) !== sameAddress) return this.#refuse("channel_quarantined");
      }
    }
    if (current === undefined && allocation.channels.size >= this.#maxChannels) {
      return this.#refuse("channels_full");
    }
    if (
      !allocation.permissions.has(peer.host) && allocation.permissions.size >= this.#maxPermissions
    ) {
      return this.#refuse("permissions_full");
    }
    this.addPermissions(allocation, [peer.host], now);
    const expiresAt = now + CHANNEL_LIFETIME_S * 1000;
    if (current !== undefined) {
      current.expiresAt = expiresAt;
      return "refreshed";
    }
    const family = peer.host.includes(":") ? 6 : 4;
    const binding: ChannelBinding = {
      number,
      peer: { host: peer.host, port: peer.port },
      relayPort: (allocation.relayFor(family) ?? allocation.relayed).port,
      expiresAt,
    };
    allocation.channels.set(number, binding);
    let ports = allocation.channelsByPeer.get(peer.host);
    if (ports === undefined) allocation.channelsByPeer.set(peer.host, ports = new Map());
    ports.set(peer.port, binding);
    this.#channelCount++;
    return "created";
  }

  /**
   * Expires allocations, permissions, channel bindings and quarantines whose time is up at `now`.
   * The one sweep loop of the relay calls this; the result names the allocations whose relay
   * sockets must close.
   */
  sweep(now: number): SweepResult {
    let gone: Allocation[] | undefined;
    let permissions = 0;
    let channels = 0;
    let quarantines = 0;
    for (const allocation of this.all()) {
      if (allocation.expiresAt <= now) {
        (gone ??= []).push(allocation);
        continue;
      }
      for (const [ip, expiresAt] of allocation.permissions) {
        if (expiresAt <= now) {
          allocation.permissions.delete(ip);
          this.#permissionCount--;
          permissions++;
        }
      }
      for (const binding of allocation.channels.values()) {
        if (binding.expiresAt <= now) {
          this.#expireChannel(allocation, binding);
          channels++;
        }
      }
      const q = allocation.quarantine;
      if (q.length > 0) {
        const before = q.length;
        let keep = 0;
        for (let i = 0; i < q.length; i++) if (q[i]!.until > now) q[keep++] = q[i]!;
        q.length = keep;
        quarantines += before - keep;
      }
    }
    for (const allocation of gone ?? NO_ALLOCATIONS) this.#remove(allocation);
    this.#expired.allocations += gone?.length ?? 0;
    this.#expired.permissions += permissions;
    this.#expired.quarantines += quarantines;
    return { allocations: gone ?? NO_ALLOCATIONS, permissions, channels, quarantines };
  }

  /** Counts since construction, and the current sizes. */
  stats(): AllocationTableStats {
    return {
      allocations: this.size,
      permissions: this.#permissionCount,
      channels: this.#channelCount,
      refused: new Map(this.#refused),
      expired: { ...this.#expired },
      deleted: this.#deleted,
    };
  }

  /** Removes a binding from both indexes. */
  #unbind(allocation: Allocation, binding: ChannelBinding): void {
    allocation.channels.delete(binding.number);
    const ports = allocation.channelsByPeer.get(binding.peer.host);
    ports?.delete(binding.peer.port);
    if (ports !== undefined && ports.size === 0) {
      allocation.channelsByPeer.delete(binding.peer.host);
    }
    this.#channelCount--;
  }

  #expireChannel(allocation: Allocation, binding: ChannelBinding): void {
    this.#unbind(allocation, binding);
    this.#expired.channels++;
    if (!this.#quarantine) return;
    const q = allocation.quarantine;
    // bounded: an allocation churning bindings forgets its oldest quarantines first
    if (q.length >= this.#maxChannels * 2) q.shift();
    q.push({
      number: binding.number,
      host: binding.peer.host,
      port: binding.peer.port,
      until: binding.expiresAt + CHANNEL_QUARANTINE_S * 1000,
    });
  }

  #remove(allocation: Allocation): void {
    const t = allocation.fiveTuple;
    const list = this.#byClient.get(t.client.host);
    if (list !== undefined) {
      const at = list.indexOf(allocation);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.#byClient.delete(t.client.host);
    }
    this.#count--;
    for (const relay of allocation.relays) {
      this.#byRelayPort.delete(relay.port);
      this.#ports.release(relay.port);
    }
    const users = (this.#perUser.get(allocation.username) ?? 1) - 1;
    if (users === 0) this.#perUser.delete(allocation.username);
    else this.#perUser.set(allocation.username, users);
    this.#permissionCount -= allocation.permissions.size;
    this.#channelCount -= allocation.channels.size;
  }

  #refuse<R extends TableRefusal>(reason: R): R {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
    return reason;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot create an allocation table: ${name} ${value}`);
  }
  return value;
}
