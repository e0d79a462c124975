import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import type { CheckpointStore } from '../checkpoints.ts';

/** The behaviour every CheckpointStore adapter must have. */
export function checkpointContract(
  name: string,
  open: () => Promise<{ store: CheckpointStore; dispose: () => Promise<void> }>,
): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    let store: CheckpointStore;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ store, dispose } = await open());
    });

    afterAll(async () => {
      await store.close();
      await dispose();
    });

    it('starts at 0 and remembers what was saved', async () => {
      expect(await store.load('relay:a')).toBe(0);
      await store.save('relay:a', 42);
      await store.save('relay:b', 7);
      expect(await store.load('relay:a')).toBe(42);
      expect(await store.load('relay:b')).toBe(7);
    });

    it('never moves backwards unless a rebuild asks for it', async () => {
      await store.save('proj:x', 100);
      await store.save('proj:x', 60);
      expect(await store.load('proj:x')).toBe(100);
      await store.save('proj:x', 0, { allowRewind: true });
      expect(await store.load('proj:x')).toBe(0);
    });

    it('rejects a position that is not a non-negative integer', async () => {
      for (const position of [-1, 1.5, Number.NaN]) {
        await expectAmanError(store.save('proj:y', position), 'AMAN_ERR_VALIDATION');
      }
      expect(await store.load('proj:y')).toBe(0);
    });
  });
}
