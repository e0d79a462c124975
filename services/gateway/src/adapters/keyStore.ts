import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { ReadModelCollection, ReadModelStore } from '@aman/projections';
import type { OrganisationType, Principal } from '@aman/service-kit';

import { apiKeyId, formatApiKey, isWellFormedApiKey } from '../domain/apiKeys.ts';

export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly type: OrganisationType;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** SHA-256 of the whole key: what is stored and looked up. Keys have ≥128 random bits, so a fast hash is enough. */
function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Uniform base62 characters: bytes of 248 and above are dropped rather than folded (no bias). */
function uniformBytes(count: number): Uint8Array {
  const out: number[] = [];
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) if (byte < 248 && out.length < count) out.push(byte);
  }
  return Uint8Array.from(out);
}

/**
 * The gateway's only persistent data: organisations and their API keys, stored hashed. A key is
 * shown once, when issued; revoking it makes every later request with it a 401.
 */
export class ApiKeyStore {
  readonly #organisations: ReadModelCollection;
  readonly #keys: ReadModelCollection;

  private constructor(organisations: ReadModelCollection, keys: ReadModelCollection) {
    this.#organisations = organisations;
    this.#keys = keys;
  }

  static async open(store: ReadModelStore): Promise<ApiKeyStore> {
    return new ApiKeyStore(
      await store.collection('organisations', { indexes: ['type'] }),
      await store.collection('api_keys', { indexes: ['organisationId', 'keyId'] }),
    );
  }

  async createOrganisation(name: string, type: OrganisationType): Promise<Organisation> {
    const organisation = { id: `org_${randomUUID()}`, name, type };
    await this.#organisations.write([{ id: organisation.id, data: { name, type }, versions: {} }]);
    return organisation;
  }

  async organisation(id: string): Promise<Organisation | undefined> {
    const document = await this.#organisations.get(id);
    if (document?.data === undefined) return undefined;
    return {
      id,
      name: text(document.data['name']),
      type: document.data['type'] as OrganisationType,
    };
  }

  /** A new key for the organisation: returned once, stored only as its hash. */
  async issueKey(organisationId: string): Promise<{ key: string; keyId: string }> {
    const organisation = await this.organisation(organisationId);
    if (organisation === undefined) throw new Error('no such organisation');
    const key = formatApiKey(uniformBytes(30));
    const keyId = apiKeyId(key);
    await this.#keys.write([
      {
        id: keyHash(key),
        data: {
          keyId,
          organisationId,
          organisationType: organisation.type,
          createdAt: new Date().toISOString(),
          revoked: false,
        },
        versions: {},
      },
    ]);
    return { key, keyId };
  }

  /** The principal a key stands for, or undefined for a malformed, unknown or revoked key. */
  async authenticate(key: string): Promise<Principal | undefined> {
    if (!isWellFormedApiKey(key)) return undefined;
    const document = await this.#keys.get(keyHash(key));
    const data = document?.data;
    if (data === undefined || data['revoked'] === true) return undefined;
    return {
      organisationId: text(data['organisationId']),
      organisationType: data['organisationType'] as OrganisationType,
      keyId: text(data['keyId']),
    };
  }
}
