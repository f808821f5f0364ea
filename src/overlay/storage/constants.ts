// Limits of the overlay's local storage (README "Memory budget"); each is an option of LocalStore.

/** Bytes all stored values may take together (see STORED_VALUE_OVERHEAD_BYTES for what counts). */
export const DEFAULT_MAX_STORAGE_BYTES = 4 * 1024 * 1024;
/** Bytes the values signed by one node may take, so one peer cannot fill another's storage. */
export const DEFAULT_MAX_STORAGE_BYTES_PER_SIGNER = 256 * 1024;
/**
 * Fixed bytes charged per stored value on top of its data and dictionary key (array values: 4 for
 * the index): an accounting unit for the record, its map entry and its timestamps. It is not the
 * exact heap size (the signature and signer key alone are 96 bytes, a JS object more); it makes
 * every value cost something, so the number of values is bounded by budget / 64.
 */
export const STORED_VALUE_OVERHEAD_BYTES = 64;
