import type { JsonObject } from '@aman/eventstore';
import type { QueryOptions, ReadModelCollection } from '@aman/projections';

const PAGE = 500;

/** Every document of a collection that `where` selects, page after page, in id order. */
export async function everyDocument(
  collection: ReadModelCollection,
  where: QueryOptions['where'] = {},
): Promise<JsonObject[]> {
  const documents: JsonObject[] = [];
  let cursor: string | undefined;
  do {
    const page = await collection.query({
      where,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    documents.push(...page.items.map((item) => item.data));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return documents;
}
