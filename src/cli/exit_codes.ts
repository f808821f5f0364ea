/** Exit codes of every `superpeer` command (documented in the README; procd/systemd read them). */
export const ExitCode = {
  /** Success, or a clean shutdown on SIGINT/SIGTERM. */
  Ok: 0,
  /** Runtime failure: a service failed to start or stop in time, the daemon was unreachable. */
  Failure: 1,
  /** Usage or configuration error: nothing was started. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
