import type Database from 'better-sqlite3';

import { UnavailableError } from '@aman/errors';

import {
  openSqlite,
  type JsonObject,
  type JsonValue,
  type SqliteOpenOptions,
} from '@aman/eventstore';

import {
  checkDocumentKeys,
  checkField,
  checkQuery,
  encodeCursor,
  sortValueOf,
  validateName,
  type CollectionSpec,
  type FieldValue,
  type GroupCount,
  type Page,
  type QueryOptions,
  type ReadModelCollection,
  type ReadModelDocument,
  type ReadModelStore,
} from '../readModels.ts';

interface Row {
  id: string;
  data: string | null;
  versions: string;
}

/** SQL values for a field: `->` gives JSON text (exact type, for equality and grouping), `->>`
 * the SQL value (numbers compare as numbers, for ordering). Field names are validated first. */
const json = (field: string): string => `(data -> '$.${field}')`;
const value = (field: string): string => `(data ->> '$.${field}')`;

function toDocument(row: Row): ReadModelDocument {
  return {
    id: row.id,
    data: row.data === null ? undefined : (JSON.parse(row.data) as JsonObject),
    versions: JSON.parse(row.versions) as Record<string, number>,
  };
}

function sqlValue(field: FieldValue): string | number | null {
  if (typeof field === 'boolean') return field ? 1 : 0;
  return field;
}

export class SqliteReadModelStore implements ReadModelStore {
  readonly #db: Database.Database;

  readonly #secureDelete: boolean;

  /**
   * `secureDelete`: what a tombstone replaces is gone from the file, not only unlinked: SQLite
   * overwrites freed content with zeros, and every write holding a tombstone is checkpointed into
   * the database with the write-ahead log truncated, so no older copy of the page stays in the WAL
   * either. For stores of secrets that erasure must destroy (crypto-shredding's data keys).
   */
  constructor(
    options: { readonly path: string; readonly secureDelete?: boolean } & Pick<
      SqliteOpenOptions,
      'synchronous'
    >,
  ) {
    this.#db = openSqlite(options.path, options);
    this.#secureDelete = options.secureDelete === true;
    if (this.#secureDelete) this.#db.pragma('secure_delete = ON');
  }

  async collection(name: string, spec: CollectionSpec): Promise<ReadModelCollection> {
    validateName(name, 'collection name');
    for (const field of spec.indexes) validateName(field, 'indexed field');
    const table = `rm_${name}`;
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY, data TEXT, versions TEXT NOT NULL) STRICT`);
    for (const field of spec.indexes) {
      this.#db.exec(
        `CREATE INDEX IF NOT EXISTS ${table}_${field}_eq ON ${table} (${json(field)}, id)`,
      );
      this.#db.exec(
        `CREATE INDEX IF NOT EXISTS ${table}_${field}_ord ON ${table} (${value(field)}, id)`,
      );
    }
    return new SqliteCollection(this.#db, table, spec, this.#secureDelete);
  }

  async close(): Promise<void> {
    this.#db.close();
    return;
  }
}

class SqliteCollection implements ReadModelCollection {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #spec: CollectionSpec;
  readonly #get;
  readonly #getMany;
  readonly #put;
  readonly #writeAll: (documents: readonly ReadModelDocument[]) => void;
  readonly #secureDelete: boolean;
  /**
   * Query statements by their SQL: preparing one costs more than running it on a small table,
   * and a collection's queries take few shapes (its indexed fields, order and cursor).
   */
  readonly #prepared = new Map<string, Database.Statement>();

  constructor(db: Database.Database, table: string, spec: CollectionSpec, secureDelete: boolean) {
    this.#db = db;
    this.#table = table;
    this.#spec = spec;
    this.#secureDelete = secureDelete;
    this.#get = db.prepare<[string], Row>(`SELECT id, data, versions FROM ${table} WHERE id = ?`);
    // The ids as one JSON array parameter: one statement for any number of them.
    this.#getMany = db.prepare<[string], Row>(
      `SELECT id, data, versions FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`,
    );
    this.#put = db.prepare<[string, string | null, string]>(
      `INSERT INTO ${table} (id, data, versions) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET data = excluded.data, versions = excluded.versions`,
    );
    this.#writeAll = db.transaction((documents: readonly ReadModelDocument[]) => {
      for (const document of documents) {
        this.#put.run(
          document.id,
          document.data === undefined ? null : JSON.stringify(document.data),
          JSON.stringify(document.versions),
        );
      }
    });
  }

  async get(id: string): Promise<ReadModelDocument | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toDocument(row);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, ReadModelDocument>> {
    const found = new Map<string, ReadModelDocument>();
    if (ids.length === 0) return found;
    for (const row of this.#getMany.all(JSON.stringify(ids))) found.set(row.id, toDocument(row));
    return found;
  }

  async write(documents: readonly ReadModelDocument[]): Promise<void> {
    for (const document of documents) checkDocumentKeys(document.data);
    this.#writeAll(documents);
    if (this.#secureDelete && documents.some((document) => document.data === undefined)) {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      // A reader held the log open: the old page may still be in it. The caller must know.
      if (result === undefined || result.busy !== 0) {
        throw new UnavailableError('the deletion could not be checkpointed yet; try again');
      }
    }
    return;
  }

  #statement<R>(sql: string): Database.Statement<unknown[], R> {
    let statement = this.#prepared.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#prepared.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], R>;
  }

  #where(where: [string, FieldValue][]): { sql: string; params: (string | number | null)[] } {
    const clauses = ['data IS NOT NULL'];
    const params: (string | number | null)[] = [];
    for (const [field, fieldValue] of where) {
      clauses.push(`${json(field)} = ?`);
      params.push(JSON.stringify(fieldValue));
    }
    return { sql: clauses.join(' AND '), params };
  }

  async query(options: QueryOptions = {}): Promise<Page> {
    const query = checkQuery(this.#spec, options);
    const { sql, params } = this.#where(query.where);
    const sort = query.orderBy === undefined ? 'id' : value(query.orderBy);
    const dir = query.descending ? 'DESC' : 'ASC';
    const cmp = query.descending ? '<' : '>';
    let cursorSql = '';
    if (query.cursor !== undefined) {
      const [after, afterId] = query.cursor;
      if (query.orderBy === undefined) {
        cursorSql = ` AND id ${cmp} ?`;
        params.push(afterId);
      } else if (after === null) {
        // NULLs sort first ascending, last descending.
        cursorSql = query.descending
          ? ` AND (${sort} IS NULL AND id < ?)`
          : ` AND ((${sort} IS NULL AND id > ?) OR ${sort} IS NOT NULL)`;
        params.push(afterId);
      } else {
        cursorSql = ` AND (${sort} ${cmp} ? OR (${sort} = ? AND id ${cmp} ?)${
          query.descending ? ` OR ${sort} IS NULL` : ''
        })`;
        params.push(sqlValue(after), sqlValue(after), afterId);
      }
    }
    const rows = this.#statement<Row>(
      `SELECT id, data, versions FROM ${this.#table} WHERE ${sql}${cursorSql}
       ORDER BY ${sort} ${dir}, id ${dir} LIMIT ?`,
    ).all(...params, query.limit + 1);
    const items = rows.slice(0, query.limit).map((row) => ({
      id: row.id,
      data: JSON.parse(row.data ?? '{}') as JsonObject,
    }));
    const last = items[items.length - 1];
    const page: Page =
      rows.length > query.limit && last !== undefined
        ? {
            items,
            nextCursor: encodeCursor(sortValueOf(last.data, query.orderBy, last.id), last.id),
          }
        : { items };
    return page;
  }

  async count(where: QueryOptions['where'] = {}): Promise<number> {
    const checked = Object.entries(where);
    for (const [field, fieldValue] of checked) checkField(this.#spec, field, fieldValue);
    const { sql, params } = this.#where(checked);
    const row = this.#statement<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${this.#table} WHERE ${sql}`,
    ).get(...params);
    return row?.n ?? 0;
  }

  async group(field: string, where: QueryOptions['where'] = {}): Promise<GroupCount[]> {
    checkField(this.#spec, field, null);
    const checked = Object.entries(where);
    for (const [name, fieldValue] of checked) checkField(this.#spec, name, fieldValue);
    const { sql, params } = this.#where(checked);
    const rows = this.#statement<{ key: string | null; n: number }>(
      `SELECT ${json(field)} AS key, COUNT(*) AS n FROM ${this.#table} WHERE ${sql}
       GROUP BY key ORDER BY key`,
    ).all(...params);
    return rows.map((row) => ({
      key: row.key === null ? null : (JSON.parse(row.key) as JsonValue),
      count: row.n,
    }));
  }

  async drop(): Promise<void> {
    this.#db.exec(`DROP TABLE IF EXISTS ${this.#table}`);
    return;
  }
}
