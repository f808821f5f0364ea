import { SuperpeerError } from "../core/errors.ts";

/**
 * A transport could not be opened (address in use, address not on this host, ...). `osCode` is the
 * operating system's error name (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`) when there is one, so
 * callers can branch on it without parsing the message.
 *
 * @example
 * ```ts
 * try {
 *   await openUdpTransport({ host: "::1", port: 0 }, components);
 * } catch (error) {
 *   if (error instanceof TransportError && error.osCode === "EADDRNOTAVAIL") console.log("no IPv6");
 * }
 * ```
 */
export class TransportError extends SuperpeerError {
  readonly osCode: string | undefined;

  constructor(message: string, options: { osCode?: string; cause?: unknown } = {}) {
    super("TRANSPORT", message, options.cause === undefined ? {} : { cause: options.cause });
    this.osCode = options.osCode;
  }
}
