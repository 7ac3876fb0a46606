/** Everything a bench (scale, ingest, memory) started, stopped on the way out: normal end, error or SIGINT. */
const stoppers = new Set<() => Promise<void>>();

/** Registers `stop`; the returned function stops it now (once) and forgets it. */
export function track(stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= stop());
  stoppers.add(once);
  return async () => {
    stoppers.delete(once);
    await once();
  };
}

/** Stops everything still registered, newest first; reports but survives failures. */
export async function stopAll(): Promise<void> {
  for (const stop of [...stoppers].reverse()) {
    stoppers.delete(stop);
    try {
      await stop();
    } catch (error) {
      console.error(`cleanup failed: ${(error as Error).message}`);
    }
  }
}

/** On Ctrl-C: stop everything still registered, then exit 130. */
export function stopAllOnInterrupt(): void {
  process.once('SIGINT', () => {
    console.error('\ninterrupted: stopping every process the bench started');
    void stopAll().finally(() => process.exit(130));
  });
}
