import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { NotFoundError } from '@aman/errors';
import {
  documentsOf,
  type ReadModelCollection,
  type ReadModelDocument,
  type ReadModelStore,
} from '@aman/projections';
import type { OrganisationType, Principal } from '@aman/service-kit';

import { apiKeyId, formatApiKey, isWellFormedApiKey } from '../domain/apiKeys.ts';

export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly type: OrganisationType;
}

/** What is known of a key: never the key itself, which is stored only as its hash. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly organisationId: string;
  readonly createdAt: string;
  /** '' when never used. Recorded at most once a minute per key. */
  readonly lastUsedAt: string;
  /** '' while the key is valid. */
  readonly revokedAt: string;
}

/** How often a key's last-used time is written: a busy key must not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

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

/** A new API key: 30 uniform base62 characters from the CSPRNG (≈178 bits) and its checksum. */
export function newApiKey(): string {
  return formatApiKey(uniformBytes(30));
}

/**
 * The gateway's only persistent data: organisations and their API keys, stored hashed. A key is
 * shown once, when issued; revoking it makes the very next request with it a 401 (every request
 * reads the store: no cache, no grace period). Each key records when it was last used.
 */
export class ApiKeyStore {
  readonly #organisations: ReadModelCollection;
  readonly #keys: ReadModelCollection;
  readonly #now: () => number;

  private constructor(
    organisations: ReadModelCollection,
    keys: ReadModelCollection,
    now: () => number,
  ) {
    this.#organisations = organisations;
    this.#keys = keys;
    this.#now = now;
  }

  /** `now`: the clock of last-used times (tests). */
  static async open(
    store: ReadModelStore,
    options: { readonly now?: () => number } = {},
  ): Promise<ApiKeyStore> {
    return new ApiKeyStore(
      await store.collection('organisations', { indexes: ['type'] }),
      await store.collection('api_keys', { indexes: ['organisationId', 'keyId'] }),
      options.now ?? Date.now,
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
    const key = newApiKey();
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

  async organisations(): Promise<Organisation[]> {
    const organisations: Organisation[] = [];
    for await (const { id, data } of documentsOf(this.#organisations)) {
      organisations.push({ id, name: text(data['name']), type: data['type'] as OrganisationType });
    }
    return organisations;
  }

  /** The keys of an organisation: ids and times, never a secret. */
  async keys(organisationId: string): Promise<ApiKeyRecord[]> {
    return (await this.#keyDocuments({ organisationId })).map(({ data }) => recordOf(data));
  }

  /** Revokes one key at once; revoking it again changes nothing. */
  async revokeKey(keyId: string): Promise<ApiKeyRecord> {
    const [found] = await this.#keyDocuments({ keyId });
    if (found === undefined) throw new NotFoundError('no such API key');
    return (await this.#revoke([found]))[0] ?? recordOf(found.data);
  }

  /** Revokes every key of an organisation at once (a compromised organisation). */
  async revokeOrganisation(organisationId: string): Promise<ApiKeyRecord[]> {
    if ((await this.organisation(organisationId)) === undefined) {
      throw new NotFoundError('no such organisation');
    }
    return this.#revoke(await this.#keyDocuments({ organisationId }));
  }

  /** The principal a key stands for, or undefined for a malformed, unknown or revoked key. */
  async authenticate(key: string): Promise<Principal | undefined> {
    if (!isWellFormedApiKey(key)) return undefined;
    const id = keyHash(key);
    const document = await this.#keys.get(id);
    const data = document?.data;
    if (data === undefined || data['revoked'] === true) return undefined;
    const lastUsed = Date.parse(text(data['lastUsedAt']));
    const now = this.#now();
    if (Number.isNaN(lastUsed) || now - lastUsed >= LAST_USED_RESOLUTION_MS) {
      await this.#keys.write([
        { id, data: { ...data, lastUsedAt: new Date(now).toISOString() }, versions: {} },
      ]);
    }
    return {
      organisationId: text(data['organisationId']),
      organisationType: data['organisationType'] as OrganisationType,
      keyId: text(data['keyId']),
    };
  }

  async #keyDocuments(
    where: Record<string, string>,
  ): Promise<{ id: string; data: Record<string, unknown> }[]> {
    const found: { id: string; data: Record<string, unknown> }[] = [];
    for await (const document of documentsOf(this.#keys, where)) found.push(document);
    return found;
  }

  async #revoke(
    documents: readonly { id: string; data: Record<string, unknown> }[],
  ): Promise<ApiKeyRecord[]> {
    const at = new Date().toISOString();
    const revoked: ReadModelDocument[] = documents
      .filter(({ data }) => data['revoked'] !== true)
      .map(({ id, data }) => ({
        id,
        data: { ...data, revoked: true, revokedAt: at },
        versions: {},
      }));
    if (revoked.length > 0) await this.#keys.write(revoked);
    const byId = new Map(revoked.map((document) => [document.id, document.data]));
    return documents.map(({ id, data }) => recordOf(byId.get(id) ?? data));
  }
}

function recordOf(data: Record<string, unknown> | undefined): ApiKeyRecord {
  return {
    keyId: text(data?.['keyId']),
    organisationId: text(data?.['organisationId']),
    createdAt: text(data?.['createdAt']),
    lastUsedAt: text(data?.['lastUsedAt']),
    revokedAt: text(data?.['revokedAt']),
  };
}
