import type { Collection, Db, Filter, MongoClient, Sort } from 'mongodb';

import type { JsonObject, JsonValue } from '@aman/eventstore';

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
  type WriteOptions,
} from '../readModels.ts';

interface StoredDocument {
  _id: string;
  /** Null for a tombstone. */
  data: JsonObject | null;
  /** Stream → last applied version, with keys escaped (field names may not hold `.` or `$`). */
  v: Record<string, number>;
}

const WRITE_SLICE = 50;

const escapeKey = (key: string): string =>
  key.replaceAll('%', '%25').replaceAll('.', '%2E').replaceAll('$', '%24');
const unescapeKey = (key: string): string =>
  key.replaceAll('%24', '$').replaceAll('%2E', '.').replaceAll('%25', '%');

function toStored(document: ReadModelDocument): StoredDocument {
  const v: Record<string, number> = {};
  for (const [stream, version] of Object.entries(document.versions)) v[escapeKey(stream)] = version;
  return { _id: document.id, data: document.data ?? null, v };
}

function toDocument(stored: StoredDocument): ReadModelDocument {
  const versions: Record<string, number> = {};
  for (const [key, version] of Object.entries(stored.v)) versions[unescapeKey(key)] = version;
  return { id: stored._id, data: stored.data ?? undefined, versions };
}

/**
 * Read models on MongoDB (FerretDB in CI). Each projection writes its own collections from one
 * runner, so whole-document replaces are safe without transactions (ADR 0002).
 */
export class MongoReadModelStore implements ReadModelStore {
  readonly #db: Db;

  constructor(options: { readonly client: MongoClient; readonly database: string }) {
    this.#db = options.client.db(options.database);
  }

  async collection(name: string, spec: CollectionSpec): Promise<ReadModelCollection> {
    validateName(name, 'collection name');
    for (const field of spec.indexes) validateName(field, 'indexed field');
    const collection = this.#db.collection<StoredDocument>(`rm_${name}`);
    // One index per call: see ADR 0002 on createIndexes.
    for (const field of spec.indexes) {
      await collection.createIndex({ [`data.${field}`]: 1, _id: 1 }, { name: `${field}_id` }, {});
    }
    return new MongoCollection(collection, spec);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class MongoCollection implements ReadModelCollection {
  readonly #collection: Collection<StoredDocument>;
  readonly #spec: CollectionSpec;

  constructor(collection: Collection<StoredDocument>, spec: CollectionSpec) {
    this.#collection = collection;
    this.#spec = spec;
  }

  async get(id: string): Promise<ReadModelDocument | undefined> {
    const found = await this.#collection.findOne({ _id: id });
    return found === null ? undefined : toDocument(found);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, ReadModelDocument>> {
    const found = new Map<string, ReadModelDocument>();
    if (ids.length === 0) return found;
    for (const stored of await this.#collection.find({ _id: { $in: [...ids] } }).toArray()) {
      found.set(stored._id, toDocument(stored));
    }
    return found;
  }

  async write(documents: readonly ReadModelDocument[], options: WriteOptions = {}): Promise<void> {
    if (documents.length === 0) return;
    for (const document of documents) checkDocumentKeys(document.data);
    const created = options.created ?? new Set<string>();
    const stored = documents.map(toStored);
    // New documents are inserted: FerretDB 1.x looks an update's `_id` filter up by scanning the
    // collection, while an insert's unique-index check is a true index lookup (ADR 0002). Were one
    // there after all, the insert fails on the duplicate and nothing of this batch is lost: the
    // caller has not moved its checkpoint and replays the batch.
    const inserts = stored.filter((document) => created.has(document._id));
    if (inserts.length > 0) {
      await this.#collection.insertMany(inserts, {
        ordered: true,
        writeConcern: { w: 'majority' },
      });
    }
    const operations = stored
      .filter((document) => !created.has(document._id))
      .map(({ _id, ...replacement }) => ({
        replaceOne: { filter: { _id }, replacement, upsert: true },
      }));
    // In slices: FerretDB 1.24 never answers an update command that replaces 100 or more
    // existing documents, and keeps the database locked (ADR 0002).
    for (let start = 0; start < operations.length; start += WRITE_SLICE) {
      await this.#collection.bulkWrite(operations.slice(start, start + WRITE_SLICE), {
        ordered: true,
        writeConcern: { w: 'majority' },
      });
    }
  }

  #filter(where: [string, FieldValue][]): Filter<StoredDocument> {
    const filter: Record<string, unknown> = { data: { $ne: null } };
    for (const [field, value] of where) filter[`data.${field}`] = value;
    return filter;
  }

  async query(options: QueryOptions = {}): Promise<Page> {
    const query = checkQuery(this.#spec, options);
    const filter = this.#filter(query.where) as Record<string, unknown>;
    const direction = query.descending ? -1 : 1;
    const sortField = query.orderBy === undefined ? '_id' : `data.${query.orderBy}`;
    const sort: Sort =
      query.orderBy === undefined ? { _id: direction } : { [sortField]: direction, _id: direction };
    if (query.cursor !== undefined) {
      const [after, afterId] = query.cursor;
      const cmp = query.descending ? '$lt' : '$gt';
      if (query.orderBy === undefined) {
        filter['$or'] = [{ _id: { [cmp]: afterId } }];
      } else if (after === null) {
        // Nulls (and missing fields) sort first ascending and last descending.
        filter['$or'] = query.descending
          ? [{ [sortField]: null, _id: { $lt: afterId } }]
          : [{ [sortField]: null, _id: { $gt: afterId } }, { [sortField]: { $ne: null } }];
      } else {
        filter['$or'] = [
          { [sortField]: { [cmp]: after } },
          { [sortField]: after, _id: { [cmp]: afterId } },
          ...(query.descending ? [{ [sortField]: null }] : []),
        ];
      }
    }
    const found = await this.#collection
      .find(filter as Filter<StoredDocument>)
      .sort(sort)
      .limit(query.limit + 1)
      .toArray();
    const items = found
      .slice(0, query.limit)
      .map((stored) => ({ id: stored._id, data: stored.data ?? {} }));
    const last = items[items.length - 1];
    return found.length > query.limit && last !== undefined
      ? { items, nextCursor: encodeCursor(sortValueOf(last.data, query.orderBy, last.id), last.id) }
      : { items };
  }

  async count(where: QueryOptions['where'] = {}): Promise<number> {
    const checked = Object.entries(where);
    for (const [field, value] of checked) checkField(this.#spec, field, value);
    return this.#collection.countDocuments(this.#filter(checked));
  }

  async group(field: string, where: QueryOptions['where'] = {}): Promise<GroupCount[]> {
    checkField(this.#spec, field, null);
    const checked = Object.entries(where);
    for (const [name, value] of checked) checkField(this.#spec, name, value);
    const rows = await this.#collection
      .aggregate<{ _id: JsonValue | undefined; count: number }>([
        { $match: this.#filter(checked) },
        { $group: { _id: `$data.${field}`, count: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((row) => ({ key: row._id ?? null, count: row.count }));
  }

  async drop(): Promise<void> {
    await this.#collection.drop().catch((error: unknown) => {
      // Dropping a collection that never existed is not an error here.
      if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
    });
  }
}
