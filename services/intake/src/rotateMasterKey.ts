// Master-key rotation: `pnpm rotate-master-key`, with intake's environment, intake stopped (or,
// distributed, every intake replica already restarted with the new key as AMAN_MASTER_KEY and the
// old one in AMAN_MASTER_KEYS_RETIRED). Embedded without a configured key: a new key is generated
// into the data directory first. Then every data key is rewrapped under the current master key;
// sealed values are untouched. A second run that rewraps 0 keys shows the retired keys can go.
import { Platform, createLogger, env, environmentOf, loadConfig } from '@aman/service-kit';

import { DataKeyVault } from './adapters/dataKeyVault.ts';
import {
  forgetRetiredLocalKeys,
  loadMasterKeys,
  rotateLocalMasterKey,
} from './adapters/masterKeys.ts';
import { rewrapDataKeys } from './application/intakeCases.ts';

const logger = createLogger('intake-rotate-master-key');
const environment = environmentOf();
const config = loadConfig({
  masterKey: env.optional('AMAN_MASTER_KEY', 'the master key, 32 bytes in base64'),
  masterKeyId: env.optional('AMAN_MASTER_KEY_ID', 'the id of AMAN_MASTER_KEY'),
  retired: env.optional('AMAN_MASTER_KEYS_RETIRED', 'retired master keys, id:base64,...'),
});
const platform = new Platform(environment.platform, 'intake', logger);
try {
  const local = config.masterKey === undefined && platform.mode === 'embedded';
  const settings = { mode: platform.mode, dataDir: environment.dataDir, logger };
  const configured = { id: config.masterKeyId, key: config.masterKey, retired: config.retired };
  // Loaded first: in embedded mode this creates the key file on a fresh data directory.
  let keys = loadMasterKeys({ configured, ...settings });
  if (local) keys = rotateLocalMasterKey(environment.dataDir);
  const vault = await DataKeyVault.open(await platform.vault());
  const rewrapped = await rewrapDataKeys(vault, keys);
  if (local) forgetRetiredLocalKeys(environment.dataDir);
  process.stdout.write(
    `rewrapped ${rewrapped} data keys under master key ${keys.current.id}` +
      (local ? '; the retired local key is gone' : '') +
      '\n',
  );
} finally {
  await platform.close();
}
