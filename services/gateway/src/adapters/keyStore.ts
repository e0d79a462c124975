import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { NotFoundError, ValidationError } from '@aman/errors';
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

/** What a key may do: `read` (GET) and `write` (everything else). */
export const KEY_SCOPES = ['read', 'write'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** A key's lifetime: a year unless said otherwise, never more than two. */
export const DEFAULT_KEY_DAYS = 365;
export const MAX_KEY_DAYS = 730;

/** The principal of a valid key, and what the key may do. */
export interface AuthenticatedKey {
  readonly principal: Principal;
  readonly scopes: readonly KeyScope[];
}

/** What is known of a key: never the key itself, which is stored only as its hash. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly organisationId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly scopes: readonly KeyScope[];
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

  /**
   * A new key for the organisation: returned once, stored only as its hash. It expires after
   * `days` (a year by default, at most two) and may do what `scopes` say (both by default).
   */
  async issueKey(
    organisationId: string,
    options: { readonly days?: number; readonly scopes?: readonly KeyScope[] } = {},
  ): Promise<{ key: string; keyId: string; expiresAt: string }> {
    const organisation = await this.organisation(organisationId);
    if (organisation === undefined) throw new NotFoundError('no such organisation');
    const days = options.days ?? DEFAULT_KEY_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > MAX_KEY_DAYS) {
      throw new ValidationError(`a key lives 1 to ${MAX_KEY_DAYS} days`);
    }
    const scopes = [...new Set(options.scopes ?? KEY_SCOPES)];
    if (scopes.length === 0 || scopes.some((scope) => !KEY_SCOPES.includes(scope))) {
      throw new ValidationError(`a key's scopes are among ${KEY_SCOPES.join(', ')}`);
    }
    const expiresAt = new Date(this.#now() + days * 86_400_000).toISOString();
    const key = newApiKey();
    const keyId = apiKeyId(key);
    await this.#keys.write([
      {
        id: keyHash(key),
        data: {
          keyId,
          organisationId,
          organisationType: organisation.type,
          createdAt: new Date(this.#now()).toISOString(),
          expiresAt,
          scopes,
          revoked: false,
        },
        versions: {},
      },
    ]);
    return { key, keyId, expiresAt };
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

  /**
   * The principal a key stands for and its scopes, or undefined for a malformed, unknown,
   * revoked or expired key.
   */
  async authenticate(key: string): Promise<AuthenticatedKey | undefined> {
    if (!isWellFormedApiKey(key)) return undefined;
    const id = keyHash(key);
    const document = await this.#keys.get(id);
    const data = document?.data;
    if (data === undefined || data['revoked'] === true) return undefined;
    const now = this.#now();
    // Keys issued before expiry existed have none: they live until revoked.
    const expiresAt = Date.parse(text(data['expiresAt']));
    if (!Number.isNaN(expiresAt) && expiresAt <= now) return undefined;
    const lastUsed = Date.parse(text(data['lastUsedAt']));
    if (Number.isNaN(lastUsed) || now - lastUsed >= LAST_USED_RESOLUTION_MS) {
      await this.#keys.write([
        { id, data: { ...data, lastUsedAt: new Date(now).toISOString() }, versions: {} },
      ]);
    }
    return {
      principal: {
        organisationId: text(data['organisationId']),
        organisationType: data['organisationType'] as OrganisationType,
        keyId: text(data['keyId']),
      },
      scopes: scopesOf(data['scopes']),
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

/** Keys issued before scopes existed may do everything. */
function scopesOf(value: unknown): KeyScope[] {
  return Array.isArray(value)
    ? KEY_SCOPES.filter((scope) => value.includes(scope))
    : [...KEY_SCOPES];
}

function recordOf(data: Record<string, unknown> | undefined): ApiKeyRecord {
  return {
    keyId: text(data?.['keyId']),
    organisationId: text(data?.['organisationId']),
    createdAt: text(data?.['createdAt']),
    expiresAt: text(data?.['expiresAt']),
    scopes: scopesOf(data?.['scopes']),
    lastUsedAt: text(data?.['lastUsedAt']),
    revokedAt: text(data?.['revokedAt']),
  };
}
