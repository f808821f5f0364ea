export * from "./bounded_map.ts";
export * from "./clock.ts";
export * from "./errors.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./service.ts";
export * from "./version.ts";
