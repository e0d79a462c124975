import type { EventStore, StreamHead } from '@aman/eventstore';

import { signatureHolds, type PublicKeys, type SignedCheckpoint } from './checkpoint.ts';
import { merkleRoot } from './merkle.ts';

export interface EvidenceFinding {
  readonly check: 'signature' | 'head' | 'log' | 'streams' | 'merkle-root' | 'hash-chain';
  readonly ok: boolean;
  readonly detail: string;
}

export interface EvidenceReport {
  readonly ok: boolean;
  readonly service: string;
  readonly sequence: number;
  readonly headPosition: number;
  readonly findings: readonly EvidenceFinding[];
}

const PAGE = 1000;

/**
 * The heads as of `upTo`, from the log itself (read in global order), not from any index the
 * store keeps to steer appends: what verification trusts is the hashed log. Undefined when the
 * log ends before `upTo`.
 */
async function headsFromLog(
  store: EventStore,
  upTo: number,
): Promise<{ heads: StreamHead[] } | { endsAt: number }> {
  const heads = new Map<string, StreamHead>();
  let after = 0;
  while (after < upTo) {
    const page = await store.readAll({ after, limit: PAGE });
    if (page.length === 0) return { endsAt: after };
    for (const event of page) {
      if (event.position > upTo) break;
      heads.set(event.stream, { stream: event.stream, version: event.version, hash: event.hash });
      after = event.position;
    }
    if ((page[page.length - 1]?.position ?? upTo) > upTo) break;
  }
  return {
    heads: [...heads.values()].sort((a, b) => (a.stream < b.stream ? -1 : 1)),
  };
}

/**
 * Checks a store against an earlier checkpoint of its service: the signature under the service's
 * public key; the log reaches the checkpoint's head position (not rolled back or cut); the
 * stream heads as of that position, replayed from the log, are as many and give the same Merkle
 * root (no stream deleted, no tail cut, no event at or before it rewritten, even with its hash
 * chain recomputed); and the whole log verifies (every stored hash right, positions dense).
 */
export async function verifyStoreAgainst(
  store: EventStore,
  checkpoint: SignedCheckpoint,
  keys: PublicKeys,
): Promise<EvidenceReport> {
  const findings: EvidenceFinding[] = [];
  const signed = await signatureHolds(checkpoint, keys);
  findings.push({
    check: 'signature',
    ok: signed,
    detail: signed
      ? `signed by ${checkpoint.service}'s key`
      : `not signed by ${checkpoint.service}'s key (or the key is unknown): this checkpoint proves nothing`,
  });

  const H = checkpoint.headPosition;
  const head = await store.headPosition();
  findings.push({
    check: 'head',
    ok: head >= H,
    detail:
      head >= H
        ? `the log's head ${head} is at or after the checkpoint's ${H}`
        : `the log ends at position ${head}, before the checkpoint's ${H}: it was rolled back or cut`,
  });

  let replay: Awaited<ReturnType<typeof headsFromLog>>;
  try {
    replay = await headsFromLog(store, H);
  } catch (error) {
    replay = { endsAt: -1 };
    findings.push({
      check: 'log',
      ok: false,
      detail: `the log cannot be read up to position ${H}: ${(error as Error).message}`,
    });
  }
  if ('endsAt' in replay) {
    if (replay.endsAt >= 0) {
      findings.push({
        check: 'log',
        ok: false,
        detail: `the log has no event after position ${replay.endsAt}, before the checkpoint's ${H}`,
      });
    }
  } else {
    const { heads } = replay;
    const count = heads.length;
    findings.push({
      check: 'streams',
      ok: count === checkpoint.streamCount,
      detail:
        count === checkpoint.streamCount
          ? `${count} streams at position ${H}, as the checkpoint counted`
          : `${count} streams at position ${H}, the checkpoint counted ${checkpoint.streamCount}: ${count < checkpoint.streamCount ? 'a stream was deleted' : 'a stream was added behind the store'}`,
    });
    const root = merkleRoot(heads);
    findings.push({
      check: 'merkle-root',
      ok: root === checkpoint.merkleRoot,
      detail:
        root === checkpoint.merkleRoot
          ? `the stream heads at position ${H} give the checkpoint's Merkle root`
          : `the stream heads at position ${H} do not give the checkpoint's Merkle root: a stream's tail was cut, a stream deleted, or an event at or before position ${H} rewritten`,
    });
  }

  const log = await store.verifyLog();
  findings.push({
    check: 'hash-chain',
    ok: log.ok,
    detail: log.ok
      ? `the whole log verifies (${log.eventsChecked} events)`
      : `the log breaks at position ${log.brokenAtPosition ?? '?'}: ${log.reason ?? 'unknown'}`,
  });

  return {
    ok: findings.every((finding) => finding.ok),
    service: checkpoint.service,
    sequence: checkpoint.sequence,
    headPosition: H,
    findings,
  };
}
