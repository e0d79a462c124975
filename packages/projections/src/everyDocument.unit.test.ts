import { describe, expect, it } from '@jest/globals';

import { documentsOf, everyDocument } from './everyDocument.ts';
import { SqliteReadModelStore } from './sqlite/sqliteReadModelStore.ts';

describe('documentsOf / everyDocument', () => {
  it('pages through every selected document, in id order, across page boundaries', async () => {
    const store = new SqliteReadModelStore({ path: ':memory:' });
    const collection = await store.collection('items', { indexes: ['kind'] });
    const ids = Array.from({ length: 23 }, (_, n) => `item-${String(n).padStart(2, '0')}`);
    await collection.write(
      ids.map((id, n) => ({ id, data: { kind: n % 3 === 0 ? 'a' : 'b', n }, versions: {} })),
    );
    const seen: string[] = [];
    for await (const document of documentsOf(collection, {}, 5)) seen.push(document.id);
    expect(seen).toEqual(ids);
    const kindA = await everyDocument(collection, { kind: 'a' });
    expect(kindA.map((data) => data['n'])).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    await store.close();
  });
});
