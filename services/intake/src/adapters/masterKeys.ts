import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { masterKeyFromBase64, type MasterKey } from '@aman/crypto';
import { ValidationError } from '@aman/errors';
import type { Logger } from '@aman/service-kit';

/**
 * The master keys that wrap cases' data keys: the current one wraps new keys; retired ones still
 * open keys wrapped before a rotation, until the rotation command has rewrapped them all.
 */
export type MasterKeyring = {
  readonly current: MasterKey;
  readonly byId: ReadonlyMap<string, Uint8Array>;
};

export type MasterKeyConfig = {
  readonly id: string | undefined;
  readonly key: string | undefined;
  /** `id:base64,id:base64`: keys retired by rotations, kept until nothing is wrapped by them. */
  readonly retired: string | undefined;
};

type StoredKey = { id: string; key: string };
type KeyFile = { current: StoredKey; retired: StoredKey[] };

const KEY_FILE = 'intake.master-key.json';

function ring(current: MasterKey, retired: readonly MasterKey[]): MasterKeyring {
  const byId = new Map<string, Uint8Array>();
  for (const key of [...retired, current]) byId.set(key.id, key.key);
  return { current, byId };
}

function parseRetired(text: string | undefined): MasterKey[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry) => {
    const at = entry.indexOf(':');
    if (at <= 0) throw new ValidationError('AMAN_MASTER_KEYS_RETIRED must be id:base64,id:base64');
    return masterKeyFromBase64(entry.slice(0, at).trim(), entry.slice(at + 1).trim());
  });
}

function readKeyFile(path: string): KeyFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<KeyFile> & Partial<StoredKey>;
  // The first format held one key: { id, key }.
  if (parsed.current === undefined && parsed.id !== undefined && parsed.key !== undefined) {
    return { current: { id: parsed.id, key: parsed.key }, retired: [] };
  }
  if (parsed.current === undefined) throw new ValidationError(`${path} holds no current key`);
  return { current: parsed.current, retired: parsed.retired ?? [] };
}

/** Written whole, owner-only, then renamed over the old file: never half a key file. */
function writeKeyFile(path: string, file: KeyFile): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}

function fromFile(file: KeyFile): MasterKeyring {
  return ring(
    masterKeyFromBase64(file.current.id, file.current.key),
    file.retired.map((key) => masterKeyFromBase64(key.id, key.key)),
  );
}

/** A fresh key with an id of its own: two made in one millisecond must not share an id. */
function generated(): StoredKey {
  return {
    id: `local-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
    key: randomBytes(32).toString('base64'),
  };
}

/**
 * Configured: AMAN_MASTER_KEY (32 bytes, base64) with AMAN_MASTER_KEY_ID, and the retired keys in
 * AMAN_MASTER_KEYS_RETIRED — a KMS in production. The embedded default generates one into the
 * data directory on first start (owner-only) and says so loudly; the distributed mode refuses to
 * start without a configured key.
 */
export function loadMasterKeys(options: {
  readonly configured: MasterKeyConfig;
  readonly mode: 'embedded' | 'distributed';
  readonly dataDir: string;
  readonly logger: Logger;
}): MasterKeyring {
  const { id, key, retired } = options.configured;
  if (key !== undefined) {
    return ring(masterKeyFromBase64(id ?? 'master-1', key), parseRetired(retired));
  }
  if (options.mode === 'distributed') {
    throw new Error('AMAN_MASTER_KEY is required in the distributed mode');
  }
  const path = join(options.dataDir, KEY_FILE);
  const stored = readKeyFile(path);
  if (stored !== undefined) return fromFile(stored);
  const file: KeyFile = { current: generated(), retired: [] };
  writeFileSync(path, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  options.logger.warn(
    { path },
    'generated a master key in the data directory: fine for trying Aman, not for real cases (set AMAN_MASTER_KEY, or use a KMS)',
  );
  return fromFile(file);
}

/**
 * Embedded mode's rotation, first step: a new current key in the data directory's key file, the
 * old one retired (still able to open what it wrapped). The rewrap follows (`rotateMasterKey`).
 */
export function rotateLocalMasterKey(dataDir: string): MasterKeyring {
  const path = join(dataDir, KEY_FILE);
  const stored = readKeyFile(path);
  if (stored === undefined) throw new ValidationError(`no master key file in ${dataDir}`);
  const file: KeyFile = { current: generated(), retired: [...stored.retired, stored.current] };
  writeKeyFile(path, file);
  return fromFile(file);
}

/** Embedded mode: drops retired keys from the key file once nothing is wrapped by them. */
export function forgetRetiredLocalKeys(dataDir: string): void {
  const path = join(dataDir, KEY_FILE);
  const stored = readKeyFile(path);
  if (stored === undefined) return;
  writeKeyFile(path, { current: stored.current, retired: [] });
}

/**
 * The blind index's HMAC key: never the master key (a leak of one must not give the other).
 * Configured (AMAN_BLIND_INDEX_KEY) or, in embedded mode, generated into the data directory.
 */
export function loadBlindIndexKey<K>(options: {
  readonly configured: string | undefined;
  readonly parse: (id: string, base64: string) => K;
  readonly mode: 'embedded' | 'distributed';
  readonly dataDir: string;
  readonly logger: Logger;
}): K {
  if (options.configured !== undefined) return options.parse('bi-1', options.configured);
  if (options.mode === 'distributed') {
    throw new Error('AMAN_BLIND_INDEX_KEY is required in the distributed mode');
  }
  const path = join(options.dataDir, 'intake.blind-index-key.json');
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredKey;
    return options.parse(stored.id, stored.key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key: StoredKey = { id: 'local-bi-1', key: randomBytes(32).toString('base64') };
  writeFileSync(path, JSON.stringify(key), { mode: 0o600, flag: 'wx' });
  options.logger.warn({ path }, 'generated the duplicate index key in the data directory');
  return options.parse(key.id, key.key);
}
