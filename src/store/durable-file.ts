/**
 * Writing a file so that a crash (of the process or of the host) leaves either the
 * old contents or the whole new ones: data fsynced before the rename that publishes
 * it, the directory fsynced after so the rename itself survives.
 */
import { open } from 'node:fs/promises';

/** Creates `path` (owner-only) with `data` and fsyncs it. */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, making the entries created or renamed in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
