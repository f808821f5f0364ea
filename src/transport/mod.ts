export * from "./deno_udp_transport.ts";
export * from "./mdns_sockets.ts";
export * from "./memory_network.ts";
export * from "./open_datagram_transport.ts";
export * from "./transport_error.ts";
export * from "./udp_transport.ts";
export * from "./virtual_scheduler.ts";
export * from "./websocket_listener.ts";
