/**
 * The TURN relay core (RFC 8656 on RFC 8489): state, policy, credentials and the request state
 * machine, pure. The I/O layer (sockets) lives in transport/ and the daemon; see turn_server.ts
 * for how it drives the core.
 *
 * @example
 * ```ts
 * import { StaticCredentialStore, TurnServer } from "../relay/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export {
  chainCredentialStores,
  type CredentialStore,
  type RestCredentials,
  RestCredentialStore,
  type RestCredentialStoreComponents,
  type RestCredentialStoreInit,
  restPassword,
  StaticCredentialStore,
  type StaticCredentialStoreInit,
  staticUserKeyHex,
} from "./credentials.ts";
export {
  copyFiveTuple,
  type FiveTuple,
  fiveTupleKey,
  type HostPort,
  sameFiveTuple,
  type TurnTransport,
} from "./five_tuple.ts";
export {
  NONCE_LENGTH,
  NonceManager,
  type NonceManagerComponents,
  type NonceManagerInit,
  type NonceVerdict,
} from "./nonce.ts";
export {
  DEFAULT_DENIED_PEERS,
  LOOPBACK_PEERS,
  PeerPolicy,
  type PeerPolicyInit,
  type PeerVerdict,
  type PortRange,
} from "./peer_policy.ts";
export {
  RelayPortPool,
  type RelayPortPoolComponents,
  type RelayPortPoolInit,
} from "./port_pool.ts";
export { TokenBucket } from "./token_bucket.ts";
export { ResponseCache } from "./response_cache.ts";
export {
  Allocation,
  AllocationTable,
  type AllocationTableComponents,
  type AllocationTableInit,
  type AllocationTableStats,
  type ChannelBinding,
  type ChannelBindOutcome,
  type NewAllocation,
  type RelayedAddress,
  type SweepResult,
  type TableRefusal,
} from "./allocation_table.ts";
export {
  type ClientDatagram,
  type CloseRelayAction,
  type DropReason,
  type OpenRelayAction,
  type PeerDatagram,
  type RefusalReason,
  type SendToClientAction,
  type SendToPeerAction,
  type TurnAction,
} from "./turn_actions.ts";
export { RelayCounters } from "./relay_counters.ts";
export { live, MAX_RELAY_PAYLOAD, RelayForwarder } from "./relay_forwarder.ts";
export { type Authenticated, LongTermAuthenticator } from "./long_term_auth.ts";
export { type Reservation, ReservationBook } from "./reservations.ts";
export { TurnServer, type TurnServerComponents, type TurnServerInit } from "./turn_server.ts";
