import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SuperpeerError } from "../core/errors.ts";

/** Creates the data directory (mode 0700) if needed and checks that it is a writable directory. */
export async function ensureDataDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    const info = await stat(path);
    if (!info.isDirectory()) throw new Error("not a directory");
    const probe = join(path, ".write-test");
    await writeFile(probe, "");
    await rm(probe);
  } catch (error) {
    throw new SuperpeerError(
      "DATA_DIR",
      `Cannot use data directory: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
