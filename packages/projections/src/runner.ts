import { IllegalStateError, ValidationError } from '@aman/errors';
import type { CheckpointStore, EventStore, JsonObject } from '@aman/eventstore';

import type {
  CollectionSpec,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelStore,
} from './readModels.ts';

/** What a projection sees of an event, whether it came from a store or off the bus. */
export interface ProjectedEvent {
  readonly id: string;
  /**
   * The producing context: `ce_source` off the bus, the source name given to catchUp from a
   * store. Stream names are unique only within it, so the version guard keys on both — and the
   * same context must always be given the same name.
   */
  readonly source: string;
  readonly stream: string;
  readonly version: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly occurredAt: string;
}

export interface ProjectionContext {
  /** True while rebuilding: the events are history, not news. */
  readonly replaying: boolean;
  get(collection: string, id: string): Promise<JsonObject | undefined>;
  put(collection: string, id: string, data: JsonObject): Promise<void>;
  delete(collection: string, id: string): Promise<void>;
}

export interface Projection {
  readonly name: string;
  /** Bump to rebuild into fresh collections and switch over when caught up (blue/green). */
  readonly version: number;
  readonly collections: Readonly<Record<string, CollectionSpec>>;
  /** Event types this projection reads; others are skipped. */
  readonly handles: readonly string[];
  project(event: ProjectedEvent, context: ProjectionContext): Promise<void>;
  /**
   * Side effects (a webhook, a notification) run after the event's changes are stored, for live
   * events only and once per event: never during a rebuild or for a redelivered event.
   */
  readonly sideEffect?: (event: ProjectedEvent) => Promise<void>;
}

/** What a rebuild reads: a store's global log, from a position to its head. */
export type EventSource = Pick<EventStore, 'readAll' | 'headPosition'>;

/** How far a catch-up has read one source: events applied so far, of the head it started at. */
export interface RebuildProgress {
  readonly source: string;
  readonly applied: number;
  /** The source's head position when the catch-up started (positions have no gaps, ADR 0003). */
  readonly head: number;
}

export interface CatchUpOptions {
  readonly replaying?: boolean;
  /** The version to write (default: the active one). */
  readonly version?: number;
  readonly pageSize?: number;
  /** Called after each page; the catch-up waits for what it returns. */
  readonly onProgress?: (progress: RebuildProgress) => void | Promise<void>;
}

/**
 * The registry's entry: the version readers and live events use, and the code version that built
 * it. Versions only grow: a rebuild of the same code goes to the next one.
 */
interface Registration {
  readonly active: number;
  readonly code: number;
}

interface Pending {
  document: ReadModelDocument | undefined;
  changed: boolean;
  /** The event that last passed the guard for this document in this batch. */
  writtenBy: string | undefined;
  /** The store held the document (a tombstone counts) when the batch began. */
  readonly stored: boolean;
}

function versionKey(event: ProjectedEvent): string {
  return `${event.source}|${event.stream}`;
}

const REGISTRY = 'projection_versions';
const SIDE_EFFECTS = 'projection_side_effects';

function physicalName(projection: Projection, collection: string, version: number): string {
  return `${projection.name}__${collection}__v${version}`;
}

/**
 * Runs one projection into a read-model store: applies batches of events with a per-document,
 * per-stream version guard (an event already applied to a document changes nothing), keeps a
 * checkpoint per source, and rebuilds from the event stores into the next version's collections
 * before switching readers over.
 */
export class ProjectionRunner {
  readonly #projection: Projection;
  readonly #store: ReadModelStore;
  readonly #checkpoints: CheckpointStore;
  readonly #collections = new Map<string, ReadModelCollection>();
  #registry: ReadModelCollection | undefined;
  #sideEffects: ReadModelCollection | undefined;

  constructor(options: {
    readonly projection: Projection;
    readonly store: ReadModelStore;
    readonly checkpoints: CheckpointStore;
  }) {
    this.#projection = options.projection;
    this.#store = options.store;
    this.#checkpoints = options.checkpoints;
    for (const name of Object.keys(options.projection.collections)) {
      if (name.includes('__')) throw new ValidationError('collection names may not contain __');
    }
  }

  async #collection(name: string, version: number): Promise<ReadModelCollection> {
    const physical = physicalName(this.#projection, name, version);
    let collection = this.#collections.get(physical);
    if (collection === undefined) {
      const spec = this.#projection.collections[name];
      if (spec === undefined) {
        throw new ValidationError(`projection ${this.#projection.name} has no collection ${name}`);
      }
      collection = await this.#store.collection(physical, spec);
      this.#collections.set(physical, collection);
    }
    return collection;
  }

  async #registryCollection(): Promise<ReadModelCollection> {
    this.#registry ??= await this.#store.collection(REGISTRY, { indexes: [] });
    return this.#registry;
  }

  async #registration(): Promise<Registration | undefined> {
    const data = (await (await this.#registryCollection()).get(this.#projection.name))?.data;
    const active = data?.['active'];
    if (typeof active !== 'number') return undefined;
    // Entries written before versions were told apart from code versions: the same number.
    const code = data?.['code'];
    return { active, code: typeof code === 'number' ? code : active };
  }

  /** The version readers use now (undefined before the first build finished). */
  async activeVersion(): Promise<number | undefined> {
    return (await this.#registration())?.active;
  }

  /** The collection queries should read: the active version's. */
  async reader(collection: string): Promise<ReadModelCollection> {
    const active = await this.activeVersion();
    if (active === undefined) {
      throw new ValidationError(`projection ${this.#projection.name} has not been built yet`);
    }
    return this.#collection(collection, active);
  }

  /**
   * Applies events in order to the projection's collections at `version` (default: the active
   * version, read for every batch so that live events follow a rebuild's switch at once; this
   * code's version before the first build), writes the changed documents, then runs side effects
   * for live events that changed something.
   */
  async apply(
    events: readonly ProjectedEvent[],
    options: { readonly replaying?: boolean; readonly version?: number } = {},
  ): Promise<void> {
    const version = options.version ?? (await this.#writeVersion());
    const replaying = options.replaying ?? false;
    const handled = events.filter((event) => this.#projection.handles.includes(event.type));
    const pending = await this.#prefetch(handled, version, replaying);
    const load = async (collection: string, id: string): Promise<Pending> => {
      let byId = pending.get(collection);
      if (byId === undefined) {
        byId = new Map();
        pending.set(collection, byId);
      }
      let entry = byId.get(id);
      if (entry === undefined) {
        // A document the dry run did not foresee (its id came from another document's data).
        const document = await (await this.#collection(collection, version)).get(id);
        entry = { document, changed: false, writtenBy: undefined, stored: document !== undefined };
        byId.set(id, entry);
      }
      return entry;
    };

    for (const event of handled) {
      const key = versionKey(event);
      const write = async (collection: string, id: string, data: JsonObject | undefined) => {
        const entry = await load(collection, id);
        // The guard: this document already holds this event (or a later one of its stream).
        // A second write by the same event to the same document goes through.
        const seen = entry.document?.versions[key];
        if (entry.writtenBy !== event.id && seen !== undefined && seen >= event.version) return;
        entry.document = {
          id,
          data,
          versions: { ...entry.document?.versions, [key]: event.version },
        };
        entry.changed = true;
        entry.writtenBy = event.id;
      };
      await this.#projection.project(event, {
        replaying,
        get: async (collection, id) => (await load(collection, id)).document?.data,
        put: (collection, id, data) => write(collection, id, data),
        delete: (collection, id) => write(collection, id, undefined),
      });
    }

    for (const [collection, byId] of pending) {
      const changed: ReadModelDocument[] = [];
      const created = new Set<string>();
      for (const entry of byId.values()) {
        if (!entry.changed || entry.document === undefined) continue;
        changed.push(entry.document);
        if (!entry.stored) created.add(entry.document.id);
      }
      await (await this.#collection(collection, version)).write(changed, { created });
    }

    // Decided by the ledger, not by whether the documents changed: a side effect that failed
    // after its documents were stored must still fire when the event comes again.
    if (!replaying && this.#projection.sideEffect !== undefined) {
      await this.#fireSideEffects(handled);
    }
  }

  /**
   * Loads, one query per collection, the documents a batch will touch. Which ones is known only
   * by projecting, so the events are first projected against a scratch copy that records every
   * id asked for or written; nothing of that run is kept. An id it misses (one read from a
   * document's data) is loaded on its own when the real run asks for it.
   */
  async #prefetch(
    events: readonly ProjectedEvent[],
    version: number,
    replaying: boolean,
  ): Promise<Map<string, Map<string, Pending>>> {
    const touched = new Map<string, Set<string>>();
    const scratch = new Map<string, JsonObject | undefined>();
    const touch = (collection: string, id: string): string => {
      let ids = touched.get(collection);
      if (ids === undefined) {
        ids = new Set();
        touched.set(collection, ids);
      }
      ids.add(id);
      return `${collection}\u0000${id}`;
    };
    const dryRun: ProjectionContext = {
      replaying,
      get: (collection, id) => Promise.resolve(scratch.get(touch(collection, id))),
      put: (collection, id, data) => {
        scratch.set(touch(collection, id), data);
        return Promise.resolve();
      },
      delete: (collection, id) => {
        scratch.set(touch(collection, id), undefined);
        return Promise.resolve();
      },
    };
    for (const event of events) {
      try {
        await this.#projection.project(event, dryRun);
      } catch {
        // A projection may refuse what it sees without the stored documents; the real run decides.
      }
    }
    const pending = new Map<string, Map<string, Pending>>();
    for (const [collection, ids] of touched) {
      const found = await (await this.#collection(collection, version)).getMany([...ids]);
      const byId = new Map<string, Pending>();
      for (const id of ids) {
        const document = found.get(id);
        byId.set(id, {
          document,
          changed: false,
          writtenBy: undefined,
          stored: document !== undefined,
        });
      }
      pending.set(collection, byId);
    }
    return pending;
  }

  async #fireSideEffects(events: readonly ProjectedEvent[]): Promise<void> {
    const sideEffect = this.#projection.sideEffect;
    if (sideEffect === undefined || events.length === 0) return;
    this.#sideEffects ??= await this.#store.collection(SIDE_EFFECTS, { indexes: [] });
    const ledger = this.#sideEffects;
    for (const event of events) {
      const key = `${this.#projection.name}|${event.id}`;
      if ((await ledger.get(key)) !== undefined) continue;
      await sideEffect(event);
      await ledger.write([{ id: key, data: { firedAt: new Date().toISOString() }, versions: {} }]);
    }
  }

  /** Where live events go: the active version, or this code's before the first build. */
  async #writeVersion(): Promise<number> {
    return (await this.activeVersion()) ?? this.#projection.version;
  }

  /**
   * Reads `source` from this projection's checkpoint (of `version`, default the active one) to its
   * head, applying page by page and moving the checkpoint after each page.
   */
  async catchUp(
    sourceName: string,
    source: EventSource,
    options: CatchUpOptions = {},
  ): Promise<number> {
    const version = options.version ?? (await this.#writeVersion());
    const checkpoint = this.#checkpointName(version, sourceName);
    let after = await this.#checkpoints.load(checkpoint);
    const head = await source.headPosition();
    let applied = 0;
    for (;;) {
      const page = await source.readAll({ after, limit: options.pageSize ?? 500 });
      if (page.length === 0) return applied;
      await this.apply(
        page.map((event) => ({ ...event, source: sourceName })),
        { replaying: options.replaying ?? false, version },
      );
      applied += page.length;
      const last = page[page.length - 1];
      if (last === undefined) return applied;
      after = last.position;
      await this.#checkpoints.save(checkpoint, after);
      await options.onProgress?.({ source: sourceName, applied, head: Math.max(head, after) });
    }
  }

  #checkpointName(version: number, sourceName: string): string {
    return `projection:${this.#projection.name}:v${version}:${sourceName}`;
  }

  /**
   * Blue/green on a code change: when the active version was built by another version of this
   * code (or nothing is built yet), rebuilds (see `rebuild`). Safe to call on every start.
   */
  async ensureBuilt(
    sources: Readonly<Record<string, EventSource>>,
    options: Pick<CatchUpOptions, 'onProgress'> = {},
  ): Promise<{ rebuilt: boolean }> {
    const registered = await this.#registration();
    if (registered?.code === this.#projection.version) return { rebuilt: false };
    await this.rebuild(sources, options);
    return { rebuilt: true };
  }

  /**
   * Replays the event stores into a new version's collections (side effects off) while readers
   * and live events keep using the active one; then switches both to it, reads what the stores
   * gained meanwhile, and drops the previous version's collections. A live event applied to the
   * previous version just before the switch is in a store already, so the last read brings it.
   * Returns the version now active.
   */
  async rebuild(
    sources: Readonly<Record<string, EventSource>>,
    options: Pick<CatchUpOptions, 'onProgress'> = {},
  ): Promise<number> {
    const code = this.#projection.version;
    const registered = await this.#registration();
    if (registered !== undefined && registered.code > code) {
      // An older release restarting during a rolling deploy must not rebuild its version over
      // the newer one and drop it.
      throw new IllegalStateError(
        `projection ${this.#projection.name} v${registered.code} is active; this code is v${code}`,
      );
    }
    const target = registered === undefined ? code : Math.max(code, registered.active + 1);
    for (const name of Object.keys(this.#projection.collections)) {
      await (await this.#collection(name, target)).drop();
      this.#collections.delete(physicalName(this.#projection, name, target));
    }
    for (const source of Object.keys(sources)) {
      await this.#checkpoints.save(this.#checkpointName(target, source), 0, { allowRewind: true });
    }
    const replay = { replaying: true, version: target, ...options };
    for (const [name, source] of Object.entries(sources)) {
      await this.catchUp(name, source, replay);
    }
    await (
      await this.#registryCollection()
    ).write([{ id: this.#projection.name, data: { active: target, code }, versions: {} }]);
    for (const [name, source] of Object.entries(sources)) {
      await this.catchUp(name, source, replay);
    }
    if (registered !== undefined) {
      for (const name of Object.keys(this.#projection.collections)) {
        await (await this.#collection(name, registered.active)).drop();
        this.#collections.delete(physicalName(this.#projection, name, registered.active));
      }
    }
    return target;
  }
}
