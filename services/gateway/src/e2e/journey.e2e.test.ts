import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';

import { withLinkedTraces } from '@aman/service-kit';
import { eventually, kafkaBrokers, mongoUri, readMongoDatabases } from '@aman/testing';

import { DEMO_DEFENDER } from '../demoPerson.ts';
import { person, referralCase, threatOf } from './cases.ts';
import { LeakSearch } from './leaks.ts';
import { startOtlpReceiver } from './otlpReceiver.ts';
import { untilAnswered } from './ledger.ts';
import { ROOT, apiOf, callApi, platformEnv } from './platform.ts';
import { startWebhookReceiver } from './webhookReceiver.ts';

// The journey of issue 7, through the README's two commands as child processes: `pnpm start`
// (all six services) and `pnpm demo` (the NGO, provider and monitor over the public API, with a
// verifying webhook receiver). Then: one trace across every process, and the canary person in no
// log line, stored event, Kafka record or span.

/** A second synthetic person, submitted by two NGOs under two spellings of one name. */
const TWICE_REFERRED = {
  byFirstNgo: { fullName: 'Mohammad Testzai Karimi', dateOfBirth: '1985-03-02' },
  bySecondNgo: { fullName: 'Muhammad Testzai Kareemi', dateOfBirth: '1985-03-02' },
  phone: '+93 700 555 010',
  place: 'Testpur, Lane 4',
};
/** Synthetic people of the referral journeys, each a canary too. */
const REFERRED = {
  programmeFirst: person('Parwana Programme', 1),
  programmeSecond: person('Zarghuna Pending', 2),
  escalated: person('Rahim Escalated', 3),
  tightened: person('Nadia Tightened', 4),
  deadLettered: person('Samir Deadletter', 5),
};
/** A burst of submissions for the operator's view: twenty more synthetic people. */
const BURST = Array.from({ length: 20 }, (_, n) =>
  person(`Burst ${String.fromCharCode(65 + (n % 26), 97 + Math.floor(n / 26))}`, 20 + n),
);
const canaries = [
  ...BURST.flatMap((someone) => Object.values(someone)),
  ...Object.values(DEMO_DEFENDER),
  TWICE_REFERRED.byFirstNgo.fullName,
  TWICE_REFERRED.bySecondNgo.fullName,
  TWICE_REFERRED.phone,
  TWICE_REFERRED.place,
  ...Object.values(REFERRED).flatMap((someone) => Object.values(someone)),
];
const LEVELS = ['RISK_LEVEL_LOW', 'RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'];

/** One referral of a case as its NGO reads it (`GET /v1/cases/{id}/referrals`). */
interface Feedback {
  readonly referralId: string;
  readonly providerOrganisationId: string;
  readonly programmeId: string;
  readonly programmeStatus: string;
  readonly status: string;
  readonly deliveredAt: string;
  readonly seenAt: string;
  readonly decidedAt: string;
  readonly acknowledgeBy: string;
  readonly steps: { status: string; reason: string; at: string }[];
}
/** `@aman/crypto`'s sealed values: only intake may hold them, in its own stores. */
const SEALED = /v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}/;
const SERVICES = [
  'gateway',
  'intake',
  'risk-assessment',
  'referral',
  'accountability',
  'projections',
];
/** The deferred work of a webhook sent: an attempt's timer, and the call to the provider. */
const WEBHOOK_SENT = ['timer referral.webhook-attempt', 'webhook.deliver'];

interface Run {
  readonly output: string;
  readonly code: number | null;
}

function run(command: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command[0] ?? 'pnpm', command.slice(1), { cwd: ROOT, env, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command.join(' ')} timed out:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ output, code });
    });
  });
}

function startPlatform(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((ready, fail) => {
    const child = spawn('pnpm', ['start'], { cwd: ROOT, env, stdio: 'pipe', detached: true });
    let output = '';
    const timer = setTimeout(() => {
      fail(new Error(`pnpm start did not get ready:\n${output}`));
    }, 240_000);
    const listen = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Aman is running.')) {
        clearTimeout(timer);
        ready({ child, output: () => output });
      }
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`pnpm start exited with ${String(code)}:\n${output}`));
    });
  });
}

function stopPlatform(child: ChildProcess): Promise<void> {
  const group = (signal: NodeJS.Signals): void => {
    // The whole process group: pnpm, the start script and the six services. Gone already: fine.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // ESRCH: nothing left to signal
    }
  };
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    child.removeAllListeners('exit');
    const timer = setTimeout(() => {
      group('SIGKILL');
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    group('SIGINT');
  });
}

/** Every file under `dir`, as text (binary SQLite pages included: a canary would show). */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return [
      { path, text: readFileSync(path).toString('latin1') + readFileSync(path).toString('utf8') },
    ];
  });
}

function journey(mode: 'embedded' | 'distributed'): void {
  describe(`the journey, ${mode} mode`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `aman-e2e-${mode}-`));
    const offset = mode === 'embedded' ? 0 : 100;
    const prefix = `e2e${Date.now().toString(36)}`;
    let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
    let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
    let env: NodeJS.ProcessEnv;
    let demo: Run;

    /** An API key of the demo organisations `pnpm start` created (ngo, otherNgo, monitor, …). */
    const keyOf = (organisation: string): string =>
      (
        JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as Record<
          string,
          { key: string }
        >
      )[organisation]?.key ?? '';

    /** One call to the public API with an organisation's key. */
    const api = async (
      method: string,
      path: string,
      key: string,
      body?: unknown,
      idempotencyKey?: string,
      traceparent?: string,
    ): Promise<{ status: number; json: Record<string, unknown> }> =>
      callApi(apiOf(offset), method, path, key, { body, idempotencyKey, traceparent });

    /** Objects of the demo organisations, for the isolation matrix to ask for as others. */
    const owned = { matchId: '', matchCaseId: '', lastCaseId: '' };

    /** The redaction proof's control value: a case id, not personal, that telemetry carries. */
    let controlCaseId = '';

    /** What the programme journey leaves for the compromised-key report to find. */
    const programmeJourney = { provider: { id: '', key: '' }, readCase: '' };

    /** This month and the two before it, as the statistics' periods. */
    const months = (): string => {
      const now = new Date();
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
      return `from=${from.toISOString().slice(0, 7)}&to=${now.toISOString().slice(0, 7)}`;
    };

    /** The public statistics, read with no API key at all. */
    const publicStatistics = async () => {
      const response = await fetch(`${apiOf(offset)}/v1/statistics?${months()}`);
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    /** The admin CLI, as an operator runs it: `pnpm aman …`. */
    const aman = async (...args: string[]): Promise<string> => {
      const ran = await run(['pnpm', '--silent', 'aman', ...args], env, 60_000);
      if (ran.code !== 0) throw new Error(`pnpm aman ${args.join(' ')} failed:\n${ran.output}`);
      return ran.output;
    };

    /** A provider organisation and its key, registered with its webhooks at a receiver path. */
    const provider = async (
      path: string,
      type: string,
      services: string,
    ): Promise<{ id: string; key: string }> => {
      const created = await aman('org', 'create', '--type', 'provider', '--name', `E2E ${path}`);
      const id = /organisation (\S+) \(provider\)/.exec(created)?.[1] ?? '';
      const key = /API key \(shown once\): (\S+)/.exec(created)?.[1] ?? '';
      const registered = await aman(
        'provider',
        'register',
        '--org',
        id,
        '--type',
        type,
        '--services',
        services,
        '--levels',
        LEVELS.join(','),
        '--webhook-url',
        hooks.url(path),
      );
      hooks.secrets.set(path, /webhook secret \(shown once\): (\S+)/.exec(registered)?.[1] ?? '');
      return { id, key };
    };

    /**
     * The journeys whose traces are checked: each starts with a request of the test's, sent with a
     * traceparent of a new trace (the client's span), so its root trace is known. `services` are
     * those the root trace must reach; `deferred` the spans of work it scheduled (timers), found
     * in traces linked from it.
     */
    const journeys: {
      name: string;
      traceId: string;
      services: string[];
      deferred: string[];
    }[] = [];
    const journey = (name: string, services: string[], deferred: string[] = []): string => {
      const traceId = randomBytes(16).toString('hex');
      journeys.push({ name, traceId, services, deferred });
      return `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    };

    /** The operator's view of the pipeline (`GET /v1/operator/pipeline`), with a key made once. */
    let operatorKey = '';
    const pipeline = async () => {
      operatorKey ||=
        /API key \(shown once\): (\S+)/.exec(
          await aman('org', 'create', '--type', 'operator', '--name', 'E2E operator'),
        )?.[1] ?? '';
      return (await api('GET', '/v1/operator/pipeline', operatorKey)).json['services'] as {
        service: string;
        reachable: boolean;
        storeHead: number | null;
        relayBacklog: { topic: string; backlog: number }[];
        consumers: { name: string; topic: string; lag: number; deadLetters: number }[];
        counters: Record<string, number>;
      }[];
    };

    /** Submits a case as the demo NGO, in a journey's trace when given one; its id. */
    const submitted = async (
      body: unknown,
      idempotencyKey: string,
      traceparent?: string,
    ): Promise<string> => {
      const created = await api(
        'POST',
        '/v1/cases',
        keyOf('ngo'),
        body,
        idempotencyKey,
        traceparent,
      );
      expect(created.status).toBe(201);
      return String(created.json['caseId']);
    };

    /** What the NGO is told of the referrals of its case. */
    const feedbackOf = async (caseId: string): Promise<Feedback[]> =>
      // 404 until the referral service has seen the new case: no referrals yet.
      ((await api('GET', `/v1/cases/${caseId}/referrals`, keyOf('ngo'))).json['referrals'] as
        Feedback[] | undefined) ?? [];

    /** The verified webhooks of one type about one referral. */
    const webhooksAbout = (referralId: string, type: string) =>
      hooks.received.filter(
        (hook) => hook.payload.type === type && hook.payload.data['referralId'] === referralId,
      );

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      hooks = await startWebhookReceiver(14_700 + offset);
      env = {
        ...platformEnv({ mode, dataDir, offset, prefix }),
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        LOG_LEVEL: 'debug',
        // Short enough to see within a test: a critical case's acknowledgement, and the webhook
        // retry budget (three attempts, 200 ms then 400 ms apart).
        AMAN_RISK_ACKNOWLEDGE_CRITICAL: '15s',
        AMAN_WEBHOOK_ATTEMPTS: '3',
        AMAN_WEBHOOK_FIRST_RETRY_MS: '200',
        AMAN_WEBHOOK_MAX_RETRY_MS: '1000',
        // Small enough for a test's few cases to be published at all.
        AMAN_STATS_MIN_CELL: '2',
      };
      platform = await startPlatform(env);
      demo = await run(['pnpm', 'demo'], env, 180_000);
    }, 480_000);

    afterAll(async () => {
      if (platform !== undefined) await stopPlatform(platform.child);
      await otlp.close();
      await hooks.close();
      rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('completes the demo: submission, signed webhook, packet, answers, stages, re-assessment', () => {
      if (demo.code !== 0)
        throw new Error(
          `pnpm demo failed:\n${demo.output}\n--- platform:\n${platform?.output() ?? ''}`,
        );
      expect(demo.output).toContain('signature verified with the standardwebhooks library');
      expect(demo.output).toMatch(/risk RISK_LEVEL_\w+ → RISK_LEVEL_\w+/);
    });

    it('across services: a new threat raises the level; a duplicate is flagged to the earlier NGO only', async () => {
      const first = keyOf('ngo');
      const second = keyOf('otherNgo');
      const today = new Date().toISOString().slice(0, 10);
      const submission = (defender: Record<string, string>) => ({
        defender: { phone: TWICE_REFERRED.phone, place: TWICE_REFERRED.place, ...defender },
        profile: 'PROFILE_ACTIVIST',
        gender: 'GENDER_MAN',
        province: 'AF-KAB',
        outsideCapital: false,
        familyExposed: false,
        threats: [
          {
            kind: 'THREAT_KIND_ONLINE_HARASSMENT',
            occurredOn: today,
            source: 'THREAT_SOURCE_UNIDENTIFIED',
            objective: 'THREAT_OBJECTIVE_UNCLEAR',
            feasibility: 'FEASIBILITY_LOW',
            declared: false,
            narrative: 'Anonymous messages (synthetic).',
          },
        ],
        needs: ['NEED_DIGITAL_SECURITY'],
        capacities: { supportNetwork: true, relocationOptions: true, digitalSecurity: true },
        consent: {
          grants: [
            { recipientTypes: ['RECIPIENT_TYPE_EMBASSY'], fieldGroups: ['FIELD_GROUP_IDENTITY'] },
          ],
          method: 'CONSENT_METHOD_IN_PERSON',
          obtainedAt: new Date().toISOString(),
        },
      });
      const LEVELS = [
        'RISK_LEVEL_LOW',
        'RISK_LEVEL_MEDIUM',
        'RISK_LEVEL_HIGH',
        'RISK_LEVEL_CRITICAL',
      ];

      // A new threat, reported to intake, reaches risk assessment as an event and raises the level.
      const held = await api(
        'POST',
        '/v1/cases',
        first,
        submission(TWICE_REFERRED.byFirstNgo),
        `e2e-x-${prefix}-1`,
      );
      expect(held.status).toBe(201);
      const heldId = String(held.json['caseId']);
      const levelOf = async (): Promise<number> =>
        LEVELS.indexOf(String((await api('GET', `/v1/cases/${heldId}`, first)).json['riskLevel']));
      const before = await eventually('the triage level', async () => {
        const level = await levelOf();
        return level >= 0 ? level : undefined;
      });
      const threat = await api(
        'POST',
        `/v1/cases/${heldId}/threats`,
        first,
        {
          kind: 'THREAT_KIND_DEATH_THREAT',
          occurredOn: today,
          source: 'THREAT_SOURCE_ARMED_GROUP',
          objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
          narrative: 'A named death threat (synthetic).',
        },
        `e2e-x-${prefix}-threat`,
      );
      expect(threat.status).toBe(201);
      await eventually('the level to rise', async () =>
        (await levelOf()) > before ? true : undefined,
      );

      // The same person through a second NGO, spelled otherwise: its answer is the answer for a
      // new person, and only the first NGO learns of a likely duplicate, not whose.
      const twin = await api(
        'POST',
        '/v1/cases',
        second,
        submission(TWICE_REFERRED.bySecondNgo),
        `e2e-x-${prefix}-2`,
      );
      const stranger = await api(
        'POST',
        '/v1/cases',
        second,
        submission({
          fullName: 'Nobody Testperson Else',
          dateOfBirth: '1970-01-01',
          phone: '+93 700 555 999',
        }),
        `e2e-x-${prefix}-3`,
      );
      expect(twin.status).toBe(201);
      expect(stranger.status).toBe(201);
      expect(Object.keys(twin.json).sort()).toEqual(Object.keys(stranger.json).sort());
      expect(twin.json['triage']).toEqual(stranger.json['triage']);
      const twinId = String(twin.json['caseId']);
      const record = async (caseId: string, key: string) =>
        (await api('GET', `/v1/cases/${caseId}/record`, key)).json as {
          duplicates: { matchId: string; status: string; linkedCaseId?: string }[];
        };
      const flagged = await eventually('the duplicate flag', async () => {
        const found = (await record(heldId, first)).duplicates;
        return found.length > 0 ? found : undefined;
      });
      expect(flagged).toEqual([
        {
          matchId: expect.any(String),
          status: 'DUPLICATE_MATCH_STATUS_SUSPECTED',
          detectedAt: expect.any(String),
        },
      ]);
      expect(JSON.stringify(flagged)).not.toContain(twinId);
      expect((await record(twinId, second)).duplicates).toEqual([]);
      // Linking needs both NGOs; only then each learns the other case.
      const matchId = flagged[0]?.matchId ?? '';
      owned.matchId = matchId;
      owned.matchCaseId = heldId;
      const proposed = await api('POST', `/v1/cases/${heldId}/duplicates/${matchId}`, first, {
        response: 'DUPLICATE_RESPONSE_LINK',
      });
      expect(proposed.json['status']).toBe('DUPLICATE_MATCH_STATUS_LINK_PROPOSED');
      const accepted = await api('POST', `/v1/cases/${twinId}/duplicates/${matchId}`, second, {
        response: 'DUPLICATE_RESPONSE_LINK',
      });
      expect(accepted.json['status']).toBe('DUPLICATE_MATCH_STATUS_LINKED');
      expect((await record(heldId, first)).duplicates[0]?.linkedCaseId).toBe(twinId);
    }, 120_000);

    it('lets a monitor follow an incident to the authorities: investigation, overdue response, impunity', async () => {
      const monitor = keyOf('monitor');
      const call = (method: string, path: string, body?: unknown, idempotencyKey?: string) =>
        api(method, path, monitor, body, idempotencyKey);
      const cases = await api('GET', '/v1/cases', keyOf('ngo'));
      const caseId = (cases.json['cases'] as { caseId: string }[])[0]?.caseId;
      const day = (daysAgo: number) =>
        new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
      const incident = await call(
        'POST',
        '/v1/incidents',
        {
          caseId,
          act: 'ACT_ASSAULT',
          occurredOn: day(40),
          province: 'AF-HER',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
          sourceType: 'SOURCE_TYPE_NGO',
        },
        `e2e-m-${prefix}-incident`,
      );
      expect(incident.status).toBe(201);
      const incidentId = String(incident.json['incidentId']);
      const opened = await call(
        'POST',
        `/v1/incidents/${incidentId}/investigations`,
        { body: 'AUTHORITY_PROSECUTOR', openedOn: day(35) },
        `e2e-m-${prefix}-investigation`,
      );
      expect(opened.status).toBe(201);
      const step = await call(
        'POST',
        `/v1/investigations/${String(opened.json['investigationId'])}/steps`,
        {
          step: 'INVESTIGATION_STEP_SUSPECT_IDENTIFIED',
          on: day(30),
        },
      );
      expect(step.status).toBe(200);
      const sent = await call(
        'POST',
        `/v1/incidents/${incidentId}/interventions`,
        {
          type: 'INTERVENTION_TYPE_COMPLAINT',
          addressee: 'AUTHORITY_PROTECTION_COMMISSION',
          sentAt: new Date(Date.now() - 30 * 86_400_000).toISOString(),
        },
        `e2e-m-${prefix}-complaint`,
      );
      expect(sent.status).toBe(201);
      const overdue = await call('GET', '/v1/interventions/overdue');
      const listed = (
        overdue.json['interventions'] as { interventionId: string; daysOverdue: number }[]
      ).find((item) => item.interventionId === sent.json['interventionId']);
      expect(listed?.daysOverdue).toBeGreaterThanOrEqual(15);
      const figures = await call('GET', `/v1/statistics/impunity?from=${day(60)}&to=${day(0)}`);
      expect(figures.status).toBe(200);
      expect(figures.json['killingsAndAttacks']).toMatchObject({
        identified: expect.any(Number),
        identifiedShare: expect.any(Number),
      });
      expect(
        (figures.json['killingsAndAttacks'] as { identified: number }).identified,
      ).toBeGreaterThanOrEqual(1);
      // An NGO key may not call a monitor's route.
      const ngoTry = await api('GET', '/v1/interventions/overdue', keyOf('ngo'));
      expect(ngoTry.status).toBe(403);
    }, 60_000);

    it('gives the NGO honest feedback on the demo referral: received, delivered, seen, decided', async () => {
      const get = async (path: string) => (await api('GET', path, keyOf('ngo'))).json;
      const caseId = /case ([0-9a-f-]{36}), triage/.exec(demo.output)?.[1];
      expect(caseId).toBeDefined();
      const feedback = (await get(`/v1/cases/${caseId ?? ''}/referrals`))['referrals'] as Record<
        string,
        string
      >[];
      expect(feedback).toHaveLength(1);
      const [only] = feedback;
      expect(only?.['status']).toBe('REFERRAL_STATUS_COMPLETED');
      for (const step of ['receivedAt', 'deliveredAt', 'seenAt', 'acknowledgedAt', 'decidedAt']) {
        expect([step, Number.isNaN(Date.parse(only?.[step] ?? ''))]).toEqual([step, false]);
      }
      // Never a step that was not reached, in order.
      expect(Date.parse(only?.['seenAt'] ?? '')).toBeGreaterThanOrEqual(
        Date.parse(only?.['deliveredAt'] ?? ''),
      );
    });

    it('keeps sealed personal data in intake’s stores alone', () => {
      if (mode !== 'embedded') return;
      const holders = filesUnder(dataDir)
        .filter((file) => SEALED.test(file.text))
        .map((file) => file.path.slice(dataDir.length + 1).split('.')[0]);
      expect(holders.length).toBeGreaterThan(0);
      expect([...new Set(holders)]).toEqual(['intake']);
    });

    it('routes to a programme: a verified webhook, the packet, accepted, completed; the filled programme is told to the pending NGO and the provider; erasure reaches the provider', async () => {
      const legal = await provider('/legal-aid', 'RECIPIENT_TYPE_LEGAL_AID', 'NEED_LEGAL_AID');
      programmeJourney.provider = legal;
      const programmeId = `e2e-legal-${prefix}`;
      expect(
        await aman(
          'programme',
          'define',
          '--id',
          programmeId,
          '--org',
          legal.id,
          '--name',
          'Legal aid programme (e2e)',
          '--services',
          'NEED_LEGAL_AID',
          '--quota',
          '1',
        ),
      ).toContain('PROGRAMME_STATUS_OPEN');
      // Routing learns of it from referral's own events, in its own time: cases are routed by
      // the programme once the NGO can see it listed.
      await eventually('the programme listed', async () => {
        const listed = (await api('GET', '/v1/programmes', keyOf('ngo'))).json['programmes'] as {
          programmeId: string;
          status: string;
        }[];
        return listed.find(
          (programme) =>
            programme.programmeId === programmeId && programme.status === 'PROGRAMME_STATUS_OPEN',
        );
      });
      const caseOf = (someone: typeof REFERRED.programmeFirst) =>
        referralCase(someone, 'moderate', ['NEED_LEGAL_AID'], ['RECIPIENT_TYPE_LEGAL_AID']);
      const first = await submitted(
        caseOf(REFERRED.programmeFirst),
        `e2e-p-${prefix}-1`,
        journey('a submission routed to a programme', SERVICES, WEBHOOK_SENT),
      );
      const second = await submitted(caseOf(REFERRED.programmeSecond), `e2e-p-${prefix}-2`);
      const routed = async (caseId: string) =>
        eventually(`the routing of ${caseId}`, async () => {
          const [only] = await feedbackOf(caseId);
          return only?.deliveredAt ? only : undefined;
        });
      const [a, b] = [await routed(first), await routed(second)];
      programmeJourney.readCase = first;
      for (const referral of [a, b]) {
        expect(referral).toMatchObject({ providerOrganisationId: legal.id, programmeId });
        // The webhook the provider's receiver verified is thin: ids, class and deadline only.
        const [hook] = webhooksAbout(referral.referralId, 'referral.routed');
        expect(Object.keys(hook?.payload.data ?? {}).sort()).toEqual([
          'deadlineClass',
          'referralId',
          'respondBy',
        ]);
      }

      // The provider fetches the packet (seen), acknowledges and accepts: the quota of one is taken.
      const as = (path: string, body?: unknown) => api('POST', path, legal.key, body);
      const packet = await api('GET', `/v1/referrals/${a.referralId}/packet`, legal.key);
      expect(packet.status).toBe(200);
      expect(JSON.stringify(packet.json)).toContain(REFERRED.programmeFirst.fullName);
      expect((await as(`/v1/referrals/${a.referralId}/acknowledge`)).json['status']).toBe(
        'REFERRAL_STATUS_ACKNOWLEDGED',
      );
      expect((await as(`/v1/referrals/${a.referralId}/accept`)).json['status']).toBe(
        'REFERRAL_STATUS_ACCEPTED',
      );
      // The pending NGO is told the programme filled, and so is the provider.
      await eventually('the pending NGO told', async () =>
        (await feedbackOf(second))[0]?.programmeStatus === 'PROGRAMME_STATUS_FULL'
          ? true
          : undefined,
      );
      await eventually('the provider told', async () =>
        webhooksAbout(b.referralId, 'referral.programme_changed').find(
          (hook) => hook.payload.data['programmeStatus'] === 'PROGRAMME_STATUS_FULL',
        ),
      );
      expect((await as(`/v1/referrals/${a.referralId}/progress`)).json['status']).toBe(
        'REFERRAL_STATUS_IN_PROGRESS',
      );
      expect((await as(`/v1/referrals/${a.referralId}/complete`)).json['status']).toBe(
        'REFERRAL_STATUS_COMPLETED',
      );
      // The NGO sees every stage reached, with its time, and the final status.
      const [done] = await feedbackOf(first);
      expect(done?.status).toBe('REFERRAL_STATUS_COMPLETED');
      expect(done?.steps.map((step) => step.status)).toEqual([
        'REFERRAL_STATUS_ROUTED',
        'REFERRAL_STATUS_DELIVERED',
        'REFERRAL_STATUS_ACKNOWLEDGED',
        'REFERRAL_STATUS_ACCEPTED',
        'REFERRAL_STATUS_IN_PROGRESS',
        'REFERRAL_STATUS_COMPLETED',
      ]);
      expect(Date.parse(done?.seenAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(done?.deliveredAt ?? ''),
      );

      // Erasure: the provider is told to delete its copy, and the packet is gone; the public
      // statistics still count the case.
      const casesCounted = async (): Promise<number> => {
        const { tables } = (await publicStatistics()).json as {
          tables: { name: string; rows: { total: number | null }[] }[];
        };
        const table = tables.find((each) => each.name === 'cases_by_profile');
        return (table?.rows ?? []).reduce((sum, row) => sum + (row.total ?? 0), 0);
      };
      const countedBefore = await casesCounted();
      expect(countedBefore).toBeGreaterThanOrEqual(2);
      const erasure = await api(
        'POST',
        `/v1/cases/${first}/erasure`,
        keyOf('ngo'),
        undefined,
        undefined,
        journey('an erasure', SERVICES, WEBHOOK_SENT),
      );
      expect(erasure.status).toBe(200);
      await eventually(
        'the provider told of the erasure',
        async () => webhooksAbout(a.referralId, 'case.erased')[0],
      );
      expect(await casesCounted()).toBe(countedBefore);
      // No route gives the person's data back: not the NGO's record, not its case views.
      for (const path of [
        `/v1/cases/${first}/record`,
        `/v1/cases/${first}`,
        `/v1/cases/${first}/referrals`,
        `/v1/cases/${first}/risk`,
        '/v1/cases?limit=100',
      ]) {
        const answer = JSON.stringify((await api('GET', path, keyOf('ngo'))).json);
        for (const value of Object.values(REFERRED.programmeFirst)) {
          expect([path, answer.includes(value)]).toEqual([path, false]);
        }
      }
      const gone = await api('GET', `/v1/referrals/${a.referralId}/packet`, legal.key);
      expect([gone.status, (gone.json['error'] as { code?: string } | undefined)?.code]).toEqual([
        410,
        'AMAN_ERR_ERASED',
      ]);
    }, 120_000);

    it('escalates a missed acknowledgement to the next provider, and tells the NGO', async () => {
      const first = await provider('/psy-a', 'RECIPIENT_TYPE_PSYCHOSOCIAL', 'NEED_PSYCHOSOCIAL');
      const second = await provider('/psy-b', 'RECIPIENT_TYPE_MEDICAL', 'NEED_PSYCHOSOCIAL');
      const caseId = await submitted(
        referralCase(
          REFERRED.escalated,
          'grave',
          ['NEED_PSYCHOSOCIAL'],
          ['RECIPIENT_TYPE_PSYCHOSOCIAL', 'RECIPIENT_TYPE_MEDICAL'],
        ),
        `e2e-e-${prefix}`,
        journey('an escalation', SERVICES, ['timer referral.deadline-due', ...WEBHOOK_SENT]),
      );
      // Critical: 15 s to acknowledge (AMAN_RISK_ACKNOWLEDGE_CRITICAL). Nobody does.
      const referrals = await eventually(
        'the escalation',
        async () => {
          const both = await feedbackOf(caseId);
          return both.length === 2 ? both : undefined;
        },
        60_000,
      );
      // Listed in no particular order: the expired one, and the one routed after it.
      const missed = referrals.find((item) => item.status === 'REFERRAL_STATUS_EXPIRED');
      const next = referrals.find((item) => item !== missed);
      expect(missed?.status).toBe('REFERRAL_STATUS_EXPIRED');
      expect(missed?.steps.at(-1)).toMatchObject({
        status: 'REFERRAL_STATUS_EXPIRED',
        reason: 'acknowledgement_missed',
      });
      expect([missed?.providerOrganisationId, next?.providerOrganisationId].sort()).toEqual(
        [first.id, second.id].sort(),
      );
      expect(next?.status).toMatch(/REFERRAL_STATUS_(ROUTED|DELIVERED)/);
      await eventually(
        'the next provider’s webhook',
        async () => webhooksAbout(next?.referralId ?? '', 'referral.routed')[0],
      );
    }, 120_000);

    it('brings the open deadlines forward when an incident raises the risk', async () => {
      await provider('/medical', 'RECIPIENT_TYPE_MEDICAL', 'NEED_MEDICAL');
      const caseId = await submitted(
        referralCase(REFERRED.tightened, 'low', ['NEED_MEDICAL'], ['RECIPIENT_TYPE_MEDICAL']),
        `e2e-t-${prefix}`,
      );
      controlCaseId = caseId;
      const before = await eventually('the routing', async () => (await feedbackOf(caseId))[0]);
      const incident = await api(
        'POST',
        '/v1/incidents',
        keyOf('monitor'),
        {
          caseId,
          act: 'ACT_ATTEMPTED_KILLING',
          occurredOn: new Date().toISOString().slice(0, 10),
          province: 'AF-BAL',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
          sourceType: 'SOURCE_TYPE_NGO',
        },
        `e2e-t-${prefix}-incident`,
        journey('an incident that raises the risk', [
          'gateway',
          'accountability',
          'risk-assessment',
          'referral',
          'projections',
        ]),
      );
      expect(incident.status).toBe(201);
      const after = await eventually('the tightened deadline', async () => {
        const [now] = await feedbackOf(caseId);
        return Date.parse(now?.acknowledgeBy ?? '') < Date.parse(before.acknowledgeBy)
          ? now
          : undefined;
      });
      // From the low level's two weeks to the critical level's seconds.
      expect(Date.parse(before.acknowledgeBy) - Date.parse(after.acknowledgeBy)).toBeGreaterThan(
        86_400_000,
      );
    }, 120_000);

    it('dead-letters a webhook the receiver refused past its retries, and redelivers it when the provider asks', async () => {
      const shelter = await provider(
        '/shelter',
        'RECIPIENT_TYPE_SHELTER_NETWORK',
        'NEED_INTERNAL_RELOCATION',
      );
      hooks.failing.add('/shelter');
      const caseId = await submitted(
        referralCase(
          REFERRED.deadLettered,
          'moderate',
          ['NEED_INTERNAL_RELOCATION'],
          ['RECIPIENT_TYPE_SHELTER_NETWORK'],
        ),
        `e2e-d-${prefix}`,
        journey('a submission whose webhooks fail', SERVICES, WEBHOOK_SENT),
      );
      const letters = async () =>
        (await api('GET', '/v1/provider/dead-letters', shelter.key)).json['deadLetters'] as {
          notificationId: string;
          referralId: string;
          attempts: number;
        }[];
      const [letter] = await eventually('the dead letter', async () => {
        const listed = await letters();
        return listed.length > 0 ? listed : undefined;
      });
      expect(letter?.attempts).toBe(3);
      expect(hooks.attempts.filter((path) => path === '/shelter')).toHaveLength(3);
      // The operator sees it, with every service's store, relay and consumers.
      const during = await pipeline();
      expect(during.map((each) => [each.service, each.reachable]).sort()).toEqual(
        ['accountability', 'intake', 'projections', 'referral', 'risk-assessment'].map(
          (service) => [service, true],
        ),
      );
      const referralStatus = during.find((each) => each.service === 'referral');
      expect(referralStatus?.counters['webhook_dead_letters']).toBeGreaterThanOrEqual(1);
      expect(referralStatus?.counters['webhook_failed_attempts']).toBeGreaterThanOrEqual(3);
      // The shelter's referral waits, routed and not delivered, among the open referrals.
      expect(referralStatus?.counters['referrals_open_routed']).toBeGreaterThanOrEqual(1);
      // It has waited in that status since it was routed; the escalation above is counted.
      expect(
        referralStatus?.counters['referrals_open_routed_oldest_seconds'],
      ).toBeGreaterThanOrEqual(1);
      expect(referralStatus?.counters['referral_escalations']).toBeGreaterThanOrEqual(1);
      expect(referralStatus?.storeHead).toBeGreaterThan(0);
      expect(referralStatus?.consumers.map((consumer) => consumer.name)).toEqual(
        expect.arrayContaining(['routing', 'webhooks']),
      );
      expect((await api('GET', '/v1/operator/pipeline', shelter.key)).status).toBe(403);
      // Never a status not reached: routed, not delivered.
      const [pending] = await feedbackOf(caseId);
      expect([pending?.status, pending?.deliveredAt]).toEqual(['REFERRAL_STATUS_ROUTED', '']);
      // Another provider can neither see nor redeliver it.
      expect(
        (
          await api(
            'POST',
            `/v1/provider/dead-letters/${letter?.notificationId ?? ''}/redelivery`,
            keyOf('otherProvider'),
          )
        ).status,
      ).toBe(404);

      // The receiver is back: the provider asks for it again.
      hooks.failing.delete('/shelter');
      const redelivery = await api(
        'POST',
        `/v1/provider/dead-letters/${letter?.notificationId ?? ''}/redelivery`,
        shelter.key,
        undefined,
        undefined,
        journey('a redelivery', ['gateway', 'referral'], WEBHOOK_SENT),
      );
      expect(redelivery.status).toBe(202);
      await eventually('the delivery', async () => {
        const [now] = await feedbackOf(caseId);
        return now?.status === 'REFERRAL_STATUS_DELIVERED' && now.deliveredAt !== ''
          ? true
          : undefined;
      });
      expect(webhooksAbout(letter?.referralId ?? '', 'referral.routed')).toHaveLength(1);
      expect(await letters()).toEqual([]);
      const deadBefore = referralStatus?.counters['webhook_dead_letters'] ?? 0;
      await eventually('the operator’s count to drop', async () => {
        const now = (await pipeline()).find((each) => each.service === 'referral');
        return (now?.counters['webhook_dead_letters'] ?? deadBefore) < deadBefore
          ? true
          : undefined;
      });
    }, 120_000);

    it('shows the operator the lag a burst of submissions makes, and every consumer and relay drained after it', async () => {
      let most = { lag: 0, where: '' };
      const polling = { on: true };
      const watching = (async () => {
        while (polling.on) {
          for (const status of await pipeline()) {
            for (const consumer of status.consumers) {
              if (consumer.lag > most.lag)
                most = { lag: consumer.lag, where: `${status.service} ${consumer.name}` };
            }
          }
          // Each status asks every service (and, distributed, Kafka for every group's offsets).
          await new Promise((done) => setTimeout(done, 100));
        }
      })();
      // As a client would, a submission the platform cannot take yet (503: a call timed out while
      // the burst queued at the database) is sent again under its idempotency key.
      const ids = await Promise.all(
        BURST.map(async (someone, n) => {
          const created = await untilAnswered(() =>
            api(
              'POST',
              '/v1/cases',
              keyOf('ngo'),
              referralCase(someone, 'low', ['NEED_MEDICAL'], ['RECIPIENT_TYPE_MEDICAL']),
              `e2e-burst-${prefix}-${String(n)}`,
            ),
          );
          expect(created.status).toBe(201);
          return String(created.json['caseId']);
        }),
      );
      expect(new Set(ids).size).toBe(BURST.length);
      const drained = await eventually(
        'every consumer and relay to catch up',
        async () => {
          const now = await pipeline();
          const idle = now.every(
            (status) =>
              status.reachable &&
              status.consumers.every((consumer) => consumer.lag === 0) &&
              status.relayBacklog.every((relay) => relay.backlog === 0),
          );
          return idle ? now : undefined;
        },
        90_000,
      );
      polling.on = false;
      await watching;
      // Seen while the burst went through: events stored and not yet processed somewhere.
      expect(most.lag).toBeGreaterThan(0);
      // Every projection, process manager and collector reads every topic it subscribes to; in
      // the distributed mode each producer's relay is listed.
      expect(drained.flatMap((status) => status.consumers).length).toBeGreaterThan(10);
      if (mode === 'distributed') {
        expect(drained.flatMap((status) => status.relayBacklog).length).toBeGreaterThanOrEqual(4);
      }
    }, 180_000);

    it('answers a repeated creating request with the same key as the first time, and another body under that key with 422', async () => {
      const body = referralCase(
        REFERRED.escalated,
        'low',
        ['NEED_MEDICAL'],
        ['RECIPIENT_TYPE_EMBASSY'],
      );
      const key = `e2e-idem-${prefix}`;
      const first = await api('POST', '/v1/cases', keyOf('ngo'), body, key);
      const again = await api('POST', '/v1/cases', keyOf('ngo'), body, key);
      expect([first.status, again.status]).toEqual([201, 201]);
      owned.lastCaseId = String(first.json['caseId']);
      expect(again.json['caseId']).toBe(first.json['caseId']);
      const other = await api(
        'POST',
        '/v1/cases',
        keyOf('ngo'),
        { ...body, province: 'AF-KAB' },
        key,
      );
      expect([other.status, (other.json['error'] as { code?: string }).code]).toEqual([
        422,
        'AMAN_ERR_IDEMPOTENCY_CONFLICT',
      ]);
      // Another organisation's same key is its own.
      const elsewhere = await api('POST', '/v1/cases', keyOf('otherNgo'), body, key);
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.json['caseId']).not.toBe(first.json['caseId']);
    }, 60_000);

    // Every route that takes a body with required fields (the provider's answers and the secret
    // rotation take an empty one, so a fuzzer would act on the demo's objects).
    it('answers malformed, oversized, wrongly typed and injection-shaped bodies on every creating route with a 4xx in the error format, storing nothing', async () => {
      const demoCase = /case ([0-9a-f-]{36}), triage/.exec(demo.output)?.[1] ?? '';
      const routes: [string, string, string][] = [
        ['POST', '/v1/cases', keyOf('ngo')],
        ['POST', `/v1/cases/${demoCase}/threats`, keyOf('ngo')],
        ['PUT', `/v1/cases/${demoCase}/consent`, keyOf('ngo')],
        ['POST', `/v1/cases/${demoCase}/risk/override`, keyOf('ngo')],
        ['POST', '/v1/incidents', keyOf('monitor')],
        ['POST', `/v1/cases/${demoCase}/withdrawal`, keyOf('ngo')],
        ['POST', `/v1/cases/${demoCase}/duplicates/no-such-match`, keyOf('ngo')],
        ['POST', '/v1/incidents/no-such-incident/verification', keyOf('monitor')],
        ['POST', '/v1/incidents/no-such-incident/investigations', keyOf('monitor')],
        ['POST', '/v1/investigations/no-such-investigation/steps', keyOf('monitor')],
        ['POST', '/v1/incidents/no-such-incident/interventions', keyOf('monitor')],
        ['POST', '/v1/interventions/no-such-intervention/responses', keyOf('monitor')],
        ['POST', '/v1/interventions/no-such-intervention/status', keyOf('monitor')],
        ['PUT', '/v1/provider/webhook', keyOf('provider')],
      ];
      // The NGO's case list, once it shows the last case it created (projections follow).
      const listed = async () =>
        (await api('GET', '/v1/cases?limit=100', keyOf('ngo'))).json['cases'] as {
          caseId: string;
        }[];
      const casesBefore = (
        await eventually('the case list up to date', async () => {
          const cases = await listed();
          return cases.some((each) => each.caseId === owned.lastCaseId) ? cases : undefined;
        })
      ).length;
      const deep = (depth: number): unknown => (depth === 0 ? 'x' : { a: deep(depth - 1) });
      const hostile = fc.oneof(
        fc.anything(),
        fc.constantFrom<unknown>(
          { $gt: '' },
          { caseId: { $gt: '' } },
          { $where: 'sleep(1000)' },
          JSON.parse('{"__proto__": {"polluted": true}}'),
          { constructor: { prototype: { polluted: true } } },
          { fullName: 'x'.repeat(70_000) },
          deep(200),
          [1, 2, 3],
          'just a string',
          null,
          { kind: 'THREAT_KIND_DEATH_THREAT\r\nX-Injected: 1' },
        ),
        fc.dictionary(
          fc.string(),
          fc.oneof(fc.string({ maxLength: 3000 }), fc.integer(), fc.constant(null)),
        ),
      );
      let calls = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), hostile, async ([method, path, key], body) => {
          calls += 1;
          const response = await fetch(`${apiOf(offset)}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'idempotency-key': `fuzz-${prefix}-${String(calls)}`,
            },
            body: body === undefined ? 'undefined' : JSON.stringify(body),
          });
          const text = await response.text();
          // Never a 5xx, never a hang: a 4xx in the one error format.
          expect([path, response.status >= 400 && response.status < 500]).toEqual([path, true]);
          const parsed = JSON.parse(text) as { error?: { code?: string; requestId?: string } };
          expect(parsed.error?.code).toMatch(/^AMAN_ERR_/);
          expect(parsed.error?.requestId).toBeTruthy();
        }),
        { numRuns: 300 },
      );
      expect(calls).toBe(300);
      // Nothing was stored: the NGO has the cases it had, once the projections caught up.
      await new Promise((done) => setTimeout(done, 2_000));
      expect((await listed()).length).toBe(casesBefore);
    }, 180_000);

    it('isolates every route: 401 without a key or with a revoked one, 403 for another kind of organisation, 404 for another organisation’s object, whatever the route', async () => {
      const demoCase = /case ([0-9a-f-]{36}), triage/.exec(demo.output)?.[1] ?? '';
      const demoReferral = (
        (await api('GET', `/v1/cases/${demoCase}/referrals`, keyOf('ngo'))).json['referrals'] as {
          referralId: string;
        }[]
      )[0]?.referralId;
      expect(demoReferral).toBeDefined();
      const threat = threatOf('low');
      type Kind = 'ngo' | 'provider' | 'monitor' | 'operator';
      /**
       * One row per route of the OpenAPI document (itself checked against fastify's route table
       * by app.int.test.ts): who may call it, and, for a route that takes another organisation's
       * object, the ids of the demo NGO's or provider's own and a valid body, so that only the
       * object can make the answer 404.
       */
      const matrix: Record<
        string,
        {
          readonly as: Kind[] | 'public';
          readonly owner?: 'ngo' | 'provider';
          readonly ids?: Record<string, string>;
          readonly body?: unknown;
        }
      > = {
        'POST /v1/cases': { as: ['ngo'] },
        'GET /v1/cases': { as: ['ngo'] },
        'GET /v1/cases/{caseId}': { as: ['ngo'], owner: 'ngo', ids: { caseId: demoCase } },
        'GET /v1/cases/{caseId}/record': { as: ['ngo'], owner: 'ngo', ids: { caseId: demoCase } },
        'GET /v1/cases/{caseId}/risk': { as: ['ngo'], owner: 'ngo', ids: { caseId: demoCase } },
        'POST /v1/cases/{caseId}/risk/override': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: demoCase },
          body: { level: 'RISK_LEVEL_HIGH', justification: 'Isolation check (synthetic).' },
        },
        'POST /v1/cases/{caseId}/threats': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: demoCase },
          body: threat,
        },
        'PUT /v1/cases/{caseId}/consent': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: demoCase },
          body: {
            grants: [],
            method: 'CONSENT_METHOD_IN_PERSON',
            obtainedAt: new Date().toISOString(),
          },
        },
        'POST /v1/cases/{caseId}/withdrawal': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: demoCase },
          body: { reason: 'WITHDRAWAL_REASON_SAFE' },
        },
        'POST /v1/cases/{caseId}/erasure': { as: ['ngo'], owner: 'ngo', ids: { caseId: demoCase } },
        'POST /v1/cases/{caseId}/duplicates/{matchId}': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: owned.matchCaseId, matchId: owned.matchId },
          body: { response: 'DUPLICATE_RESPONSE_LINK' },
        },
        'GET /v1/cases/{caseId}/referrals': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { caseId: demoCase },
        },
        'POST /v1/referrals/{referralId}/info-answered': {
          as: ['ngo'],
          owner: 'ngo',
          ids: { referralId: demoReferral ?? '' },
        },
        'GET /v1/referrals': { as: ['provider'] },
        'GET /v1/referrals/{referralId}/packet': {
          as: ['provider'],
          owner: 'provider',
          ids: { referralId: demoReferral ?? '' },
        },
        ...Object.fromEntries(
          ['acknowledge', 'accept', 'decline', 'complete', 'request-info', 'progress', 'close'].map(
            (action) => [
              `POST /v1/referrals/{referralId}/${action}`,
              {
                as: ['provider'] as Kind[],
                owner: 'provider' as const,
                ids: { referralId: demoReferral ?? '' },
                body: {},
              },
            ],
          ),
        ),
        'GET /v1/feed': { as: ['provider'] },
        'GET /v1/programmes': { as: ['ngo', 'provider', 'monitor', 'operator'] },
        'POST /v1/provider/webhook/secret-rotation': { as: ['provider'] },
        'PUT /v1/provider/webhook': { as: ['provider'] },
        'GET /v1/provider/dead-letters': { as: ['provider'] },
        'POST /v1/provider/dead-letters/{notificationId}/redelivery': { as: ['provider'] },
        'POST /v1/incidents': { as: ['monitor'] },
        'POST /v1/incidents/{incidentId}/verification': { as: ['monitor'] },
        'POST /v1/incidents/{incidentId}/investigations': { as: ['monitor'] },
        'POST /v1/investigations/{investigationId}/steps': { as: ['monitor'] },
        'POST /v1/incidents/{incidentId}/interventions': { as: ['monitor'] },
        'POST /v1/interventions/{interventionId}/responses': { as: ['monitor'] },
        'POST /v1/interventions/{interventionId}/status': { as: ['monitor'] },
        'GET /v1/interventions/overdue': { as: ['monitor'] },
        'GET /v1/statistics/impunity': { as: ['monitor'] },
        'GET /v1/monitor/dashboard': { as: ['monitor'] },
        'GET /v1/statistics': { as: 'public' },
        'GET /v1/operator/pipeline': { as: ['operator'] },
      };
      const document = (await (await fetch(`${apiOf(offset)}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      // One row per route: a new route without one fails here.
      expect(Object.keys(matrix).sort()).toEqual([...routes].sort());

      // A key of each kind, a second organisation of the owner's kind, and revoked keys.
      const keyed = async (type: Kind, name: string) => {
        const created = await aman('org', 'create', '--type', type, '--name', name);
        return {
          id: /organisation (\S+) /.exec(created)?.[1] ?? '',
          key: /API key \(shown once\): (\S+)/.exec(created)?.[1] ?? '',
        };
      };
      const keys: Record<Kind, string> = {
        ngo: keyOf('ngo'),
        provider: keyOf('provider'),
        monitor: keyOf('monitor'),
        operator: (await keyed('operator', 'Isolation operator')).key,
      };
      const others = { ngo: keyOf('otherNgo'), provider: keyOf('otherProvider') };
      const revoked: Partial<Record<Kind, string>> = {};
      for (const type of ['ngo', 'provider', 'monitor', 'operator'] as const) {
        const organisation = await keyed(type, `Revoked ${type}`);
        await aman('org', 'revoke', '--org', organisation.id);
        revoked[type] = organisation.key;
      }

      const call = async (
        route: string,
        key: string | undefined,
        ids: Record<string, string>,
        body?: unknown,
      ) => {
        const [method = 'GET', template = ''] = route.split(' ');
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? 'no-such-id');
        const started = performance.now();
        const response = await fetch(`${apiOf(offset)}${path}`, {
          method,
          headers: {
            ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            'idempotency-key': `isolation-${prefix}-${route.length}`,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, ms: performance.now() - started };
      };

      const failures: string[] = [];
      const expectStatus = (route: string, who: string, actual: number, expected: number) => {
        if (actual !== expected) failures.push(`${route} as ${who}: ${actual}, not ${expected}`);
      };
      for (const [route, row] of Object.entries(matrix)) {
        const ids = row.ids ?? {};
        if (row.as === 'public') {
          expectStatus(route, 'nobody', (await call(route, undefined, ids)).status, 400);
          continue;
        }
        expectStatus(route, 'nobody', (await call(route, undefined, ids, row.body)).status, 401);
        for (const type of ['ngo', 'provider', 'monitor', 'operator'] as const) {
          const key = revoked[type] ?? '';
          expectStatus(
            route,
            `revoked ${type}`,
            (await call(route, key, ids, row.body)).status,
            401,
          );
          if (!row.as.includes(type)) {
            const refused = await call(route, keys[type], ids, row.body);
            expectStatus(route, type, refused.status, 403);
          }
        }
        if (row.owner !== undefined) {
          // Another organisation of the same kind: 404, told exactly as for an id that never
          // existed (the same body, the request id aside).
          const foreign = await call(route, others[row.owner], ids, row.body);
          const never = await call(
            route,
            others[row.owner],
            Object.fromEntries(Object.keys(ids).map((name) => [name, `no-such-${name}`])),
            row.body,
          );
          expectStatus(route, `another ${row.owner}`, foreign.status, 404);
          const withoutRequestId = (text: string) => text.replace(/"requestId":"[^"]*"/, '');
          if (withoutRequestId(foreign.text) !== withoutRequestId(never.text)) {
            failures.push(`${route}: another's object answered otherwise than none`);
          }
          // And no sooner than the gateway's floor for a 404 (AMAN_NOT_FOUND_FLOOR_MS, 150 ms),
          // whichever path the service took.
          for (const [what, answer] of [
            ['another’s', foreign],
            ['none', never],
          ] as const) {
            if (answer.ms < 145)
              failures.push(`${route}: ${what} 404 in ${answer.ms.toFixed(0)} ms`);
          }
        }
      }
      expect(failures).toEqual([]);
    }, 300_000);

    it('reports what a compromised key read, for the NGOs to warn, and revokes it at once', async () => {
      const { provider: legal, readCase } = programmeJourney;
      expect(readCase).not.toBe('');
      const keyId = `key_${legal.key.slice(5, 13)}`;
      const report = await aman('report', 'access', '--key', keyId, '--revoke');
      expect(report).toContain('1 keys revoked');
      // The packet it fetched, with the NGO that holds the case.
      const ngoId = (
        JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as { ngo: { id: string } }
      ).ngo.id;
      expect(report).toContain(
        `ACCESS_KIND_PACKET ACCESS_OUTCOME_READ case ${readCase} (NGO ${ngoId})`,
      );
      expect(report).toMatch(new RegExp(`NGO ${ngoId}: \\d+ cases to warn: .*${readCase}`));
      for (const canary of canaries) expect(report).not.toContain(canary);
      // Revoked with no grace period.
      expect((await api('GET', '/v1/referrals', legal.key)).status).toBe(401);
    }, 60_000);

    it('shows each stakeholder what the history implies: public statistics with no key, the monitor’s dashboard', async () => {
      type Table = {
        name: string;
        categories: string[];
        rows: { period: string; cells: (number | null)[]; total: number | null }[];
      };
      const column = (table: Table | undefined, category: string): number =>
        (table?.rows ?? []).reduce((sum, row) => {
          const index = table?.categories.indexOf(category) ?? -1;
          return sum + (row.cells[index] ?? 0);
        }, 0);
      // The operator's probes: live, and ready with every dependency up.
      const ready = await fetch(`${apiOf(offset)}/health/ready`);
      expect([ready.status, ((await ready.json()) as { status: string }).status]).toEqual([
        200,
        'ready',
      ]);
      const statistics = await publicStatistics();
      expect(statistics.status).toBe(200);
      const published = statistics.json as { minCell: number; tables: Table[] };
      expect(published.minCell).toBe(2);
      // The five referral journeys' cases were all lawyers'.
      const byProfile = published.tables.find((table) => table.name === 'cases_by_profile');
      expect(column(byProfile, 'PROFILE_LAWYER')).toBeGreaterThanOrEqual(5);
      // Nothing published is below the minimum: small cells are null.
      for (const table of published.tables) {
        for (const row of table.rows) {
          for (const count of [...row.cells, row.total]) {
            if (count !== null) expect(count).toBeGreaterThanOrEqual(2);
          }
        }
      }
      // No personal data, no free text: the canaries are nowhere in it.
      for (const canary of canaries) expect(JSON.stringify(published)).not.toContain(canary);

      const dashboard = await api('GET', `/v1/monitor/dashboard?${months()}`, keyOf('monitor'));
      expect(dashboard.status).toBe(200);
      const incidents = (dashboard.json['incidents'] as Table[]).find(
        (table) => table.name === 'incidents_by_act',
      );
      expect(column(incidents, 'ACT_ASSAULT')).toBeGreaterThanOrEqual(1);
      expect(column(incidents, 'ACT_ATTEMPTED_KILLING')).toBeGreaterThanOrEqual(1);
      expect(dashboard.json['overdueInterventions']).toBeGreaterThanOrEqual(1);
      // The monitor's incident (an assault, its suspect identified) is in the impunity figures.
      expect(
        (dashboard.json['impunity'] as { killingsAndAttacks: { identified: number } })
          .killingsAndAttacks.identified,
      ).toBeGreaterThanOrEqual(1);
      expect((await api('GET', `/v1/monitor/dashboard?${months()}`, keyOf('ngo'))).status).toBe(
        403,
      );
    }, 60_000);

    it('gives each journey one root trace, correctly parented, through every service it touched, with its deferred work in traces linked from it', async () => {
      const demoTrace = /trace: ([0-9a-f]{32})/.exec(demo.output)?.[1] ?? '';
      expect(demoTrace).not.toBe('');
      const checked = [
        { name: 'the demo', traceId: demoTrace, services: SERVICES, deferred: WEBHOOK_SENT },
        ...journeys,
      ];
      expect(checked.map((each) => each.name)).toHaveLength(7);
      const problemsOf = (each: (typeof checked)[number]): string[] => {
        const spans = otlp.spans;
        const inTrace = (traceId: string) => spans.filter((span) => span.traceId === traceId);
        const problems: string[] = [];
        // Every span's parent is in the trace, but for the gateway's server spans of the
        // journey's requests: theirs is the client's span (the test's or the demo's, one per
        // request, not sent).
        const own = inTrace(each.traceId);
        const ids = new Set(own.map((span) => span.spanId));
        const roots = own.filter(
          (span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId),
        );
        if (
          roots.length === 0 ||
          roots.some((span) => span.service !== 'gateway' || span.parentSpanId === undefined)
        ) {
          problems.push(
            `roots ${roots.map((span) => `${span.service}:${span.name}`).join(', ') || 'none'}`,
          );
        }
        const services = new Set(own.map((span) => span.service));
        for (const service of each.services) {
          if (!services.has(service)) problems.push(`no span from ${service}`);
        }
        // Deferred work: traces linked from this one, however deep, each with one root that
        // has no parent and links back into the family.
        const family = withLinkedTraces(spans, [each.traceId]);
        for (const traceId of family) {
          if (traceId === each.traceId) continue;
          const linked = inTrace(traceId);
          const linkedIds = new Set(linked.map((span) => span.spanId));
          const linkedRoots = linked.filter(
            (span) => span.parentSpanId === undefined || !linkedIds.has(span.parentSpanId),
          );
          const [linkedRoot] = linkedRoots;
          if (
            linkedRoots.length !== 1 ||
            linkedRoot?.parentSpanId !== undefined ||
            (linkedRoot?.links.length ?? 0) === 0
          ) {
            problems.push(`linked trace ${traceId} has roots ${String(linkedRoots.length)}`);
          }
        }
        for (const name of each.deferred) {
          const found = spans.some(
            (span) =>
              span.name === name && span.traceId !== each.traceId && family.has(span.traceId),
          );
          if (!found) problems.push(`no ${name} in a linked trace`);
        }
        return problems;
      };
      // Spans arrive in batches from six processes: wait until every journey checks out.
      const deadline = Date.now() + 30_000;
      let problems = checked.map((each) => [each.name, problemsOf(each)] as const);
      while (problems.some(([, found]) => found.length > 0) && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 500));
        problems = checked.map((each) => [each.name, problemsOf(each)] as const);
      }
      expect(problems.filter(([, found]) => found.length > 0)).toEqual([]);
      // The hops of a submission: HTTP, gRPC, append, publish (distributed), consume,
      // projection; a webhook is a client span under its attempt's timer, and the provider
      // received the trace that sent it.
      const names = new Set(
        otlp.spans.filter((span) => span.traceId === demoTrace).map((span) => span.name),
      );
      const hops = [
        ['POST /v1/cases', (name: string) => name === 'POST /v1/cases'],
        ['gRPC', (name: string) => name.startsWith('aman.intake.v1.IntakeService/')],
        ['append', (name: string) => name === 'eventstore.append'],
        ...(mode === 'distributed'
          ? [['publish', (name: string) => name.startsWith('publish ')] as const]
          : []),
        ['consume', (name: string) => name.startsWith('consume ')],
        ['projection', (name: string) => name === 'project ngo_cases'],
      ] as const;
      for (const [hop, matches] of hops) {
        expect([hop, [...names].some(matches)]).toEqual([hop, true]);
      }
      // Each webhook the provider received names, as its parent, the span that sent it (those
      // of the burst may still be on their way to the collector).
      const sentBy = (): string[] => {
        const deliveries = new Set(
          otlp.spans
            .filter((span) => span.name === 'webhook.deliver')
            .map((span) => `${span.traceId}-${span.spanId}`),
        );
        return hooks.received
          .map((hook) => hook.traceparent.split('-').slice(1, 3).join('-'))
          .filter((sender) => !deliveries.has(sender));
      };
      expect(hooks.received.length).toBeGreaterThan(0);
      await eventually('every webhook’s sending span', async () =>
        sentBy().length === 0 ? true : undefined,
      );
    }, 60_000);

    it('never lets a canary person reach a span, a metric, a log line, a Kafka record, a stored event or document, or a webhook, in any encoding', async () => {
      // Every journey above ran with canary people: submission, re-assessment, duplicates,
      // referral and webhook, programme, escalation, incident, dead letter and redelivery,
      // erasure. A case id is the control: not personal, and carried where telemetry may carry
      // it, so a search that finds nothing has looked in the right places.
      const search = new LeakSearch(canaries);
      const control = new LeakSearch([controlCaseId]);
      expect(controlCaseId).not.toBe('');
      const leaks: string[] = [];
      const controlIn = new Set<string>();
      const look = (capture: string, where: string, text: string): void => {
        leaks.push(...search.describe(where, text));
        if (control.find(text).length > 0) controlIn.add(capture);
      };

      // Telemetry from every process: spans and metrics over OTLP, log lines in logs/.
      const exported = (path: string) => otlp.bodies.filter((body) => body.path === path);
      const servicesIn = (bodies: readonly { body: string }[]) =>
        [
          ...new Set(
            bodies.flatMap(({ body }) =>
              [...body.matchAll(/"key":"service\.name","value":\{"stringValue":"([a-z-]+)"/g)].map(
                (match) => match[1],
              ),
            ),
          ),
        ].sort();
      expect(servicesIn(exported('/v1/traces'))).toEqual([...SERVICES].sort());
      expect(servicesIn(exported('/v1/metrics'))).toEqual([...SERVICES].sort());
      for (const { path, body } of otlp.bodies)
        look(path === '/v1/metrics' ? 'metrics' : 'spans', `OTLP ${path}`, body);
      for (const metric of [
        'aman.consumer.lag',
        'aman.store.head_position',
        'aman.service.counter',
        'aman.webhook.duration',
        'rpc.server.duration',
        'http.server.request.duration',
        ...(mode === 'distributed' ? ['aman.relay.backlog', 'aman.relay.publish.delay'] : []),
      ]) {
        expect([
          metric,
          exported('/v1/metrics').some(({ body }) => body.includes(`"${metric}"`)),
        ]).toEqual([metric, true]);
      }
      const logs = join(dataDir, 'logs');
      for (const service of SERVICES) {
        const lines = readFileSync(join(logs, `${service}.log`), 'utf8')
          .split('\n')
          .filter((line) => line.startsWith('{'));
        expect([service, lines.length > 0]).toEqual([service, true]);
        expect([service, lines.some((line) => line.includes('"trace_id":"'))]).toEqual([
          service,
          true,
        ]);
      }

      // Every file of the run: SQLite databases and their WALs (events, read models, timers,
      // vault) in the embedded mode, and every service's log in both.
      for (const file of filesUnder(dataDir)) {
        look(file.path.startsWith(logs) ? 'logs' : 'stored', file.path, file.text);
      }
      expect(hooks.received.length).toBeGreaterThan(0);
      for (const { path, body } of hooks.received) look('webhooks', `a webhook to ${path}`, body);
      if (mode === 'distributed') {
        for (const collection of await readMongoDatabases(mongoUri() ?? '', prefix)) {
          look('stored', collection.name, collection.text);
          // Sealed values too stay in intake's own database (its events and its vault).
          if (!collection.name.startsWith(`${prefix}_intake.`) && SEALED.test(collection.text)) {
            leaks.push(`${collection.name}: a sealed value`);
          }
        }
        const kafka = new Kafka({ brokers: kafkaBrokers() ?? [], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        await admin.disconnect();
        expect(topics.length).toBeGreaterThan(0);
        const consumer = kafka.consumer({ groupId: `${prefix}-canary-check` });
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        let records = 0;
        let quietSince = Date.now();
        await consumer.run({
          eachMessage: async ({ topic, message }) => {
            records += 1;
            quietSince = Date.now();
            const text = `${message.key?.toString('latin1') ?? ''}${message.value?.toString('latin1') ?? ''}${JSON.stringify(message.headers ?? {})}`;
            look('kafka', `kafka ${topic}`, text);
            // Not even sealed: intake publishes no personal data at all.
            if (SEALED.test(text)) leaks.push('kafka: a sealed value');
          },
        });
        while (Date.now() - quietSince < 3_000 || records === 0) {
          await new Promise((done) => setTimeout(done, 250));
          if (Date.now() - quietSince > 30_000) break;
        }
        await consumer.disconnect();
        expect(records).toBeGreaterThan(0);
      }
      expect([...new Set(leaks)]).toEqual([]);
      // Metric labels carry names, never an id: not even the control's case id.
      expect(controlIn.has('metrics')).toBe(false);
      // The search looked where the control is: spans, stored events, logs (and Kafka).
      expect([...controlIn].sort()).toEqual(
        expect.arrayContaining(['spans', 'stored', ...(mode === 'distributed' ? ['kafka'] : [])]),
      );
    }, 180_000);
  });
}

journey('embedded');
if (kafkaBrokers() !== undefined && mongoUri() !== undefined) journey('distributed');
else
  describe.skip('the journey, distributed mode [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
