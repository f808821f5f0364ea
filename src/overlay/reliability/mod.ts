export * from "./answer_cache.ts";
export * from "./constants.ts";
export * from "./hop_sender.ts";
export * from "./request_tracker.ts";
