/**
 * Multicast DNS (RFC 6762) and DNS-SD (RFC 6763), pure: the responder, the querier with its
 * cache, the DNS-SD browser and record builders, the packet packer, and MdnsService, which runs
 * them per interface over an injected MdnsNetwork (transport/mdns_sockets.ts in the daemon).
 *
 * @example
 * ```ts
 * import { MdnsService } from "../mdns/mod.ts";
 * ```
 *
 * @module
 */
export * from "./dns_sd_browser.ts";
export * from "./dns_sd_records.ts";
export * from "./mdns_cache.ts";
export * from "./mdns_constants.ts";
export * from "./mdns_counters.ts";
export * from "./mdns_link.ts";
export * from "./mdns_packets.ts";
export * from "./mdns_querier.ts";
export * from "./mdns_responder.ts";
export * from "./mdns_service.ts";
export * from "./overlay_discovery.ts";
export * from "./probe_tiebreak.ts";
export * from "./record_key.ts";
