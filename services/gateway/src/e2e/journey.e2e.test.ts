import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';

import { eventually, kafkaBrokers, mongoUri, readMongoDatabases } from '@aman/testing';

import { DEMO_DEFENDER } from '../demoPerson.ts';
import { startOtlpReceiver } from './otlpReceiver.ts';

// The journey of issue 7, through the README's two commands as child processes: `pnpm start`
// (all six services) and `pnpm demo` (the NGO, provider and monitor over the public API, with a
// verifying webhook receiver). Then: one trace across every process, and the canary person in no
// log line, stored event, Kafka record or span.

const root = resolve(__dirname, '../../../..');
/** A second synthetic person, submitted by two NGOs under two spellings of one name. */
const TWICE_REFERRED = {
  byFirstNgo: { fullName: 'Mohammad Testzai Karimi', dateOfBirth: '1985-03-02' },
  bySecondNgo: { fullName: 'Muhammad Testzai Kareemi', dateOfBirth: '1985-03-02' },
  phone: '+93 700 555 010',
  place: 'Testpur, Lane 4',
};
const canaries = [
  ...Object.values(DEMO_DEFENDER),
  TWICE_REFERRED.byFirstNgo.fullName,
  TWICE_REFERRED.bySecondNgo.fullName,
  TWICE_REFERRED.phone,
  TWICE_REFERRED.place,
];
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

interface Run {
  readonly output: string;
  readonly code: number | null;
}

function run(command: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command[0] ?? 'pnpm', command.slice(1), { cwd: root, env, stdio: 'pipe' });
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
    const child = spawn('pnpm', ['start'], { cwd: root, env, stdio: 'pipe', detached: true });
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
    ): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`http://127.0.0.1:${18_080 + offset}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      env = {
        ...process.env,
        AMAN_DATA_DIR: dataDir,
        AMAN_HTTP_PORT: String(18_080 + offset),
        AMAN_DEMO_WEBHOOK_PORT: String(14_600 + offset),
        AMAN_INTAKE_PORT: String(51_051 + offset),
        AMAN_INTAKE_ADDRESS: `127.0.0.1:${51_051 + offset}`,
        AMAN_RISK_ASSESSMENT_PORT: String(51_052 + offset),
        AMAN_RISK_ASSESSMENT_ADDRESS: `127.0.0.1:${51_052 + offset}`,
        AMAN_REFERRAL_PORT: String(51_053 + offset),
        AMAN_REFERRAL_ADDRESS: `127.0.0.1:${51_053 + offset}`,
        AMAN_ACCOUNTABILITY_PORT: String(51_054 + offset),
        AMAN_ACCOUNTABILITY_ADDRESS: `127.0.0.1:${51_054 + offset}`,
        AMAN_PROJECTIONS_PORT: String(51_055 + offset),
        AMAN_PROJECTIONS_ADDRESS: `127.0.0.1:${51_055 + offset}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        LOG_LEVEL: 'debug',
        AMAN_DATABASE_PREFIX: prefix,
        AMAN_TOPIC_PREFIX: `${prefix}.`,
      };
      if (mode === 'embedded') {
        env['AMAN_MODE'] = 'embedded';
      } else {
        env['AMAN_MODE'] = 'distributed';
        env['AMAN_MASTER_KEY'] = Buffer.alloc(32, 7).toString('base64');
        env['AMAN_MASTER_KEY_ID'] = 'e2e-master';
        env['AMAN_BLIND_INDEX_KEY'] = Buffer.alloc(32, 9).toString('base64');
      }
      platform = await startPlatform(env);
      demo = await run(['pnpm', 'demo'], env, 180_000);
    }, 480_000);

    afterAll(async () => {
      if (platform !== undefined) await stopPlatform(platform.child);
      await otlp.close();
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

    it('carries one trace through every process, the webhook call included', async () => {
      const traceId = /trace: ([0-9a-f]{32})/.exec(demo.output)?.[1];
      expect(traceId).toBeDefined();
      const deadline = Date.now() + 15_000;
      const servicesInTrace = (): string[] =>
        [...new Set(otlp.spans.filter((s) => s.traceId === traceId).map((s) => s.service))].sort();
      while (servicesInTrace().length < SERVICES.length && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 250));
      }
      expect(servicesInTrace()).toEqual([...SERVICES].sort());
      expect(otlp.spans.some((s) => s.traceId === traceId && s.name === 'webhook.deliver')).toBe(
        true,
      );
    });

    it('never lets the canary person reach a log line, a stored event, a Kafka record or a span', async () => {
      const leaks: string[] = [];
      for (const file of filesUnder(dataDir)) {
        for (const canary of canaries)
          if (file.text.includes(canary)) leaks.push(`${file.path}: ${canary}`);
      }
      for (const body of otlp.raw) {
        for (const canary of canaries) if (body.includes(canary)) leaks.push(`a span: ${canary}`);
      }
      if (mode === 'distributed') {
        for (const collection of await readMongoDatabases(mongoUri() ?? '', prefix)) {
          for (const canary of canaries) {
            if (collection.text.includes(canary)) leaks.push(`${collection.name}: ${canary}`);
          }
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
          eachMessage: async ({ message }) => {
            records += 1;
            quietSince = Date.now();
            const text = `${message.value?.toString('latin1') ?? ''}${JSON.stringify(message.headers ?? {})}`;
            for (const canary of canaries)
              if (text.includes(canary)) leaks.push(`kafka: ${canary}`);
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
      expect(leaks).toEqual([]);
    }, 120_000);
  });
}

journey('embedded');
if (kafkaBrokers() !== undefined && mongoUri() !== undefined) journey('distributed');
else
  describe.skip('the journey, distributed mode [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
