import type { EventStore, StoredEvent } from '../types.ts';

export interface TailReport {
  readonly seen: readonly StoredEvent[];
  /** Positions that appeared twice, out of order, or with a hole before them. */
  readonly anomalies: readonly string[];
}

/**
 * Tails `store` by global position until `done()` resolves and the tail reaches the head, checking
 * as it goes that positions arrive dense and strictly increasing. Polls with no delay, to give a
 * late-committing writer every chance to be skipped if the store allowed it.
 */
export async function tailConcurrentWriters(
  store: EventStore,
  writers: Promise<unknown>,
  options: { readonly after?: number; readonly pageSize?: number } = {},
): Promise<TailReport> {
  const pageSize = options.pageSize ?? 50;
  const seen: StoredEvent[] = [];
  const anomalies: string[] = [];
  const writing = { finished: false };
  void writers.finally(() => {
    writing.finished = true;
  });
  let after = options.after ?? 0;
  for (;;) {
    const writersDone = writing.finished;
    const page = await store.readAll({ after, limit: pageSize });
    for (const event of page) {
      if (event.position !== after + 1) {
        anomalies.push(`expected position ${after + 1}, got ${event.position}`);
      }
      after = Math.max(after, event.position);
      seen.push(event);
    }
    if (page.length === 0) {
      if (writersDone) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await writers;
  return { seen, anomalies };
}
