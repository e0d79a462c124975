export type {
  CollectionSpec,
  FieldValue,
  GroupCount,
  Page,
  QueryOptions,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelStore,
} from './readModels.ts';
export { documentsOf, everyDocument } from './everyDocument.ts';
export { SqliteReadModelStore } from './sqlite/sqliteReadModelStore.ts';
export { MongoReadModelStore } from './mongodb/mongoReadModelStore.ts';
export {
  ProjectionRunner,
  type ProjectedEvent,
  type Projection,
  type ProjectionContext,
} from './runner.ts';
