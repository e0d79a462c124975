import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { masterKeyFromBase64, type MasterKey } from '@aman/crypto';
import type { Logger } from '@aman/service-kit';

/**
 * The master key that wraps every case's data key. Configured: AMAN_MASTER_KEY (32 bytes,
 * base64) with AMAN_MASTER_KEY_ID — a KMS in production. The embedded default generates one
 * into the data directory on first start (owner-only) and says so loudly; the distributed mode
 * refuses to start without a configured key.
 */
export function loadMasterKey(options: {
  readonly configured: { readonly id: string | undefined; readonly key: string | undefined };
  readonly mode: 'embedded' | 'distributed';
  readonly dataDir: string;
  readonly logger: Logger;
}): MasterKey {
  const { id, key } = options.configured;
  if (key !== undefined) return masterKeyFromBase64(id ?? 'master-1', key);
  if (options.mode === 'distributed') {
    throw new Error('AMAN_MASTER_KEY is required in the distributed mode');
  }
  const path = join(options.dataDir, 'intake.master-key.json');
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { id: string; key: string };
    return masterKeyFromBase64(stored.id, stored.key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = {
    id: `local-${Date.now().toString(36)}`,
    key: randomBytes(32).toString('base64'),
  };
  writeFileSync(path, JSON.stringify(generated), { mode: 0o600, flag: 'wx' });
  options.logger.warn(
    { path },
    'generated a master key in the data directory: fine for trying Aman, not for real cases (set AMAN_MASTER_KEY, or use a KMS)',
  );
  return masterKeyFromBase64(generated.id, generated.key);
}
