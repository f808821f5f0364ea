export * from "./access_control.ts";
export * from "./constants.ts";
export * from "./kinds.ts";
export * from "./local_store.ts";
export * from "./storage_error.ts";
