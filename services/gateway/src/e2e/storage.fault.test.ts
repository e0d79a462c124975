import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqliteIntegrity } from '@aman/eventstore/testing';
import { eventually } from '@aman/testing';

import { Admin, adminOptionsFromEnv } from '../admin.ts';
import { referralCase } from './cases.ts';
import { everyItem } from './ledger.ts';
import { ServiceProcesses, apiOf, callApi, platformEnv } from './platform.ts';

// Storage full (issue 12), in the embedded mode where SQLite is the store: intake restarts with
// its event store capped (AMAN_SQLITE_MAX_MB, PRAGMA max_page_count underneath, which fails a
// write with SQLITE_FULL as a full disk does, also when tests run as root). Submissions go on
// until one is refused: with a clear 503, nothing stored, every acknowledged case still there.
// Once there is room the refused submission, retried with its key, goes through.

const someone = (n: number) => ({
  fullName: 'Storage Testperson',
  phone: `+93 700 777 ${String(n).padStart(3, '0')}`,
  place: `Testabad, Row ${String(n)}`,
});
const body = (n: number) =>
  referralCase(someone(n), 'low', ['NEED_LEGAL_AID'], ['RECIPIENT_TYPE_LEGAL_AID']);

describe('a full disk under intake, embedded mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aman-storage-full-'));
  const offset = 400;
  const api = apiOf(offset);
  const env = platformEnv({ mode: 'embedded', dataDir, offset, prefix: 'storage' });
  const services = new ServiceProcesses(env);
  let ngo = '';

  beforeAll(async () => {
    await services.startAll();
    const admin = await Admin.open(adminOptionsFromEnv(env));
    try {
      ngo = (await admin.createOrganisation('Storage NGO', 'ngo')).key;
    } finally {
      await admin.close();
    }
  }, 240_000);

  afterAll(async () => {
    await services.stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const submit = (n: number) =>
    callApi(api, 'POST', '/v1/cases', ngo, {
      body: body(n),
      idempotencyKey: `storage-${String(n)}`,
    });

  it('refuses a submission that does not fit with a clear 503, loses nothing, and takes it once there is room', async () => {
    await services.kill('intake');
    await services.start('intake', { AMAN_SQLITE_MAX_MB: '1' });
    const acknowledged = new Map<number, string>();
    let refused: { n: number; status: number; json: Record<string, unknown> } | undefined;
    for (let n = 0; n < 2_000 && refused === undefined; n += 3) {
      const answers = await Promise.all(
        [n, n + 1, n + 2].map(async (k) => ({ k, ...(await submit(k)) })),
      );
      for (const answer of answers) {
        if (answer.status === 201) acknowledged.set(answer.k, String(answer.json['caseId']));
        else refused ??= { n: answer.k, status: answer.status, json: answer.json };
      }
    }
    expect(acknowledged.size).toBeGreaterThan(10);
    expect(refused?.status).toBe(503);
    const error = refused?.json['error'] as { code: string; message: string } | undefined;
    expect(error?.code).toBe('AMAN_ERR_UNAVAILABLE');
    expect(error?.message).toContain('full');
    // Every acknowledged case is still seen in the NGO's views. A record's read stores an
    // audit event first: one that no longer fits is refused (503), never served unaudited.
    const [someCase = ''] = acknowledged.values();
    expect((await callApi(api, 'GET', `/v1/cases/${someCase}`, ngo)).status).toBe(200);
    const read = await callApi(api, 'GET', `/v1/cases/${someCase}/record`, ngo);
    if (read.status !== 200) {
      expect([read.status, (read.json['error'] as { code?: string } | undefined)?.code]).toEqual([
        503,
        'AMAN_ERR_UNAVAILABLE',
      ]);
    }

    // Room is made; intake starts without the cap.
    await services.kill('intake');
    for (const file of readdirSync(dataDir).filter((name) => /^intake\..*\.db$/.test(name)))
      expect([file, sqliteIntegrity(join(dataDir, file))]).toEqual([file, 'ok']);
    await services.start('intake');
    const retried = await submit(refused?.n ?? -1);
    expect(retried.status).toBe(201);
    acknowledged.set(refused?.n ?? -1, String(retried.json['caseId']));
    const fresh = await submit(100_000);
    expect(fresh.status).toBe(201);
    acknowledged.set(100_000, String(fresh.json['caseId']));
    // Every acknowledged case, whole, from intake itself.
    for (const caseId of acknowledged.values()) {
      const record = await callApi(api, 'GET', `/v1/cases/${caseId}/record`, ngo);
      expect([caseId, record.status]).toEqual([caseId, 200]);
    }
    // Exactly one case for each acknowledged submission.
    const listed = await eventually(
      'every acknowledged case listed',
      async () => {
        const cases = await everyItem<{ caseId: string }>(api, '/v1/cases', ngo, 'cases');
        return cases.length >= acknowledged.size ? cases : undefined;
      },
      60_000,
    );
    expect(listed.map((view) => view.caseId).sort()).toEqual([...acknowledged.values()].sort());
  }, 240_000);
});
