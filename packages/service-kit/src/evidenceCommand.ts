import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  CHECKPOINT_COLLECTED,
  CheckpointIssuer,
  FIRST_PREVIOUS_HASH,
  KeyDirectory,
  checkpointHash,
  parseCheckpoint,
  signatureHolds,
  verifyStoreAgainst,
  type SignedCheckpoint,
} from '@aman/evidence';

import { ServiceIdentity } from './identity.ts';
import { createLogger } from './logger.ts';
import { Platform } from './platform.ts';
import { environmentOf } from './run.ts';

const USAGE = `usage:
  pnpm evidence:checkpoint --service <name>              issue a checkpoint now (prints it)
  pnpm evidence:verify --service <name> --checkpoint <file> [--keys <dir>]
                                                         check the service's store against the
                                                         newest of its checkpoints in the file
                                                         (a JSON checkpoint, or the JSON lines
                                                         evidence:export writes)
  pnpm evidence:export [--out <file>]                    every checkpoint accountability
                                                         collected, as JSON lines
The store is the one the environment names (AMAN_DATA_DIR, or MONGODB_URI and KAFKA_BROKERS).`;

class UsageError extends Error {}

/** Opens `service`'s platform as the environment says, runs `work`, closes it. */
async function withPlatform<T>(
  service: string,
  work: (platform: Platform, keysDir: string) => Promise<T>,
): Promise<T> {
  const environment = environmentOf();
  const platform = new Platform(environment.platform, service, createLogger(service, 'warn'));
  try {
    return await work(platform, environment.keysDir);
  } finally {
    await platform.close();
  }
}

/** The checkpoints in a file: one JSON object, or JSON lines. */
function checkpointsIn(file: string): SignedCheckpoint[] {
  const text = readFileSync(file, 'utf8').trim();
  const lines = text.startsWith('{') && !text.includes('\n{') ? [text] : text.split('\n');
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => parseCheckpoint(JSON.parse(line)));
}

/** The service's checkpoints in sequence order: each signed, each linked to the one before. */
async function chainProblems(
  checkpoints: readonly SignedCheckpoint[],
  keys: KeyDirectory,
): Promise<string[]> {
  const problems: string[] = [];
  let previous: SignedCheckpoint | undefined;
  for (const checkpoint of checkpoints) {
    if (!(await signatureHolds(checkpoint, keys))) {
      problems.push(`checkpoint ${checkpoint.sequence} is not signed by its service's key`);
    }
    const expected =
      checkpoint.sequence === 1
        ? FIRST_PREVIOUS_HASH
        : previous?.sequence === checkpoint.sequence - 1
          ? checkpointHash(previous)
          : undefined;
    if (expected !== undefined && checkpoint.previousHash !== expected) {
      problems.push(`checkpoint ${checkpoint.sequence} does not link to the one before it`);
    }
    if (previous !== undefined && checkpoint.headPosition < previous.headPosition) {
      problems.push(`checkpoint ${checkpoint.sequence} has a head before its predecessor's`);
    }
    previous = checkpoint;
  }
  return problems;
}

async function verifyCommand(service: string, file: string, keysOption?: string): Promise<boolean> {
  const all = checkpointsIn(file).filter((checkpoint) => checkpoint.service === service);
  const checkpoints = all.sort((a, b) => a.sequence - b.sequence);
  const newest = checkpoints[checkpoints.length - 1];
  if (newest === undefined) throw new UsageError(`${file} holds no checkpoint of ${service}`);
  return withPlatform(service, async (platform, keysDir) => {
    const keys = new KeyDirectory(keysOption ?? keysDir);
    const problems = await chainProblems(checkpoints, keys);
    const store = await platform.eventStore();
    const report = await verifyStoreAgainst(store, newest, keys);
    const out: string[] = [
      `${service}: checked against checkpoint ${newest.sequence} of ${newest.createdAt} (head position ${newest.headPosition}, ${newest.streamCount} streams)`,
      ...report.findings.map((f) => `  ${f.ok ? 'ok  ' : 'FAIL'} ${f.check}: ${f.detail}`),
      `  ${problems.length === 0 ? 'ok  ' : 'FAIL'} checkpoint chain: ${problems.length === 0 ? `${checkpoints.length} checkpoint(s) signed and linked` : problems.join('; ')}`,
    ];
    const ok = report.ok && problems.length === 0;
    out.push(ok ? 'VERIFIED' : 'NOT VERIFIED: the store does not hold what it held');
    process.stdout.write(`${out.join('\n')}\n`);
    return ok;
  });
}

async function checkpointCommand(service: string): Promise<void> {
  await withPlatform(service, async (platform, keysDir) => {
    // The service's own key: never create one here, that would be another service's identity.
    if (!existsSync(join(keysDir, `${service}.key.jwk`))) {
      throw new UsageError(`no key of ${service} in ${keysDir}`);
    }
    const identity = await ServiceIdentity.load(service, keysDir);
    const store = await platform.eventStore();
    const issued = await new CheckpointIssuer({
      store,
      signer: identity.checkpointSigner,
    }).issue({ force: true });
    if (issued === undefined) throw new Error('another instance issued a checkpoint just now');
    process.stdout.write(`${JSON.stringify(issued)}\n`);
  });
}

async function exportCommand(out: string | undefined): Promise<void> {
  const lines = await withPlatform('accountability', async (platform) => {
    const store = await platform.eventStore();
    const found: string[] = [];
    for (let after = 0; ;) {
      const page = await store.readAll({ after, limit: 1000 });
      if (page.length === 0) break;
      for (const event of page) {
        if (event.type === CHECKPOINT_COLLECTED) {
          found.push(JSON.stringify(parseCheckpoint(event.data)));
        }
      }
      after = page[page.length - 1]?.position ?? after;
    }
    return found;
  });
  const text = lines.map((line) => `${line}\n`).join('');
  if (out === undefined) process.stdout.write(text);
  else writeFileSync(out, text, { flag: 'wx' });
}

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      checkpoint: { type: 'string' },
      keys: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const [command] = positionals;
  const service = (): string => {
    if (values.service === undefined) throw new UsageError('--service is required');
    return values.service;
  };
  switch (command) {
    case 'verify': {
      if (values.checkpoint === undefined) throw new UsageError('--checkpoint is required');
      return (await verifyCommand(service(), values.checkpoint, values.keys)) ? 0 : 1;
    }
    case 'checkpoint':
      await checkpointCommand(service());
      return 0;
    case 'export':
      await exportCommand(values.out);
      return 0;
    default:
      throw new UsageError(`unknown command ${command ?? '(none)'}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    error instanceof UsageError ? `${error.message}\n${USAGE}\n` : `${(error as Error).message}\n`,
  );
  process.exitCode = 2;
}
