import type { JsonObject } from '@aman/eventstore';

import type { QueryOptions, ReadModelCollection } from './readModels.ts';

const PAGE = 500;

/**
 * Every document of a collection that `where` selects, a page at a time, in id order: for a
 * sweep that must see them all (master-key rotation, routing's view of the directory).
 */
export async function* documentsOf(
  collection: ReadModelCollection,
  where: QueryOptions['where'] = {},
  pageSize = PAGE,
): AsyncGenerator<{ readonly id: string; readonly data: JsonObject }> {
  let cursor: string | undefined;
  do {
    const page = await collection.query({
      where,
      limit: pageSize,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** The data of every document `where` selects, read page after page into one list. */
export async function everyDocument(
  collection: ReadModelCollection,
  where: QueryOptions['where'] = {},
): Promise<JsonObject[]> {
  const documents: JsonObject[] = [];
  for await (const document of documentsOf(collection, where)) documents.push(document.data);
  return documents;
}
