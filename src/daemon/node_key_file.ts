import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SuperpeerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import {
  decodeNodeKeyPem,
  encodeNodeKeyPem,
  generateNodeKey,
  type NodeKey,
} from "../identity/node_key.ts";

/** The key file's permission bits: owner read/write only. */
export const KEY_FILE_MODE = 0o600;

function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}

/**
 * Writes a new node key to `path` (mode 0600), refusing to overwrite an existing file unless `force`.
 */
export async function writeNewNodeKey(
  path: string,
  options: { force?: boolean } = {},
): Promise<NodeKey> {
  const key = generateNodeKey();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, encodeNodeKeyPem(key), {
      mode: KEY_FILE_MODE,
      flag: options.force ? "w" : "wx",
    });
    await chmod(path, KEY_FILE_MODE);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") {
      throw new SuperpeerError(
        "KEY_FILE",
        `Cannot write node key: ${path} exists (use --force to replace it)`,
      );
    }
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot write node key: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return key;
}

/**
 * Reads the node key at `path`, creating it on first start. Warns when the file is readable by others.
 */
export async function loadOrCreateNodeKey(path: string, log: Logger): Promise<NodeKey> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") {
      throw new SuperpeerError(
        "KEY_FILE",
        `Cannot read node key: ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const key = await writeNewNodeKey(path);
    log.info("Created node key", { path });
    return key;
  }
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    log.warn("Node key file is readable by other users: chmod 600 it", {
      path,
      mode: mode.toString(8),
    });
  }
  return decodeNodeKeyPem(pem);
}

/**
 * Reads an existing Ed25519 key file (never creates one), e.g. the operator key for
 * `superpeer enroll`. `what` names the key in messages; `exposed` is true when other users may
 * read the file.
 */
export async function readNodeKeyFile(
  path: string,
  what = "node key",
): Promise<{ key: NodeKey; exposed: boolean }> {
  let pem: string;
  let mode: number;
  try {
    pem = await readFile(path, "utf8");
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot read ${what}: ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return { key: decodeNodeKeyPem(pem), exposed: (mode & 0o077) !== 0 };
  } catch (error) {
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot read ${what}: ${path}: not an Ed25519 private key in PKCS#8 PEM`,
      { cause: error },
    );
  }
}
