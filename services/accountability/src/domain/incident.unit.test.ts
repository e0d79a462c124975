import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { incidentDecider, incidentStream } from './incident.ts';
import type { IdempotencyKeyUsed, IncidentRecorded, RecordIncident } from './incident.ts';

const recordIncident: RecordIncident = {
  type: 'RecordIncident',
  data: {
    incidentId: 'inc-1',
    idempotencyKey: 'monitor-2025-03-01-0001',
    caseId: 'case-1',
    act: 'ACT_DEATH_THREAT',
    occurredOn: '2025-02-27',
    province: 'AF-KAB',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    sourceType: 'SOURCE_TYPE_VICTIM',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T14:30:00+04:30',
  },
};

const recorded: IncidentRecorded = {
  type: 'IncidentRecorded',
  data: {
    incidentId: 'inc-1',
    caseId: 'case-1',
    act: 'ACT_DEATH_THREAT',
    occurredOn: '2025-02-27',
    province: 'AF-KAB',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    sourceType: 'SOURCE_TYPE_VICTIM',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T10:00:00.000Z',
  },
};

const keyUsed: IdempotencyKeyUsed = {
  type: 'IdempotencyKeyUsed',
  data: { incidentId: 'inc-1', idempotencyKey: 'monitor-2025-03-01-0001' },
};

function withData(data: Partial<RecordIncident['data']>): RecordIncident {
  return { type: 'RecordIncident', data: { ...recordIncident.data, ...data } };
}

describe('incident', () => {
  const spec = DeciderSpecification.for(incidentDecider);

  it('keeps each incident in its own stream', () => {
    expect(incidentStream('inc-1')).toBe('incident-inc-1');
  });

  it('records an incident and, privately, the idempotency key it came with', () => {
    spec.given([]).when(recordIncident).then([recorded, keyUsed]);
  });

  it('takes an incident on the day it is recorded, in the time zone where it happened', () => {
    // 21:30 UTC on 1 March is already 2 March in Kabul.
    const recordedAt = '2025-03-01T21:30:00Z';
    spec
      .given([])
      .when(withData({ occurredOn: '2025-03-02', recordedAt }))
      .then([
        {
          ...recorded,
          data: {
            ...recorded.data,
            occurredOn: '2025-03-02',
            recordedAt: '2025-03-01T21:30:00.000Z',
          },
        },
        keyUsed,
      ]);
  });

  it('decides nothing when the same request is retried, later', () => {
    spec
      .given([recorded, keyUsed])
      .when(withData({ recordedAt: '2025-03-01T12:00:00Z' }))
      .thenNothingHappened();
  });

  it('refuses the same idempotency key for a different incident', () => {
    const error = spec
      .given([recorded, keyUsed])
      .when(withData({ act: 'ACT_ABDUCTION' }))
      .thenThrows('AMAN_ERR_IDEMPOTENCY_CONFLICT');
    expect(error.message).not.toContain('monitor-2025-03-01-0001');
  });

  it('refuses another idempotency key for an incident id already recorded', () => {
    spec
      .given([recorded, keyUsed])
      .when(withData({ idempotencyKey: 'monitor-2025-03-01-0002' }))
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it.each([
    ['incidentId', { incidentId: '' }],
    ['idempotencyKey', { idempotencyKey: '' }],
    ['idempotencyKey', { idempotencyKey: 'has a space' }],
    ['idempotencyKey', { idempotencyKey: 'k'.repeat(256) }],
    ['caseId', { caseId: 'Case of Ahmad' }],
    ['act', { act: 'ACT_UNSPECIFIED' as never }],
    ['occurredOn', { occurredOn: '27/02/2025' }],
    ['occurredOn', { occurredOn: '2025-02-30' }],
    ['occurredOn', { occurredOn: '2025-03-03' }],
    ['province', { province: 'Kabul' }],
    ['province', { province: 'af-kab' }],
    ['province', { province: 'AF-KABUL' }],
    ['perpetratorCategory', { perpetratorCategory: 'PERPETRATOR_CATEGORY_NEIGHBOUR' as never }],
    ['sourceType', { sourceType: 'SOURCE_TYPE_UNSPECIFIED' as never }],
    ['recordedByOrganisationId', { recordedByOrganisationId: '' }],
    ['recordedAt', { recordedAt: '2025-03-01 10:00' }],
  ] as const)('refuses an invalid %s, naming the field and not the value', (field, data) => {
    const error = spec.given([]).when(withData(data)).thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain(field);
    const value = Object.values(data)[0]!;
    if (value !== '') expect(error.message).not.toContain(value);
  });

  it('refuses an incident that happened after the day it is recorded', () => {
    const error = spec
      .given([])
      .when(withData({ occurredOn: '2025-03-03', recordedAt: '2025-03-01T23:59:59Z' }))
      .thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain('occurredOn');
  });

  it('remembers the incident and its key', () => {
    const state = [recorded, keyUsed].reduce(
      incidentDecider.evolve,
      incidentDecider.initialState(),
    );
    expect(state).toEqual({
      status: 'RECORDED',
      incident: recorded.data,
      idempotencyKey: 'monitor-2025-03-01-0001',
    });
  });
});
