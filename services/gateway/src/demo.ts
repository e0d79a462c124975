// `pnpm demo`: walks one protection referral through the running platform (`pnpm start`), as an
// NGO, a provider with a real webhook receiver and a monitor would, printing each step with its
// latency and where to find the trace. Exits 0 when the whole journey worked.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join, resolve } from 'node:path';

import { Webhook } from 'standardwebhooks';

import { DEMO_DEFENDER } from './demoPerson.ts';

const LEVELS = ['RISK_LEVEL_LOW', 'RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'];

interface Demo {
  readonly api: string;
  readonly webhookPort: number;
  readonly ngo: { readonly id: string; readonly key: string };
  readonly otherNgo: { readonly key: string };
  readonly provider: { readonly id: string; readonly key: string; readonly webhookSecret: string };
  readonly otherProvider: { readonly key: string };
  readonly monitor: { readonly key: string };
}

const dataDir = resolve(process.env['AMAN_DATA_DIR'] ?? 'data');
const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as Demo;
const traceId = randomBytes(16).toString('hex');
let step = 0;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function timed<T>(title: string, work: () => Promise<T>): Promise<T> {
  step += 1;
  const started = performance.now();
  const result = await work();
  say(`${String(step).padStart(2)}. ${title}  (${Math.round(performance.now() - started)} ms)`);
  return result;
}

async function api(
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${demo.api}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      // Every request of the demo joins one trace, so the journey is one trace to open.
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

function expectStatus(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected HTTP ${expected}, got ${actual}`);
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The provider's webhook endpoint: verifies every delivery with the standardwebhooks library. */
function startReceiver(): Promise<{
  deliveries: { payload: Record<string, unknown> }[];
  close: () => void;
}> {
  const verifier = new Webhook(demo.provider.webhookSecret);
  const deliveries: { payload: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        const headers = request.headers as IncomingHttpHeaders & Record<string, string>;
        const payload = verifier.verify(body, headers) as Record<string, unknown>;
        deliveries.push({ payload });
        response.writeHead(204).end();
      } catch {
        say('    (a webhook with a bad signature was refused)');
        response.writeHead(400).end();
      }
    });
  });
  return new Promise((ready) => {
    server.listen(demo.webhookPort, '127.0.0.1', () => {
      ready({ deliveries, close: () => server.close() });
    });
  });
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  say(`Aman demo against ${demo.api} — trace ${traceId}\n`);
  try {
    const submitted = await timed('NGO submits a case with consent → 201', async () => {
      const response = await api(
        'POST',
        '/v1/cases',
        demo.ngo.key,
        {
          defender: DEMO_DEFENDER,
          profile: 'PROFILE_JOURNALIST',
          gender: 'GENDER_WOMAN',
          province: 'AF-HER',
          outsideCapital: true,
          familyExposed: true,
          threats: [
            {
              kind: 'THREAT_KIND_SURVEILLANCE',
              occurredOn: new Date().toISOString().slice(0, 10),
              source: 'THREAT_SOURCE_ARMED_GROUP',
              objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
              feasibility: 'FEASIBILITY_MEDIUM',
              declared: false,
              narrative: 'Followed home after her reporting (synthetic).',
            },
          ],
          needs: ['NEED_RELOCATION_ABROAD', 'NEED_EMERGENCY_GRANT'],
          consent: {
            grants: [
              {
                recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
                fieldGroups: [
                  'FIELD_GROUP_IDENTITY',
                  'FIELD_GROUP_CONTACT',
                  'FIELD_GROUP_CIRCUMSTANCES',
                ],
              },
            ],
            method: 'CONSENT_METHOD_IN_PERSON',
            obtainedAt: new Date().toISOString(),
          },
        },
        { 'idempotency-key': `demo-${traceId}` },
      );
      expectStatus(response.status, 201, 'submitting the case');
      return response.json as { caseId: string; triage: { status: string; riskLevel: string } };
    });
    say(
      `    case ${submitted.caseId}, triage ${submitted.triage.status} ${submitted.triage.riskLevel}`,
    );

    const delivery = await timed('the embassy’s webhook receives a signed, thin notification', () =>
      eventually('the webhook', () => Promise.resolve(receiver.deliveries[0])),
    );
    const data = delivery.payload['data'] as { referralId: string; respondBy: string };
    say(
      `    ${String(delivery.payload['type'])} for referral ${data.referralId}, respond by ${data.respondBy}`,
    );
    say('    signature verified with the standardwebhooks library');

    const packet = await timed(
      'the embassy fetches the packet: only the consented field groups',
      async () => {
        const response = await api(
          'GET',
          `/v1/referrals/${data.referralId}/packet`,
          demo.provider.key,
        );
        expectStatus(response.status, 200, 'fetching the packet');
        return response.json;
      },
    );
    say(`    field groups: ${(packet['fieldGroups'] as string[]).join(', ')}`);
    if (packet['place'] !== undefined || packet['threatNarratives'] !== undefined) {
      throw new Error('the packet holds a field group the consent does not grant');
    }
    if (packet['fullName'] !== DEMO_DEFENDER.fullName || packet['phone'] !== DEMO_DEFENDER.phone) {
      throw new Error('the packet does not hold the consented fields, decrypted');
    }
    say('    identity and contact decrypted for this read; place and narratives withheld');
    await timed('another NGO, an unrelated provider and no key are refused', async () => {
      const others = await Promise.all([
        api('GET', `/v1/cases/${submitted.caseId}`, demo.otherNgo.key),
        api('GET', `/v1/referrals/${data.referralId}/packet`, demo.otherProvider.key),
        api('GET', `/v1/referrals/${data.referralId}/packet`, undefined),
      ]);
      expectStatus(others[0].status, 404, 'a second NGO reading the case');
      expectStatus(others[1].status, 404, 'an unrelated provider reading the packet');
      expectStatus(others[2].status, 401, 'no key');
    });

    for (const action of ['acknowledge', 'accept', 'complete']) {
      await timed(`the embassy ${action}s the referral`, async () => {
        const response = await api(
          'POST',
          `/v1/referrals/${data.referralId}/${action}`,
          demo.provider.key,
          {},
        );
        expectStatus(response.status, 200, action);
      });
    }

    const view = await timed('the NGO’s case view shows every stage with its time', () =>
      eventually('the completed referral in the NGO view', async () => {
        const response = await api('GET', `/v1/cases/${submitted.caseId}`, demo.ngo.key);
        const referrals = (response.json['referrals'] ?? []) as {
          status: string;
          stages: { name: string; at: string }[];
        }[];
        return referrals[0]?.status === 'REFERRAL_STATUS_COMPLETED' ? response.json : undefined;
      }),
    );
    for (const stage of [
      ...(view['stages'] as { name: string; at: string }[]),
      ...((view['referrals'] as { stages: { name: string; at: string }[] }[])[0]?.stages ?? []),
    ]) {
      say(`    ${stage.name.padEnd(14)} ${stage.at}`);
    }
    const levelBefore = String(view['riskLevel']);

    if (levelBefore === 'RISK_LEVEL_CRITICAL') throw new Error('the case is critical already');
    await timed('a monitor records an incident against the case', async () => {
      const response = await api(
        'POST',
        '/v1/incidents',
        demo.monitor.key,
        {
          caseId: submitted.caseId,
          act: 'ACT_ATTEMPTED_KILLING',
          occurredOn: new Date().toISOString().slice(0, 10),
          province: 'AF-HER',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
          sourceType: 'SOURCE_TYPE_NGO',
        },
        { 'idempotency-key': `demo-incident-${traceId}` },
      );
      expectStatus(response.status, 201, 'recording the incident');
    });
    const raised = await timed('the case is re-assessed: the NGO sees the level rise', () =>
      eventually('the re-assessment', async () => {
        const response = await api('GET', `/v1/cases/${submitted.caseId}`, demo.ngo.key);
        const stages = (response.json['stages'] ?? []) as { name: string }[];
        const risen =
          LEVELS.indexOf(String(response.json['riskLevel'])) > LEVELS.indexOf(levelBefore);
        return stages.some((stage) => stage.name === 're-assessed') && risen
          ? response.json
          : undefined;
      }),
    );
    say(`    risk ${levelBefore} → ${String(raised['riskLevel'])}`);

    await timed('the NGO reports a new threat against the person', async () => {
      const response = await api(
        'POST',
        `/v1/cases/${submitted.caseId}/threats`,
        demo.ngo.key,
        {
          kind: 'THREAT_KIND_THREAT_TO_FAMILY',
          occurredOn: new Date().toISOString().slice(0, 10),
          source: 'THREAT_SOURCE_ARMED_GROUP',
          objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
          narrative: `${DEMO_DEFENDER.fullName}'s family was warned (synthetic).`,
        },
        { 'idempotency-key': `demo-threat-${traceId}` },
      );
      expectStatus(response.status, 201, 'reporting the threat');
    });
    await timed('the NGO erases the person’s data (the data key is destroyed)', async () => {
      const response = await api('POST', `/v1/cases/${submitted.caseId}/erasure`, demo.ngo.key);
      expectStatus(response.status, 200, 'erasing the case');
    });
    await timed('the packet answers erased; the case’s dates and levels remain', async () => {
      // The erasure reaches referral as an event: until it has, the ended referral's packet is
      // simply not readable (404); then it answers erased.
      const packetAfter = await eventually('the packet to answer erased', async () => {
        const response = await api(
          'GET',
          `/v1/referrals/${data.referralId}/packet`,
          demo.provider.key,
        );
        return response.status === 410 ? response : undefined;
      });
      expectStatus(packetAfter.status, 410, 'the packet of an erased case');
      const erased = await eventually('the erasure in the NGO view', async () => {
        const response = await api('GET', `/v1/cases/${submitted.caseId}`, demo.ngo.key);
        const stages = (response.json['stages'] ?? []) as { name: string }[];
        return stages.some((stage) => stage.name === 'erased') ? response.json : undefined;
      });
      say(
        `    stages now end with: ${(erased['stages'] as { name: string }[])
          .slice(-3)
          .map((stage) => stage.name)
          .join(', ')}; risk ${String(erased['riskLevel'])}`,
      );
    });
    say(`\nThe journey is one trace: ${traceId}`);
    say('With OTEL_EXPORTER_OTLP_ENDPOINT set for `pnpm start` (docker compose runs Jaeger), open');
    say(`http://localhost:16686/trace/${traceId}`);
  } finally {
    receiver.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exit(1);
});
