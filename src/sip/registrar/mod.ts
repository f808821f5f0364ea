/**
 * The SIP registrar (RFC 3261 section 10): the location service's bindings and the keys that
 * compare addresses-of-record and contacts.
 *
 * @example
 * ```ts
 * import { BindingTable, canonicalAor } from "../sip/registrar/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export { canonicalAor, contactKey } from "./contact_key.ts";
export {
  type Binding,
  type BindingDropReason,
  BindingTable,
  type BindingTableEvents,
  type BindingTableInit,
  type ContactRequest,
  type RegisterOutcome,
  type RegisterUpdate,
} from "./binding_table.ts";
export {
  type RegisterContext,
  type RegisterOutcomeLabel,
  type RegisterResult,
  Registrar,
  type RegistrarComponents,
  type RegistrarInit,
} from "./registrar.ts";
