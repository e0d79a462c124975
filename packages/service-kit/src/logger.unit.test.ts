import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

import { REDACTED_PATHS, createLogger } from './logger.ts';
import { inSpan } from './telemetry.ts';

const sdk = new NodeSDK({
  serviceName: 'logger-test',
  instrumentations: [],
  spanProcessors: [new tracing.NoopSpanProcessor()],
});
beforeAll(() => {
  sdk.start();
});
afterAll(async () => {
  await sdk.shutdown();
});

/** A logger writing its lines into an array, parsed. */
function captured(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test-service', level, {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines };
}

const CANARY = 'Canary Person 4471';

describe('the logger', () => {
  it('censors every listed field, at the top and one level down, whatever else is logged', () => {
    const { logger, lines } = captured();
    const leaves = [...new Set(REDACTED_PATHS.map((path) => path.split('.').at(-1) ?? ''))].filter(
      (leaf) => leaf !== '*',
    );
    const object = Object.fromEntries(leaves.map((leaf) => [leaf, CANARY]));
    logger.info({ ...object, caseId: 'case-1' }, 'top level');
    logger.info({ request: { ...object, headers: { authorization: CANARY } } }, 'nested');
    logger.warn({ err: { ...object } }, 'as an error');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(CANARY);
    expect(lines[0]).toMatchObject({ fullName: '[redacted]', caseId: 'case-1' });
    expect(lines[1]).toMatchObject({
      request: { phone: '[redacted]', headers: { authorization: '[redacted]' } },
    });
  });

  it('writes JSON with the service and, inside a span, its trace_id and span_id', async () => {
    const { logger, lines } = captured();
    logger.info('outside');
    const ids = await inSpan('work', {}, async (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    expect(lines[0]).toMatchObject({ service: 'test-service', msg: 'outside' });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, msg: 'inside' });
  });

  it('drops lines below its level', () => {
    const { logger, lines } = captured('warn');
    logger.info('dropped');
    logger.debug('dropped');
    logger.warn('kept');
    expect(lines.map((line) => line['msg'])).toEqual(['kept']);
  });
});
