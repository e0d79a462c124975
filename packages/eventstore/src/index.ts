export type {
  Actor,
  AppendResult,
  DomainEvent,
  EventEnvelope,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  JsonObject,
  JsonValue,
  LogVerifyResult,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  StreamHead,
  VerifyResult,
} from './types.ts';
export { BoundedMap } from './boundedMap.ts';
export { StopSignal } from './stopSignal.ts';
export { canonicalJson } from './canonicalJson.ts';
export type { Decider } from './commands/decider.ts';
export {
  handleCommand,
  loadState,
  type CommandOptions,
  type CommandResult,
} from './commands/handleCommand.ts';
export { GENESIS_HASH, rowHash, type EventRow } from './records.ts';
export { upcast, type Upcaster, type UpcasterRegistry } from './upcasting.ts';
export { uuidv7, isUuid } from './uuid.ts';
export { isTraceparent } from './traceparent.ts';
export {
  SqliteEventStore,
  SCHEMA as SQLITE_EVENTS_SCHEMA,
  INSERT as SQLITE_EVENTS_INSERT,
  type SqliteEventStoreOptions,
} from './sqlite/sqliteEventStore.ts';
export { openSqlite, type SqliteOpenOptions } from './sqlite/openSqlite.ts';
export { MongoEventStore, type MongoEventStoreOptions } from './mongodb/mongoEventStore.ts';
export {
  MongoCheckpointStore,
  SqliteCheckpointStore,
  type CheckpointStore,
} from './checkpoints.ts';
