import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, jest } from '@jest/globals';

import type { Logger } from '@aman/service-kit';

import { forgetRetiredLocalKeys, loadMasterKeys, rotateLocalMasterKey } from './masterKeys.ts';

const base64 = (fill: number): string => Buffer.alloc(32, fill).toString('base64');
const none = { id: undefined, key: undefined, retired: undefined };

describe('master keys', () => {
  const dirs: string[] = [];
  const scratch = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'aman-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const logger = (): { logger: Logger; warn: jest.Mock } => {
    const warn = jest.fn();
    return { logger: { warn } as unknown as Logger, warn };
  };

  it('generates one on first start in embedded mode, owner-only, and says so', () => {
    const dataDir = scratch();
    const { logger: log, warn } = logger();
    const first = loadMasterKeys({ configured: none, mode: 'embedded', dataDir, logger: log });
    const path = join(dataDir, 'intake.master-key.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warn).toHaveBeenCalledTimes(1);
    // The warning names the file, never the key.
    expect(JSON.stringify(warn.mock.calls)).not.toContain(
      Buffer.from(first.current.key).toString('base64'),
    );
    const again = loadMasterKeys({ configured: none, mode: 'embedded', dataDir, logger: log });
    expect(again.current.id).toBe(first.current.id);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('refuses to start the distributed mode without a configured key', () => {
    expect(() =>
      loadMasterKeys({
        configured: none,
        mode: 'distributed',
        dataDir: scratch(),
        logger: logger().logger,
      }),
    ).toThrow('AMAN_MASTER_KEY is required');
  });

  it('takes the configured key as current and the retired ones beside it', () => {
    const keys = loadMasterKeys({
      configured: { id: 'k2', key: base64(2), retired: `k1:${base64(1)}, k0:${base64(9)}` },
      mode: 'distributed',
      dataDir: scratch(),
      logger: logger().logger,
    });
    expect(keys.current.id).toBe('k2');
    expect([...keys.byId.keys()].sort()).toEqual(['k0', 'k1', 'k2']);
    expect(() =>
      loadMasterKeys({
        configured: { id: 'k2', key: base64(2), retired: 'no-colon' },
        mode: 'distributed',
        dataDir: scratch(),
        logger: logger().logger,
      }),
    ).toThrow('AMAN_MASTER_KEYS_RETIRED');
  });

  it('rotates the local key: a new current one, the old one retired until forgotten', () => {
    const dataDir = scratch();
    const { logger: log } = logger();
    const old = loadMasterKeys({ configured: none, mode: 'embedded', dataDir, logger: log });
    const rotated = rotateLocalMasterKey(dataDir);
    expect(rotated.current.id).not.toBe(old.current.id);
    expect(rotated.byId.get(old.current.id)).toEqual(old.current.key);
    const path = join(dataDir, 'intake.master-key.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    forgetRetiredLocalKeys(dataDir);
    const after = loadMasterKeys({ configured: none, mode: 'embedded', dataDir, logger: log });
    expect([...after.byId.keys()]).toEqual([rotated.current.id]);
  });

  it('reads the first key file format, a single { id, key }', () => {
    const dataDir = scratch();
    writeFileSync(
      join(dataDir, 'intake.master-key.json'),
      JSON.stringify({ id: 'old', key: base64(5) }),
    );
    const keys = loadMasterKeys({
      configured: none,
      mode: 'embedded',
      dataDir,
      logger: logger().logger,
    });
    expect(keys.current.id).toBe('old');
    expect(readFileSync(join(dataDir, 'intake.master-key.json'), 'utf8')).toContain('"old"');
  });
});
