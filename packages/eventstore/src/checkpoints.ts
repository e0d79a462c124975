import type Database from 'better-sqlite3';
import type { Collection, MongoClient } from 'mongodb';

import { ValidationError } from '@aman/errors';

import { openSqlite, type SqliteOpenOptions } from './sqlite/openSqlite.ts';

/**
 * Where a tailing reader (outbox relay, embedded subscriber, projection) remembers the global
 * position it has fully processed. One owner per name: checkpoints are written by a single
 * process, so an in-place update is safe even on FerretDB (ADR 0002).
 */
export interface CheckpointStore {
  load(name: string): Promise<number>;
  /** Refuses to move a checkpoint backwards unless `allowRewind` (a deliberate rebuild). */
  save(name: string, position: number, options?: { readonly allowRewind?: boolean }): Promise<void>;
  close(): Promise<void>;
}

function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new ValidationError('a checkpoint is a non-negative integer position');
  }
}

export class SqliteCheckpointStore implements CheckpointStore {
  readonly #db: Database.Database;
  readonly #load;
  readonly #save;
  readonly #rewind;

  constructor(options: { readonly path: string } & Pick<SqliteOpenOptions, 'synchronous'>) {
    this.#db = openSqlite(options.path, options);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
      name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at TEXT NOT NULL) STRICT`);
    this.#load = this.#db.prepare<[string], { position: number }>(
      'SELECT position FROM checkpoints WHERE name = ?',
    );
    this.#save = this.#db.prepare<[string, number, string]>(
      `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
       WHERE excluded.position >= checkpoints.position`,
    );
    this.#rewind = this.#db.prepare<[string, number, string]>(
      `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    );
  }

  async load(name: string): Promise<number> {
    return this.#load.get(name)?.position ?? 0;
  }

  async save(
    name: string,
    position: number,
    options: { readonly allowRewind?: boolean } = {},
  ): Promise<void> {
    checkPosition(position);
    const statement = options.allowRewind === true ? this.#rewind : this.#save;
    statement.run(name, position, new Date().toISOString());
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

interface CheckpointDocument {
  _id: string;
  position: number;
  updatedAt: Date;
}

export class MongoCheckpointStore implements CheckpointStore {
  readonly #checkpoints: Collection<CheckpointDocument>;

  constructor(options: {
    readonly client: MongoClient;
    readonly database: string;
    readonly collection?: string;
  }) {
    this.#checkpoints = options.client
      .db(options.database)
      .collection<CheckpointDocument>(options.collection ?? 'checkpoints');
  }

  async load(name: string): Promise<number> {
    return (await this.#checkpoints.findOne({ _id: name }))?.position ?? 0;
  }

  async save(
    name: string,
    position: number,
    options: { readonly allowRewind?: boolean } = {},
  ): Promise<void> {
    checkPosition(position);
    const filter =
      options.allowRewind === true ? { _id: name } : { _id: name, position: { $lte: position } };
    try {
      await this.#checkpoints.updateOne(
        filter,
        { $set: { position, updatedAt: new Date() } },
        { upsert: true, writeConcern: { w: 'majority' } },
      );
    } catch (error) {
      // The upsert collided with a newer checkpoint (position > ours): nothing to do.
      if ((error as { code?: unknown }).code !== 11000) throw error;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
