export type {
  CollectionSpec,
  FieldValue,
  GroupCount,
  Page,
  QueryOptions,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelStore,
  WriteOptions,
} from './readModels.ts';
export { documentsOf, everyDocument } from './everyDocument.ts';
export { SqliteReadModelStore } from './sqlite/sqliteReadModelStore.ts';
export { MongoReadModelStore } from './mongodb/mongoReadModelStore.ts';
export {
  ProjectionRunner,
  type CatchUpOptions,
  type EventSource,
  type ProjectedEvent,
  type Projection,
  type ProjectionContext,
  type RebuildProgress,
} from './runner.ts';
