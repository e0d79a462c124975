import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ValidationError } from '@aman/errors';
import { GENESIS_HASH, canonicalJson } from '@aman/eventstore';

export const CHECKPOINT_FORMAT = 'aman-checkpoint-v1';

/**
 * What a service states about its own store at one moment: as of global position
 * `headPosition`, it held `streamCount` streams whose heads give `merkleRoot`. Each checkpoint
 * names the hash of the one before, so a service's checkpoints form a chain of their own.
 */
export type CheckpointBody = {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly service: string;
  /** 1 for a service's first checkpoint, then one more for each. */
  readonly sequence: number;
  readonly headPosition: number;
  readonly streamCount: number;
  /** RFC 6962 tree hash over the heads (stream, version, hash) in stream-name order, hex. */
  readonly merkleRoot: string;
  /** ISO-8601 UTC, when the service computed it. */
  readonly createdAt: string;
  /** `checkpointHash` of the previous checkpoint, or the genesis hash for the first. */
  readonly previousHash: string;
};

/** A checkpoint with the service's Ed25519 signature over its canonical JSON, base64url. */
export type SignedCheckpoint = CheckpointBody & { readonly signature: string };

/** Signs with a service's own key; the key never leaves it. */
export interface CheckpointSigner {
  readonly service: string;
  sign(bytes: Uint8Array): Promise<string>;
}

/** Where a verifier finds a service's public key (the key directory, or a third party's copy). */
export interface PublicKeys {
  publicKeyOf(service: string): Promise<KeyObject | undefined>;
}

/** The bytes signed and hashed: the body alone, as canonical JSON (sorted keys, no spaces). */
export function checkpointBytes(checkpoint: CheckpointBody): Buffer {
  const body: CheckpointBody = {
    format: checkpoint.format,
    service: checkpoint.service,
    sequence: checkpoint.sequence,
    headPosition: checkpoint.headPosition,
    streamCount: checkpoint.streamCount,
    merkleRoot: checkpoint.merkleRoot,
    createdAt: checkpoint.createdAt,
    previousHash: checkpoint.previousHash,
  };
  return Buffer.from(canonicalJson(body), 'utf8');
}

/** SHA-256 of the body's canonical JSON, hex: what the next checkpoint chains to. */
export function checkpointHash(checkpoint: CheckpointBody): string {
  return createHash('sha256').update(checkpointBytes(checkpoint)).digest('hex');
}

export const FIRST_PREVIOUS_HASH = GENESIS_HASH;

/** Signs with an Ed25519 private key in JWK form (`<service>.key.jwk`). */
export function ed25519Signer(service: string, privateJwk: object): CheckpointSigner {
  const key = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
  return {
    service,
    sign: (bytes) => Promise.resolve(sign(null, bytes, key).toString('base64url')),
  };
}

/** True when the service's public key verifies the checkpoint's signature. */
export async function signatureHolds(
  checkpoint: SignedCheckpoint,
  keys: PublicKeys,
): Promise<boolean> {
  const key = await keys.publicKeyOf(checkpoint.service);
  if (key === undefined) return false;
  try {
    return verify(
      null,
      checkpointBytes(checkpoint),
      key,
      Buffer.from(checkpoint.signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
const HEX_64 = /^[0-9a-f]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * A signed checkpoint from untrusted JSON (a file, a consumed event). Numbers absent from a
 * protobuf-decoded form are its defaults (0); anything malformed is a ValidationError.
 */
export function parseCheckpoint(value: unknown): SignedCheckpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('a checkpoint must be a JSON object');
  }
  const given = value as Record<string, unknown>;
  const text = (field: string, pattern: RegExp): string => {
    const found = given[field];
    if (typeof found !== 'string' || !pattern.test(found)) {
      throw new ValidationError(`the checkpoint's ${field} is missing or malformed`);
    }
    return found;
  };
  const count = (field: string): number => {
    const found = given[field] ?? 0;
    if (typeof found !== 'number' || !Number.isSafeInteger(found) || found < 0) {
      throw new ValidationError(`the checkpoint's ${field} must be a non-negative integer`);
    }
    return found;
  };
  if (given['format'] !== CHECKPOINT_FORMAT) {
    throw new ValidationError(`a checkpoint's format must be ${CHECKPOINT_FORMAT}`);
  }
  const createdAt = text('createdAt', /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
  if (Number.isNaN(Date.parse(createdAt))) {
    throw new ValidationError("the checkpoint's createdAt is not a time");
  }
  return {
    format: CHECKPOINT_FORMAT,
    service: text('service', SERVICE_NAME),
    sequence: count('sequence'),
    headPosition: count('headPosition'),
    streamCount: count('streamCount'),
    merkleRoot: text('merkleRoot', HEX_64),
    createdAt,
    previousHash: text('previousHash', HEX_64),
    signature: text('signature', BASE64URL),
  };
}

/**
 * Public keys read from a key directory: `<service>.pub.jwk`, as ServiceIdentity writes them.
 * A third party keeps a copy of these files beside its copy of the checkpoints.
 */
export class KeyDirectory implements PublicKeys {
  readonly #dir: string;
  readonly #keys = new Map<string, KeyObject>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  publicKeyOf(service: string): Promise<KeyObject | undefined> {
    if (!SERVICE_NAME.test(service)) return Promise.resolve(undefined);
    const known = this.#keys.get(service);
    if (known !== undefined) return Promise.resolve(known);
    let jwk: { kty?: unknown; crv?: unknown; x?: unknown };
    try {
      jwk = JSON.parse(readFileSync(join(this.#dir, `${service}.pub.jwk`), 'utf8')) as typeof jwk;
    } catch {
      return Promise.resolve(undefined);
    }
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      return Promise.resolve(undefined);
    }
    // The public part only, whatever else the file holds.
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    this.#keys.set(service, key);
    return Promise.resolve(key);
  }
}
