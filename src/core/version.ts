/** superpeer's release version; a test keeps it equal to package.json's. */
export const VERSION = "0.1.0";

/** Oldest Deno that runs superpeer (tested here; node:dgram and Node-API behaviour differ before it). */
export const MIN_DENO_VERSION = "2.9.0";

/** Oldest Node major that runs the bundle (the machines' Node 20; `Array.prototype.findLast` etc.). */
export const MIN_NODE_MAJOR = 20;
