import type { WrappedDataKey } from '@aman/crypto';
import { documentsOf, type ReadModelCollection, type ReadModelStore } from '@aman/projections';

/**
 * Where cases' wrapped data keys live: outside the immutable event log, so that erasure can
 * destroy them (crypto-shredding). One record per case, keyed by its data key id. A destroyed key
 * leaves a tombstone (no key material), so a destroyed case reads as erased, not as missing.
 */
export class DataKeyVault {
  readonly #keys: ReadModelCollection;

  private constructor(keys: ReadModelCollection) {
    this.#keys = keys;
  }

  /** `store`: the platform's vault (`Platform.vault()`), which deletes for good. */
  static async open(store: ReadModelStore): Promise<DataKeyVault> {
    return new DataKeyVault(await store.collection('data_keys', { indexes: [] }));
  }

  async put(dataKeyId: string, wrapped: WrappedDataKey): Promise<void> {
    await this.#keys.write([{ id: dataKeyId, data: { ...wrapped }, versions: {} }]);
  }

  /** The wrapped key; 'destroyed' after erasure; undefined if it never existed. */
  async get(dataKeyId: string): Promise<WrappedDataKey | 'destroyed' | undefined> {
    const document = await this.#keys.get(dataKeyId);
    if (document === undefined) return undefined;
    return document.data === undefined ? 'destroyed' : wrappedOf(document.data);
  }

  /** Crypto-shredding: the key material is overwritten by a tombstone. */
  async destroy(dataKeyId: string): Promise<void> {
    await this.#keys.write([{ id: dataKeyId, data: undefined, versions: {} }]);
  }

  /** Every live wrapped key, a page at a time (master-key rotation). */
  async *entries(): AsyncGenerator<[string, WrappedDataKey]> {
    for await (const item of documentsOf(this.#keys, {}, 200))
      yield [item.id, wrappedOf(item.data)];
  }
}

function wrappedOf(data: Record<string, unknown>): WrappedDataKey {
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    masterKeyId: text(data['masterKeyId']),
    nonce: text(data['nonce']),
    ciphertext: text(data['ciphertext']),
    tag: text(data['tag']),
  };
}
