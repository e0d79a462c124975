import { EMMETT_MONGODB_VERSION, EmmettMongoConnection } from '@aman/bench-emmett-mongodb';

import type { SystemUnderTest } from '../systems.ts';
import { freshDatabaseName } from '../tempDir.ts';

/** Emmett's MongoDB store; it keeps no global log, so it has no full-log scan. */
export function emmettMongo(connection: EmmettMongoConnection): SystemUnderTest {
  return {
    name: `Emmett MongoDB ${EMMETT_MONGODB_VERSION}`,
    open: async () => {
      const opened = await connection.open(freshDatabaseName('emmett_bench'));
      return {
        store: opened.store,
        durability: () => Promise.resolve(opened.durability),
        dispose: () => opened.dispose(),
      };
    },
  };
}

export { EmmettMongoConnection };
