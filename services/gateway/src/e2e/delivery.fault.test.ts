import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { eventually, kafkaBrokers, mongoUri } from '@aman/testing';

import { referralCase } from './cases.ts';
import { ServiceProcesses, apiOf, callApi, platformEnv, seedNgoAndProvider } from './platform.ts';
import { startWebhookReceiver } from './webhookReceiver.ts';

// Issue 12's faults on the way to a provider: its webhook receiver down for several retry
// intervals (every notice arrives once it is back, in order per case), down past the retry budget
// (the notices wait as dead letters and arrive when the provider asks for them again), and the
// clock: a deadline that passed while the referral service was down fires when it is back.

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

const someone = (n: number) => ({
  fullName: 'Delivery Testperson',
  phone: `+93 700 888 ${String(n).padStart(3, '0')}`,
  place: `Testabad, Yard ${String(n)}`,
});

function faults(mode: 'embedded' | 'distributed'): void {
  describe(`webhooks and deadlines under faults, ${mode} mode`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `aman-delivery-${mode}-`));
    const offset = mode === 'embedded' ? 500 : 600;
    const prefix = `dlv${Date.now().toString(36)}`;
    const api = apiOf(offset);
    const env: NodeJS.ProcessEnv = {
      ...platformEnv({ mode, dataDir, offset, prefix }),
      // Six attempts, 0.5 s growing to 2 s apart: about 7 s of retries.
      AMAN_WEBHOOK_ATTEMPTS: '6',
      AMAN_WEBHOOK_FIRST_RETRY_MS: '500',
      AMAN_WEBHOOK_MAX_RETRY_MS: '2000',
      // A critical case's acknowledgement is due within 6 s.
      AMAN_RISK_ACKNOWLEDGE_CRITICAL: '6s',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const services = new ServiceProcesses(env);
    let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    const keys = { ngo: '', provider: '' };
    let n = 0;

    beforeAll(async () => {
      hooks = await startWebhookReceiver(14_700 + offset);
      await services.startAll();
      const seeded = await seedNgoAndProvider(env, {
        name: 'Delivery Shelter',
        type: 'RECIPIENT_TYPE_SHELTER_NETWORK',
        services: ['NEED_INTERNAL_RELOCATION'],
        webhookUrl: hooks.url('/shelter'),
      });
      keys.ngo = seeded.ngo;
      keys.provider = seeded.provider;
      hooks.secrets.set('/shelter', seeded.webhookSecret);
    }, 240_000);

    afterAll(async () => {
      await services.stopAll();
      await hooks.close();
      // AMAN_KEEP_FAULT_DATA=1 keeps the services' logs and stores to look at after a failure.
      if (process.env['AMAN_KEEP_FAULT_DATA'] === '1') process.stdout.write(`kept ${dataDir}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    /** Submits a case for the shelter; its id once its referral is routed, and the referral's. */
    const routedCase = async (
      gravity: 'moderate' | 'grave',
    ): Promise<{ caseId: string; referralId: string }> => {
      n += 1;
      const created = await callApi(api, 'POST', '/v1/cases', keys.ngo, {
        body: referralCase(
          someone(n),
          gravity,
          ['NEED_INTERNAL_RELOCATION'],
          ['RECIPIENT_TYPE_SHELTER_NETWORK'],
        ),
        idempotencyKey: `${prefix}-${String(n)}`,
      });
      expect(created.status).toBe(201);
      const caseId = String(created.json['caseId']);
      const referralId = await eventually(
        'the routing',
        async () => {
          const feedback = await callApi(api, 'GET', `/v1/cases/${caseId}/referrals`, keys.ngo);
          const [referral] = (feedback.json['referrals'] ?? []) as { referralId: string }[];
          return referral?.referralId;
        },
        60_000,
      );
      return { caseId, referralId };
    };

    const erase = async (caseId: string): Promise<void> => {
      const erased = await callApi(api, 'POST', `/v1/cases/${caseId}/erasure`, keys.ngo);
      expect(erased.status).toBe(200);
    };

    /** The notices the receiver took about a referral, in the order it took them. */
    const noticesAbout = (referralId: string): string[] =>
      hooks.received
        .filter((hook) => hook.payload.data['referralId'] === referralId)
        .map((hook) => hook.payload.type);

    /** Each notice once (duplicates on the wire are allowed), in the order first received. */
    const firstOfEach = (notices: readonly string[]): string[] => [...new Set(notices)];

    it('delivers every notice once its receiver is back within the retry budget, in order per case', async () => {
      hooks.failing.add('/shelter');
      const cases = [await routedCase('moderate'), await routedCase('moderate')];
      // The first is erased while its routing notice still waits: two notices, in that order.
      const [first] = cases;
      if (first === undefined) throw new Error('no case');
      await erase(first.caseId);
      await pause(1_500);
      hooks.failing.delete('/shelter');
      await eventually(
        'every notice delivered',
        async () =>
          firstOfEach(noticesAbout(first.referralId)).length === 2 &&
          cases.every(({ referralId }) => noticesAbout(referralId).includes('referral.routed'))
            ? true
            : undefined,
        60_000,
      );
      expect(firstOfEach(noticesAbout(first.referralId))).toEqual([
        'referral.routed',
        'case.erased',
      ]);
      const letters = await callApi(api, 'GET', '/v1/provider/dead-letters', keys.provider);
      expect(letters.json['deadLetters']).toEqual([]);
    }, 180_000);

    it('keeps notices past the retry budget as dead letters, and delivers them in order when the provider asks', async () => {
      hooks.failing.add('/shelter');
      const held = await routedCase('moderate');
      await erase(held.caseId);
      const [letter] = await eventually(
        'the dead letter',
        async () => {
          const listed = (await callApi(api, 'GET', '/v1/provider/dead-letters', keys.provider))
            .json['deadLetters'] as { notificationId: string; referralId: string }[];
          return listed.length > 0 ? listed : undefined;
        },
        60_000,
      );
      expect(letter?.referralId).toBe(held.referralId);
      // Its erasure notice waits behind it; nothing reached the receiver.
      expect(noticesAbout(held.referralId)).toEqual([]);
      hooks.failing.delete('/shelter');
      await pause(1_000);
      expect(noticesAbout(held.referralId)).toEqual([]);
      const redelivery = await callApi(
        api,
        'POST',
        `/v1/provider/dead-letters/${letter?.notificationId ?? ''}/redelivery`,
        keys.provider,
      );
      expect(redelivery.status).toBe(202);
      await eventually(
        'both notices delivered',
        async () => (firstOfEach(noticesAbout(held.referralId)).length === 2 ? true : undefined),
        60_000,
      );
      expect(firstOfEach(noticesAbout(held.referralId))).toEqual([
        'referral.routed',
        'case.erased',
      ]);
    }, 180_000);

    it('fires a deadline that passed while the referral service was down, once it is back', async () => {
      const critical = await routedCase('grave');
      await eventually(
        'the delivery',
        async () =>
          noticesAbout(critical.referralId).includes('referral.routed') ? true : undefined,
        60_000,
      );
      await services.kill('referral');
      // Nobody acknowledges; the 6 s pass while referral is down.
      await pause(8_000);
      await services.start('referral');
      const expired = await eventually(
        'the missed acknowledgement',
        async () => {
          const feedback = await callApi(
            api,
            'GET',
            `/v1/cases/${critical.caseId}/referrals`,
            keys.ngo,
          );
          const referrals = (feedback.json['referrals'] ?? []) as {
            referralId: string;
            status: string;
            steps: { status: string; reason: string }[];
          }[];
          const referral = referrals.find((each) => each.referralId === critical.referralId);
          return referral?.status === 'REFERRAL_STATUS_EXPIRED' ? referral : undefined;
        },
        60_000,
      );
      expect(expired.steps.at(-1)).toMatchObject({
        status: 'REFERRAL_STATUS_EXPIRED',
        reason: 'acknowledgement_missed',
      });
    }, 180_000);
  });
}

faults('embedded');
if (kafkaBrokers() !== undefined && mongoUri() !== undefined) faults('distributed');
else
  describe.skip('webhooks and deadlines under faults, distributed mode [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
