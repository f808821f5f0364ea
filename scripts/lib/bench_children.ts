// Child processes of the benches (servers under test): wait for one to be ready, stop one with
// SIGTERM then SIGKILL. Shared by the relay and SIP load benches.

/** Polls `probe` every 50 ms until it gives a value; throws with the child's log tail after `timeoutMs`. */
export async function waitFor<T>(
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
  context: () => string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Server did not start within ${timeoutMs} ms:\n${context().slice(-4000)}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; forgets the child in `running`. */
export async function stopChild(
  child: Deno.ChildProcess,
  running: Set<Deno.ChildProcess>,
  graceMs: number,
): Promise<void> {
  running.delete(child);
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, graceMs);
  await child.status;
  clearTimeout(killer);
}
