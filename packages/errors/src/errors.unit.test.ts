import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import {
  AmanError,
  ConcurrencyError,
  GrpcStatus,
  IdempotencyConflictError,
  ValidationError,
  errorCodes,
} from './index.ts';

describe('AmanError', () => {
  it('maps each code to an HTTP and a gRPC status', () => {
    const conflict = new ConcurrencyError('case-1', 3, 4);
    expect(conflict.httpStatus).toBe(412);
    expect(conflict.grpcStatus).toBe(10);
    expect(conflict.message).toBe('stream case-1 is at version 4, expected 3');
    expect(new ValidationError('bad').httpStatus).toBe(400);
    const reused = new IdempotencyConflictError();
    expect([reused.httpStatus, reused.grpcStatus, reused.code]).toEqual([
      422,
      6,
      'AMAN_ERR_IDEMPOTENCY_CONFLICT',
    ]);
  });

  it('recognises its errors structurally and by code', () => {
    const conflict = new ConcurrencyError('case-1', 'no_stream', 1);
    expect(AmanError.is(conflict)).toBe(true);
    expect(AmanError.is(conflict, 'AMAN_ERR_CONCURRENCY')).toBe(true);
    expect(AmanError.is(conflict, 'AMAN_ERR_VALIDATION')).toBe(false);
    expect(AmanError.is(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(AmanError.is('AMAN_ERR_CONCURRENCY')).toBe(false);
  });

  it('never maps a deliberate error to a 5xx unless it is an internal or integrity fault', () => {
    for (const [code, { http }] of Object.entries(errorCodes)) {
      if (http >= 500) {
        expect(['AMAN_ERR_INTEGRITY', 'AMAN_ERR_UNAVAILABLE', 'AMAN_ERR_INTERNAL']).toContain(code);
      }
    }
  });

  it('keeps the stream and the typed expected version of a concurrency conflict', () => {
    expect(new ConcurrencyError('case-9', 'no_stream', 2)).toMatchObject({
      stream: 'case-9',
      expected: 'no_stream',
      actual: 2,
    });
    expect(new ConcurrencyError('case-9', 4, 5).expected).toBe(4);
  });
});

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  // Table rows as trimmed cells: code, HTTP, gRPC, when.
  const rows = new Map(
    doc
      .split('\n')
      .filter((line) => line.startsWith('| `AMAN_ERR_'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map(([, code = '', http = '', grpc = '']) => [code.replaceAll('`', ''), { http, grpc }]),
  );
  const grpcName = (status: number): string =>
    Object.entries(GrpcStatus).find(([, value]) => value === status)?.[0] ?? '?';

  it.each(Object.entries(errorCodes))('documents %s with its statuses', (code, { http, grpc }) => {
    expect(rows.get(code)).toEqual({ http: String(http), grpc: `\`${grpcName(grpc)}\` (${grpc})` });
  });

  it('documents no code that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorCodes).sort());
  });
});
