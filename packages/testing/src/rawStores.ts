import { MongoClient } from 'mongodb';

/** One collection's documents as JSON text: what someone with the database would read. */
export interface RawCollection {
  readonly name: string;
  readonly text: string;
}

/**
 * Every document of every collection of the databases whose names start with `prefix`, for
 * tests that look for data that must not be there (a canary's name, a destroyed key).
 */
export async function readMongoDatabases(uri: string, prefix: string): Promise<RawCollection[]> {
  const client = new MongoClient(uri);
  try {
    const { databases } = await client.db().admin().listDatabases();
    const found: RawCollection[] = [];
    for (const { name } of databases.filter((database) => database.name.startsWith(prefix))) {
      for (const collection of await client.db(name).collections()) {
        found.push({
          name: `${name}.${collection.collectionName}`,
          text: JSON.stringify(await collection.find({}).toArray()),
        });
      }
    }
    return found;
  } finally {
    await client.close();
  }
}

/** Drops the databases whose names start with `prefix` (a test's own). */
export async function dropMongoDatabases(uri: string, prefix: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    const { databases } = await client.db().admin().listDatabases();
    for (const { name } of databases.filter((database) => database.name.startsWith(prefix))) {
      await client.db(name).dropDatabase();
    }
  } finally {
    await client.close();
  }
}
