import type { WrappedDataKey } from '@aman/crypto';
import type { ReadModelCollection, ReadModelStore } from '@aman/projections';

/**
 * Where cases' wrapped data keys live: outside the immutable event log, so that erasure can
 * destroy them (crypto-shredding). One record per case, keyed by its data key id.
 */
export class DataKeyVault {
  readonly #keys: ReadModelCollection;

  private constructor(keys: ReadModelCollection) {
    this.#keys = keys;
  }

  static async open(store: ReadModelStore): Promise<DataKeyVault> {
    return new DataKeyVault(await store.collection('data_keys', { indexes: [] }));
  }

  async put(dataKeyId: string, wrapped: WrappedDataKey): Promise<void> {
    await this.#keys.write([{ id: dataKeyId, data: { ...wrapped }, versions: {} }]);
  }

  async get(dataKeyId: string): Promise<WrappedDataKey | undefined> {
    const data = (await this.#keys.get(dataKeyId))?.data;
    if (data === undefined) return undefined;
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return {
      masterKeyId: text(data['masterKeyId']),
      nonce: text(data['nonce']),
      ciphertext: text(data['ciphertext']),
      tag: text(data['tag']),
    };
  }
}
