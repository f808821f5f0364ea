/**
 * The relay hand-off (issue #6 part 9): a successful REGISTER's 200 OK tells the phone which TURN
 * servers to use and gives it short-lived TURN REST credentials for them, so its ICE can relay
 * media through the access point. One extension header field per server:
 *
 *   Superpeer-TURN: <turn:192.0.2.1:3478?transport=udp>;username="1700086400:alice";credential="...";expires=1700086400
 *
 * The URI is RFC 7065's; username and credential are the TURN REST API's (coturn
 * `use-auth-secret`); `expires` is their expiry in Unix seconds. There is no standard SIP header
 * for this; browsers and phones read it with a line of script (JsSIP, SIP.js) or ignore it.
 *
 * @module
 */
import { quote } from "../codec/sip/mod.ts";

/** Header field name of the hand-off. */
export const TURN_HANDOFF_HEADER = "Superpeer-TURN";

/** One TURN server as a URI (RFC 7065). */
export interface TurnServerUri {
  readonly scheme: "turn" | "turns";
  readonly host: string;
  readonly port: number;
  readonly transport: "udp" | "tcp";
}

/** Where the hand-off gets its servers and credentials. */
export interface TurnHandoffSource {
  /** The TURN servers to offer (this superpeer's relay), or none while it is not running. */
  servers(): readonly TurnServerUri[];
  /** TURN REST credentials for `user` (RestCredentialStore.mint). */
  mint(
    user: string,
  ): { readonly username: string; readonly password: string; readonly expiresAt: number };
}

/**
 * The hand-off header fields for a user: one per server, all with the same credentials; none
 * when no server runs.
 *
 * @example
 * ```ts
 * turnHandoffHeaders(source, "alice"); // [["Superpeer-TURN", "<turn:192.0.2.1:3478?transport=udp>;username=..."]]
 * ```
 */
export function turnHandoffHeaders(
  source: TurnHandoffSource,
  user: string,
): Array<readonly [string, string]> {
  const servers = source.servers();
  if (servers.length === 0) return [];
  const { username, password, expiresAt } = source.mint(user);
  return servers.map((server) => {
    const host = server.host.includes(":") ? `[${server.host}]` : server.host;
    const uri = `${server.scheme}:${host}:${server.port}?transport=${server.transport}`;
    return [
      TURN_HANDOFF_HEADER,
      `<${uri}>;username=${quote(username)};credential=${quote(password)};expires=${expiresAt}`,
    ] as const;
  });
}
