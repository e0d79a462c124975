import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { exited, spawnTypeScript } from '@aman/eventstore/testing';

import { selectedTraces, watchTraces, type TraceWatch } from './traceView.ts';

const CANARY = 'Canary Defender 7731';
const BASE = Date.now() - 60_000;

/** Runs one service's part of the journey in its own process, exporting to `endpoint`. */
async function asService(
  endpoint: string,
  args: readonly string[],
): Promise<Record<string, string>> {
  const child = spawnTypeScript('packages/service-kit/src/testing/tracedServiceProcess.ts', args, {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    },
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await exited(child);
  return JSON.parse(stdout) as Record<string, string>;
}

/**
 * The last print of a trace, without the update mark: the gateway's spans may have gone quiet, and
 * been printed, before the referral process sent its own.
 */
function lastPrintOf(printed: readonly string[], traceId: string): string | undefined {
  return printed
    .filter((text) => text.startsWith(`trace ${traceId}`))
    .at(-1)
    ?.replace(/ {2}\(updated: \d+ more\)/, '');
}

const traceIdOf = (traceparent: string | undefined): string => traceparent?.split('-')[1] ?? '';
const spanIdOf = (traceparent: string | undefined): string => traceparent?.split('-')[2] ?? '';

// Spans made by the services' own telemetry set-up and sent by the SDK's OTLP/JSON exporter, as
// `pnpm start` with OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends them: a request in the gateway,
// its call to referral, referral's append (grandchild), and a deferred timer linked back.
describe('pnpm trace', () => {
  let watch: TraceWatch;
  const printed: string[] = [];
  let gateway: Record<string, string> = {};
  let referral: Record<string, string> = {};

  beforeAll(async () => {
    watch = await watchTraces({ quietMs: 300, print: (text) => printed.push(text) });
    gateway = await asService(watch.endpoint, ['gateway', String(BASE), CANARY]);
    referral = await asService(watch.endpoint, [
      'referral',
      String(BASE),
      CANARY,
      gateway['sendCall'] ?? '',
      gateway['root'] ?? '',
    ]);
    const deadline = Date.now() + 10_000;
    const settled = (): boolean =>
      [traceIdOf(gateway['root']), referral['deferred'], gateway['unrelated']].every((traceId) =>
        printed.some((text) => text.startsWith(`trace ${traceId ?? '-'}`)),
      ) && lastPrintOf(printed, traceIdOf(gateway['root']))?.includes('eventstore.append') === true;
    while (!settled() && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
    }
  });

  afterAll(async () => {
    await watch.close();
  });

  it('prints each trace, once quiet, as a tree by parent and start time, with durations', () => {
    const journey = traceIdOf(gateway['root']);
    expect(lastPrintOf(printed, journey)?.split('\n')).toEqual([
      `trace ${journey}  4 spans  40.0 ms  (gateway, referral)`,
      '  gateway  POST /referrals  40.0 ms  http.request.method=POST  http.route=/referrals  http.response.status_code=201',
      '    gateway  aman.referral.Referral/Send  30.0 ms  rpc.service=aman.referral.Referral  rpc.method=Send',
      '      referral  eventstore.append  20.0 ms  db.system.name=sqlite  aman.stream=referral-ref-1  aman.referral.id=ref-1',
      '    gateway  publish referral-events  3.0 ms',
      '',
      '',
    ]);
  });

  it('shows where deferred work was scheduled from', () => {
    const deferred = referral['deferred'] ?? '';
    expect(lastPrintOf(printed, deferred)).toBe(
      `trace ${deferred}  1 span  3.5 ms  (referral)\n` +
        `  referral  timer referral-deadline  3.5 ms  (linked from trace ${traceIdOf(gateway['root'])} span ${spanIdOf(gateway['root'])})\n\n`,
    );
  });

  it('prints no attribute outside the allowlist', () => {
    const all = printed.join('');
    expect(all).toContain('aman.referral.id=ref-1'); // the control: attributes do get printed
    expect(watch.spans.some((span) => Object.values(span.attributes).includes(CANARY))).toBe(true);
    for (const absent of [CANARY, encodeURIComponent(CANARY), 'url.path', 'aman.defender.name']) {
      expect(all).not.toContain(absent);
    }
    expect(all).not.toContain('network.peer.address');
  });

  it("selects a referral's traces by its id or stream, and the traces linked from them", () => {
    const before = printed.length;
    watch.flush(); // every trace printed already: nothing more
    expect(printed).toHaveLength(before);
    const journey = traceIdOf(gateway['root']);
    const deferred = referral['deferred'] ?? '';
    expect([...selectedTraces(watch.spans, { kind: 'referral', id: 'ref-1' })].sort()).toEqual(
      [journey, deferred].sort(),
    );
    expect([...selectedTraces(watch.spans, { kind: 'case', id: 'ref-1' })]).toEqual([]);
    const unrelated = gateway['unrelated'] ?? '';
    expect([...selectedTraces(watch.spans, { traceId: unrelated })]).toEqual([unrelated]);
  });

  it('refuses protobuf, naming the variable to set', async () => {
    const answer = await fetch(`${watch.endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([10, 0]),
    });
    expect(answer.status).toBe(415);
    expect(await answer.text()).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
  });
});
