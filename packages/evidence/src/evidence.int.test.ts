import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { MongoClient, type Document } from 'mongodb';

import {
  MongoEventStore,
  SqliteEventStore,
  rowHash,
  type EventRow,
  type EventStore,
  type NewEvent,
} from '@aman/eventstore';
import { describeWithMongo } from '@aman/testing';

import {
  KeyDirectory,
  checkpointBytes,
  checkpointHash,
  ed25519Signer,
  type CheckpointSigner,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { CheckpointIssuer } from './issuer.ts';
import { verifyStoreAgainst, type EvidenceReport } from './verifyStore.ts';

/** One store of its own per test, and raw access to it behind the store's back. */
interface EvidenceHarness {
  fresh(): Promise<{
    open(): Promise<EventStore>;
    /** Deletes every event after `position` and lowers the store's high-water mark to it. */
    rollBack(position: number): Promise<void>;
    /** Rewrites an event's data and recomputes its stream's hash chain from it on. */
    rewrite(stream: string, version: number, data: string): Promise<void>;
    /** Rewrites an event's data and leaves the stored hashes as they were. */
    rewriteData(stream: string, version: number, data: string): Promise<void>;
  }>;
  dispose(): Promise<void>;
}

const note = (n: number): NewEvent => ({
  type: 'NoteAdded',
  schemaVersion: 1,
  data: { n },
  metadata: { actor: { organisationId: 'org-ngo-1', principalId: 'key-1' }, correlationId: 'c' },
});

/** Appends one event per entry, each alone, in this order: stream names only. */
async function appendEach(store: EventStore, streams: readonly string[]): Promise<void> {
  for (const [i, stream] of streams.entries()) {
    await store.append(stream, [note(i)], { expectedVersion: 'any' });
  }
}

/** Recomputes the hash chain of `rows` (one stream, version order) from `fromVersion` on. */
function rechain(rows: EventRow[], fromVersion: number, data: string): EventRow[] {
  let previousHash = rows[0]?.previousHash ?? '';
  return rows.map((row) => {
    if (row.version < fromVersion) {
      previousHash = row.hash;
      return row;
    }
    const rest = {
      ...row,
      data: row.version === fromVersion ? data : row.data,
      previousHash,
    };
    const hash = rowHash(rest);
    previousHash = hash;
    return { ...rest, hash };
  });
}

function evidenceContract(name: string, harness: () => Promise<EvidenceHarness>): void {
  describe(`anchored evidence: ${name}`, () => {
    let h: EvidenceHarness;
    let keysDir: string;
    let signer: CheckpointSigner;
    let impostor: CheckpointSigner;
    let keys: KeyDirectory;

    beforeAll(async () => {
      h = await harness();
      keysDir = mkdtempSync(join(tmpdir(), 'aman-evidence-keys-'));
      const pair = (): object =>
        generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
      const own = pair() as { d?: string };
      const publicJwk = { ...own };
      delete publicJwk.d;
      writeFileSync(join(keysDir, 'intake.pub.jwk'), JSON.stringify(publicJwk));
      signer = ed25519Signer('intake', own);
      impostor = ed25519Signer('intake', pair());
      keys = new KeyDirectory(keysDir);
    });

    afterAll(async () => {
      await h.dispose();
      rmSync(keysDir, { recursive: true, force: true });
    });

    /** A store holding `streams` (one event each, in order) and a checkpoint over them. */
    async function anchored(streams: readonly string[]): Promise<{
      raw: Awaited<ReturnType<EvidenceHarness['fresh']>>;
      checkpoint: SignedCheckpoint;
    }> {
      const raw = await h.fresh();
      const store = await raw.open();
      try {
        await appendEach(store, streams);
        const checkpoint = await new CheckpointIssuer({ store, signer }).issue();
        if (checkpoint === undefined) throw new Error('no checkpoint issued');
        return { raw, checkpoint };
      } finally {
        await store.close();
      }
    }

    async function check(
      raw: Awaited<ReturnType<EvidenceHarness['fresh']>>,
      checkpoint: SignedCheckpoint,
      afterwards: readonly string[] = [],
    ): Promise<{ report: EvidenceReport; logOk: boolean }> {
      const store = await raw.open();
      try {
        await appendEach(store, afterwards);
        const logOk = (await store.verifyLog()).ok;
        return { report: await verifyStoreAgainst(store, checkpoint, keys), logOk };
      } finally {
        await store.close();
      }
    }

    const failed = (report: EvidenceReport): string[] =>
      report.findings.filter((finding) => !finding.ok).map((finding) => finding.check);

    it('verifies an untouched store against its checkpoint, also after later appends', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-b', 'case-a']);
      expect(checkpoint).toMatchObject({ sequence: 1, headPosition: 4, streamCount: 2 });
      const { report } = await check(raw, checkpoint, ['case-a', 'case-c']);
      expect(failed(report)).toEqual([]);
      expect(report.ok).toBe(true);
    });

    it('chains each checkpoint to the one before, and issues none when nothing was appended', async () => {
      const raw = await h.fresh();
      const store = await raw.open();
      try {
        const issuer = new CheckpointIssuer({ store, signer });
        await appendEach(store, ['case-a']);
        const first = await issuer.issue();
        expect(await issuer.issue()).toBeUndefined();
        await appendEach(store, ['case-b']);
        const second = await issuer.issue();
        expect(second).toMatchObject({ sequence: 2, headPosition: 3, streamCount: 3 });
        expect(second?.previousHash).toBe(first && checkpointHash(first));
        expect(await issuer.latest()).toEqual(second);
        // The second checkpoint covers the first (its own stream is a stream of the store).
        expect((await verifyStoreAgainst(store, second as SignedCheckpoint, keys)).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    it("detects a stream's truncated tail that the log's own checks cannot see", async () => {
      // case-a's third event is the newest before the checkpoint (at position 5).
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-a', 'case-a']);
      // Cut case-a's tail and the checkpoint event, lower the high-water mark, write on.
      await raw.rollBack(3);
      const { report, logOk } = await check(raw, checkpoint, ['case-b', 'case-b']);
      expect(logOk).toBe(true);
      expect(report.ok).toBe(false);
      expect(failed(report)).toEqual(['merkle-root']);
    });

    it('detects a store rolled back before the checkpoint', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-a']);
      await raw.rollBack(2);
      const { report, logOk } = await check(raw, checkpoint);
      expect(logOk).toBe(true);
      expect(failed(report)).toEqual(['head', 'log']);
    });

    it('detects a deleted stream', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-d']);
      expect(checkpoint.streamCount).toBe(3);
      await raw.rollBack(2);
      const { report, logOk } = await check(raw, checkpoint, ['case-b', 'case-b']);
      expect(logOk).toBe(true);
      expect(failed(report)).toEqual(['streams', 'merkle-root']);
      expect(report.findings.find((f) => f.check === 'streams')?.detail).toMatch(/deleted/);
    });

    it('detects a rewritten event whose hash chain was recomputed', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-a']);
      await raw.rewrite('case-a', 1, '{"n":99}');
      const { report, logOk } = await check(raw, checkpoint);
      expect(logOk).toBe(true);
      expect(failed(report)).toEqual(['merkle-root']);
    });

    it('detects a rewritten event whose stored hash was left as it was', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b', 'case-a']);
      await raw.rewriteData('case-a', 1, '{"n":99}');
      const { report } = await check(raw, checkpoint);
      expect(failed(report)).toEqual(['hash-chain']);
    });

    it('refuses a checkpoint signed by another key, or altered after signing', async () => {
      const { raw, checkpoint } = await anchored(['case-a', 'case-b']);
      const forged: SignedCheckpoint = {
        ...checkpoint,
        signature: await impostor.sign(Buffer.from('anything')),
      };
      // The very body, signed by a key that is not intake's.
      const resigned: SignedCheckpoint = {
        ...checkpoint,
        signature: await impostor.sign(checkpointBytes(checkpoint)),
      };
      const altered: SignedCheckpoint = { ...checkpoint, headPosition: 1 };
      for (const bad of [forged, resigned, altered]) {
        const { report } = await check(raw, bad);
        expect(failed(report)).toContain('signature');
        expect(report.ok).toBe(false);
      }
    });
  });
}

evidenceContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-evidence-'));
  let count = 0;
  return Promise.resolve({
    fresh: () => {
      count += 1;
      const path = join(dir, `events-${count}.db`);
      const raw = <T>(work: (db: Database.Database) => T): T => {
        const db = new Database(path);
        try {
          return work(db);
        } finally {
          db.close();
        }
      };
      const rowsOf = (db: Database.Database, stream: string): EventRow[] =>
        (
          db
            .prepare('SELECT * FROM events WHERE stream = ? ORDER BY version')
            .all(stream) as Record<string, unknown>[]
        ).map((c) => ({
          id: c['id'] as string,
          stream: c['stream'] as string,
          version: c['version'] as number,
          position: c['position'] as number,
          type: c['type'] as string,
          schemaVersion: c['schema_version'] as number,
          data: c['data'] as string,
          occurredAt: c['occurred_at'] as string,
          recordedAt: c['recorded_at'] as string,
          actorOrganisationId: c['actor_organisation_id'] as string,
          actorPrincipalId: c['actor_principal_id'] as string,
          correlationId: c['correlation_id'] as string,
          causationId: c['causation_id'] as string | null,
          traceparent: c['traceparent'] as string | null,
          dataKeyId: c['data_key_id'] as string | null,
          previousHash: c['previous_hash'] as string,
          hash: c['hash'] as string,
        }));
      return Promise.resolve({
        open: () => Promise.resolve(new SqliteEventStore({ path })),
        rollBack: (position) => {
          raw((db) => {
            db.prepare('DELETE FROM events WHERE position > ?').run(position);
            db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'").run(position);
          });
          return Promise.resolve();
        },
        rewrite: (stream, version, data) => {
          raw((db) => {
            const update = db.prepare(
              'UPDATE events SET data = ?, previous_hash = ?, hash = ? WHERE id = ?',
            );
            for (const row of rechain(rowsOf(db, stream), version, data)) {
              update.run(row.data, row.previousHash, row.hash, row.id);
            }
          });
          return Promise.resolve();
        },
        rewriteData: (stream, version, data) => {
          raw((db) =>
            db
              .prepare('UPDATE events SET data = ? WHERE stream = ? AND version = ?')
              .run(data, stream, version),
          );
          return Promise.resolve();
        },
      });
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describeWithMongo('anchored evidence on MongoDB', ({ uri, database }) => {
  const clients: MongoClient[] = [];
  const databases: string[] = [];
  const client = (): MongoClient => {
    const made = new MongoClient(uri);
    clients.push(made);
    return made;
  };

  evidenceContract('MongoDB', () =>
    Promise.resolve({
      fresh: () => {
        const name = `${database}_${databases.length + 1}`;
        databases.push(name);
        const db = client().db(name);
        const commits = db.collection<Document & { _id: string }>('events');
        const streams = db.collection<Document & { _id: string }>('events.streams');
        const rewriteWith = async (
          stream: string,
          change: (rows: EventRow[]) => EventRow[],
        ): Promise<void> => {
          const found = await commits.find({ stream }).sort({ fromVersion: 1 }).toArray();
          const rows = change(found.flatMap((commit) => commit['events'] as EventRow[]));
          for (const commit of found) {
            const events = rows.filter(
              (row) =>
                row.version >= (commit['fromVersion'] as number) &&
                row.version <= (commit['toVersion'] as number),
            );
            const lastHash = events[events.length - 1]?.hash;
            await commits.updateOne({ _id: commit._id }, { $set: { events, lastHash } });
            await streams.updateOne(
              { _id: `${stream}#${commit['fromVersion'] as number}` },
              { $set: { lastHash } },
            );
          }
        };
        return Promise.resolve({
          open: () => MongoEventStore.open({ client: client(), database: name }),
          rollBack: async (position) => {
            await commits.deleteMany({ fromPosition: { $gt: position } });
            await streams.deleteMany({ position: { $gt: position } });
            await db
              .collection<Document & { _id: string }>('events.head')
              .updateOne(
                { _id: 'head' },
                { $set: { fromPosition: position, toPosition: position } },
              );
          },
          rewrite: (stream, version, data) =>
            rewriteWith(stream, (rows) => rechain(rows, version, data)),
          rewriteData: (stream, version, data) =>
            rewriteWith(stream, (rows) =>
              rows.map((row) => (row.version === version ? { ...row, data } : row)),
            ),
        });
      },
      dispose: async () => {
        for (const name of databases) await client().db(name).dropDatabase();
        await Promise.all(clients.map((made) => made.close()));
      },
    }),
  );
});
