import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { eventually } from '@aman/testing';

import { referralCase } from './cases.ts';
import { Ledger, everyItem, untilAnswered } from './ledger.ts';
import {
  ROOT,
  ServiceProcesses,
  apiOf,
  callApi,
  platformEnv,
  seedNgoAndProvider,
} from './platform.ts';
import { startWebhookReceiver } from './webhookReceiver.ts';

// Issue 12's fault injection under load: a load of submissions and provider answers runs while a
// suite's faults are injected (processes killed and paused, the broker or the database restarted).
// A ledger kept from the client's side (every 201, every accepted answer) is then checked against
// the final state: each acknowledged submission is exactly one case, each referral's webhook
// reached the provider (duplicates on the wire allowed), and the read models equal a rebuild from
// the event stores.

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A synthetic person per submission: letters in the name, digits in the phone and place. */
function someone(n: number) {
  const letters = String(n)
    .padStart(4, '0')
    .replace(/\d/g, (digit) => String.fromCharCode(97 + Number(digit)));
  return {
    fullName: `Fault ${letters} Testperson`,
    phone: `+93 700 666 ${String(n).padStart(3, '0')}`,
    place: `Testabad, Lane ${String(n)}`,
  };
}

export interface FaultsUnderLoad {
  /** The suite's name, e.g. 'SIGKILL of each service under load'. */
  readonly title: string;
  readonly mode: 'embedded' | 'distributed';
  /** Ports of this suite (see platformEnv): different for every suite and mode. */
  readonly offset: number;
  /** Over the platform's environment (e.g. the suite's own broker and database). */
  readonly env?: NodeJS.ProcessEnv;
  /** What the faults are, completing "loses no acknowledged write while …". */
  readonly while: string;
  /** Runs once the platform is up and the load runs; the load stops when it resolves. */
  readonly inject: (platform: {
    readonly services: ServiceProcesses;
    readonly dataDir: string;
  }) => Promise<void>;
  /** Before the platform starts, and after it stopped (e.g. the suite's own infrastructure). */
  readonly setUp?: () => Promise<void>;
  readonly tearDown?: () => Promise<void>;
}

export function faultsUnderLoad(suite: FaultsUnderLoad): void {
  const { mode, offset } = suite;
  describe(`${suite.title}, ${mode} mode`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `aman-fault-${mode}-`));
    const prefix = `flt${Date.now().toString(36)}`;
    const api = apiOf(offset);
    const env: NodeJS.ProcessEnv = {
      ...platformEnv({ mode, dataDir, offset, prefix }),
      // Retries that outlast any restart here: a webhook refused while referral restarts is
      // tried again, never dead-lettered.
      AMAN_WEBHOOK_ATTEMPTS: '30',
      AMAN_WEBHOOK_FIRST_RETRY_MS: '200',
      AMAN_WEBHOOK_MAX_RETRY_MS: '2000',
      // A killed consumer's partitions move to its restarted self within 6 s, not 30.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...suite.env,
    };
    // The distributed pipeline drains about one case a second on this machine's FerretDB (issue
    // 12's benchmarks measure it): a gentler load, so that the checks wait for the pipeline to
    // catch up, not for a backlog to clear.
    const load = mode === 'embedded' ? { workers: 3, pauseMs: 150 } : { workers: 1, pauseMs: 1000 };
    const services = new ServiceProcesses(env);
    const ledger = new Ledger();
    let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    const keys = { ngo: '', provider: '' };

    beforeAll(async () => {
      await suite.setUp?.();
      hooks = await startWebhookReceiver(14_700 + offset);
      await services.startAll();
      const seeded = await seedNgoAndProvider(env, {
        name: 'Fault Embassy',
        type: 'RECIPIENT_TYPE_EMBASSY',
        services: ['NEED_RELOCATION_ABROAD'],
        webhookUrl: hooks.url('/embassy'),
      });
      keys.ngo = seeded.ngo;
      keys.provider = seeded.provider;
      hooks.secrets.set('/embassy', seeded.webhookSecret);
    }, 240_000);

    afterAll(async () => {
      await services.stopAll();
      await hooks.close();
      await suite.tearDown?.();
      // AMAN_KEEP_FAULT_DATA=1 keeps the services' logs and stores to look at after a failure.
      if (process.env['AMAN_KEEP_FAULT_DATA'] === '1') process.stdout.write(`kept ${dataDir}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    }, 120_000);

    /** Submits until acknowledged (201), the same idempotency key every time. */
    const submit = async (n: number): Promise<void> => {
      const key = `${prefix}-case-${String(n)}`;
      const answer = await untilAnswered(() =>
        callApi(api, 'POST', '/v1/cases', keys.ngo, {
          body: referralCase(
            someone(n),
            'moderate',
            ['NEED_RELOCATION_ABROAD'],
            ['RECIPIENT_TYPE_EMBASSY'],
          ),
          idempotencyKey: key,
        }),
      );
      if (answer.status === 201) ledger.submissions.set(key, String(answer.json['caseId']));
      else ledger.noteRefusal('submission', answer.status, answer.json['error']);
    };

    /** The provider acknowledges every referral its receiver was told of, once accepted. */
    const acknowledgeWhatArrived = async (): Promise<void> => {
      const arrived = new Set(
        hooks.received
          .filter((hook) => hook.payload.type === 'referral.routed')
          .map((hook) => hook.payload.data['referralId'] ?? ''),
      );
      for (const referralId of arrived) {
        if (ledger.acknowledged.has(referralId)) continue;
        const answer = await untilAnswered(() =>
          callApi(api, 'POST', `/v1/referrals/${referralId}/acknowledge`, keys.provider),
        );
        if (answer.status === 200) ledger.acknowledged.add(referralId);
        // 409: its delivery is not recorded yet (the webhook arrived first); next round.
        else if (answer.status !== 409)
          ledger.noteRefusal('acknowledgement', answer.status, answer.json['error']);
      }
    };

    it(`loses no acknowledged write while ${suite.while}`, async () => {
      const running = { on: true, next: 0 };
      const submitting = Array.from({ length: load.workers }, async () => {
        while (running.on) {
          running.next += 1;
          await submit(running.next);
          await pause(load.pauseMs);
        }
      });
      const answering = (async () => {
        while (running.on) {
          await acknowledgeWhatArrived();
          await pause(300);
        }
      })();
      await pause(2_500);
      await suite.inject({ services, dataDir });
      await pause(2_500);
      running.on = false;
      await Promise.all([...submitting, answering]);
      expect(services.unexpectedExits).toEqual([]);
      expect(ledger.submissions.size).toBeGreaterThan(10);
      expect(Object.fromEntries(ledger.refusals)).toEqual({});
    }, 300_000);

    it('has exactly one case for each acknowledged submission, and none other', async () => {
      const ledgered = [...ledger.submissions.values()].sort();
      // Distinct: no two acknowledged submissions named the same case.
      expect(new Set(ledgered).size).toBe(ledgered.length);
      const listed = await eventually(
        'the NGO’s case list to hold every acknowledged case',
        async () => {
          const cases = await everyItem<{ caseId: string }>(api, '/v1/cases', keys.ngo, 'cases');
          return cases.length >= ledgered.length ? cases : undefined;
        },
        180_000,
      );
      expect(listed.map((view) => view.caseId).sort()).toEqual(ledgered);
      // And from intake itself, the source of truth: each case's record is there.
      for (const caseId of ledgered) {
        const record = await untilAnswered(() =>
          callApi(api, 'GET', `/v1/cases/${caseId}/record`, keys.ngo),
        );
        expect([caseId, record.status]).toEqual([caseId, 200]);
      }
    }, 300_000);

    it('routes each case, its webhook reaches the provider, and every accepted answer holds', async () => {
      const answeringOn = { on: true };
      // Whatever arrived after the load stopped is answered too.
      const answering = (async () => {
        while (answeringOn.on) {
          await acknowledgeWhatArrived();
          await pause(300);
        }
      })();
      const caseIds = [...ledger.submissions.values()];
      const referralOf = new Map<string, { referralId: string; status: string }>();
      try {
        await eventually(
          'every case routed, its webhook received and answered',
          async () => {
            for (const caseId of caseIds) {
              if (referralOf.get(caseId)?.status === 'REFERRAL_STATUS_ACKNOWLEDGED') continue;
              const feedback = await callApi(api, 'GET', `/v1/cases/${caseId}/referrals`, keys.ngo);
              const referrals = (feedback.json['referrals'] ?? []) as {
                referralId: string;
                status: string;
              }[];
              if (referrals.length !== 1) return undefined;
              const [referral] = referrals;
              if (referral !== undefined) referralOf.set(caseId, referral);
            }
            const waiting = [...referralOf.values()].filter(
              (referral) => referral.status !== 'REFERRAL_STATUS_ACKNOWLEDGED',
            );
            return referralOf.size === caseIds.length && waiting.length === 0 ? true : undefined;
          },
          180_000,
        );
      } finally {
        answeringOn.on = false;
        await answering;
      }
      const delivered = new Map<string, number>();
      for (const hook of hooks.received.filter((each) => each.payload.type === 'referral.routed')) {
        const id = hook.payload.data['referralId'] ?? '';
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
      }
      for (const { referralId } of referralOf.values()) {
        expect([referralId, (delivered.get(referralId) ?? 0) >= 1]).toEqual([referralId, true]);
        expect(ledger.acknowledged.has(referralId)).toBe(true);
      }
      // The provider's inbox holds each referral once.
      const inbox = await everyItem<{ referralId: string }>(
        api,
        '/v1/referrals',
        keys.provider,
        'referrals',
      );
      expect(inbox.map((item) => item.referralId).sort()).toEqual(
        [...referralOf.values()].map((referral) => referral.referralId).sort(),
      );
      expect(Object.fromEntries(ledger.refusals)).toEqual({});
    }, 300_000);

    it('has read models equal to a rebuild from the event stores', async () => {
      const views = async () => ({
        cases: (await everyItem<Record<string, unknown>>(api, '/v1/cases', keys.ngo, 'cases')).sort(
          (a, b) => String(a['caseId']).localeCompare(String(b['caseId'])),
        ),
        inbox: (
          await everyItem<Record<string, unknown>>(api, '/v1/referrals', keys.provider, 'referrals')
        ).sort((a, b) => String(a['referralId']).localeCompare(String(b['referralId']))),
      });
      const live = await views();
      expect(live.cases.length).toBe(ledger.submissions.size);
      const rebuilt = await new Promise<{ code: number | null; output: string }>((done) => {
        const child = spawn(
          process.execPath,
          [join(ROOT, 'services/projections/dist/rebuildCommand.js')],
          { cwd: ROOT, env, stdio: 'pipe' },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', (code) => {
          done({ code, output });
        });
      });
      expect([rebuilt.code, rebuilt.output]).toEqual([0, expect.stringContaining('active')]);
      // The running projections service follows the switch to the rebuilt version.
      await eventually(
        'the views served from the rebuilt read models',
        async () => {
          const now = await views();
          return JSON.stringify(now) === JSON.stringify(live) ? now : undefined;
        },
        60_000,
      ).catch(async () => {
        expect(await views()).toEqual(live);
      });
    }, 180_000);
  });
}
