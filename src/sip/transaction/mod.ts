/**
 * SIP transactions (RFC 3261 section 17, RFC 6026): the four state machines on an injected clock
 * and scheduler, the transaction table that matches requests and responses to them within caps,
 * and the messages the layer builds (100 Trying, the ACK for a non-2xx final, CANCEL).
 * No I/O: messages leave through the `send` the table is given, as SipMessage objects.
 *
 * @example
 * ```ts
 * import { buildCancel, TransactionTable } from "../sip/transaction/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export { ClientTransaction, type ClientTransactionUser } from "./client_transaction.ts";
export {
  type ServerRequestDisposition,
  ServerTransaction,
  type ServerTransactionUser,
} from "./server_transaction.ts";
export {
  type SendContext,
  timeout64,
  Transaction,
  type TransactionAddress,
  type TransactionCount,
  type TransactionHost,
  type TransactionKind,
  type TransactionSend,
  type TransactionState,
  type TransactionTimer,
  type TransactionTimerValues,
} from "./transaction.ts";
export {
  clientKeyOfResponse,
  clientTransactionKey,
  generateBranch,
  inviteKeyOfCancel,
  serverAckKeys,
  serverTransactionKey,
  toTag,
  type TransactionKey,
} from "./transaction_key.ts";
export { buildCancel, buildNon2xxAck, buildTrying } from "./transaction_messages.ts";
export {
  type IncomingRequestResult,
  TransactionTable,
  type TransactionTableComponents,
  type TransactionTableCounters,
  type TransactionTableInit,
} from "./transaction_table.ts";
export { DeadlineQueue } from "./deadline_queue.ts";
