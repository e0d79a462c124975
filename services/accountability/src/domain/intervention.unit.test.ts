import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { DeciderSpecification } from '@aman/testing';

import {
  DEFAULT_RESPONSE_POLICY,
  createInterventionDecider,
  dueBy,
  responseHours,
} from './intervention.ts';
import type {
  AuthorityResponded,
  InterventionSent,
  InterventionStatusChanged,
  RecordAuthorityResponse,
  RecordIntervention,
  SetInterventionStatus,
} from './intervention.ts';
import { INTERVENTION_TYPES } from './vocabulary.ts';

const record: RecordIntervention = {
  type: 'RecordIntervention',
  data: {
    interventionId: 'int-1',
    incidentId: 'inc-1',
    type: 'INTERVENTION_TYPE_EARLY_WARNING',
    addressee: 'AUTHORITY_PROTECTION_COMMISSION',
    sentAt: '2025-03-01T08:00:00.000Z',
    idempotencyKey: 'warn-1',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T09:00:00.000Z',
  },
};
const sent: InterventionSent = {
  type: 'InterventionSent',
  data: { ...record.data, dueBy: '2025-03-03T08:00:00.000Z' },
};
const respond: RecordAuthorityResponse = {
  type: 'RecordAuthorityResponse',
  data: {
    interventionId: 'int-1',
    response: 'AUTHORITY_RESPONSE_DENIED_EVENT',
    respondedAt: '2025-03-05T20:30:00.000Z',
    impact: 'IMPACT_NEGATIVE',
    compensation: 'COMPENSATION_NONE',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-06T09:00:00.000Z',
  },
};
const responded: AuthorityResponded = {
  type: 'AuthorityResponded',
  data: { ...respond.data, responseHours: 108 },
};
const closeIt: SetInterventionStatus = {
  type: 'SetInterventionStatus',
  data: {
    interventionId: 'int-1',
    status: 'INTERVENTION_STATUS_CLOSED',
    changedByOrganisationId: 'org-monitor',
    changedAt: '2025-03-07T09:00:00.000Z',
  },
};
const closed: InterventionStatusChanged = { type: 'InterventionStatusChanged', data: closeIt.data };

describe('intervention', () => {
  const spec = DeciderSpecification.for(createInterventionDecider());

  it('is due by the days its type allows after it was sent', () => {
    spec.given([]).when(record).then([sent]);
  });

  it('takes its response time from the policy it was recorded under', () => {
    DeciderSpecification.for(
      createInterventionDecider({ ...DEFAULT_RESPONSE_POLICY, INTERVENTION_TYPE_EARLY_WARNING: 1 }),
    )
      .given([])
      .when(record)
      .then([{ ...sent, data: { ...sent.data, dueBy: '2025-03-02T08:00:00.000Z' } }]);
  });

  it('decides nothing on a retry, even under a new policy, and refuses a different one', () => {
    DeciderSpecification.for(
      createInterventionDecider({ ...DEFAULT_RESPONSE_POLICY, INTERVENTION_TYPE_EARLY_WARNING: 9 }),
    )
      .given([sent])
      .when(record)
      .thenNothingHappened();
    spec
      .given([sent])
      .when({ ...record, data: { ...record.data, addressee: 'AUTHORITY_POLICE' } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('records the authority’s response with its impact, compensation and response time', () => {
    spec.given([sent]).when(respond).then([responded]);
    spec.given([sent, responded]).when(respond).thenNothingHappened();
  });

  it('refuses a response before the intervention was sent, or in the future', () => {
    spec
      .given([sent])
      .when({ ...respond, data: { ...respond.data, respondedAt: '2025-02-28T08:00:00.000Z' } })
      .thenThrows('AMAN_ERR_VALIDATION');
    spec
      .given([sent])
      .when({ ...respond, data: { ...respond.data, respondedAt: '2025-03-07T08:00:00.000Z' } })
      .thenThrows('AMAN_ERR_VALIDATION');
  });

  it('is closed for good: no response, no status after it', () => {
    spec.given([sent]).when(closeIt).then([closed]);
    spec.given([sent, closed]).when(respond).thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec
      .given([sent, closed])
      .when({ ...closeIt, data: { ...closeIt.data, status: 'INTERVENTION_STATUS_NO_ACTION' } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec.given([sent, closed]).when(closeIt).thenNothingHappened();
  });

  it('refuses anything before it is recorded', () => {
    spec.given([]).when(respond).thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec.given([]).when(closeIt).thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it.each([
    ['type', { type: 'INTERVENTION_TYPE_UNSPECIFIED' }],
    ['addressee', { addressee: 'the governor' }],
    ['sentAt', { sentAt: '' }],
    ['sentAt', { sentAt: '2025-03-02T08:00:00.000Z' }],
    ['incidentId', { incidentId: '' }],
  ] as const)('refuses an invalid %s', (field, data) => {
    const error = spec
      .given([])
      .when({ ...record, data: { ...record.data, ...(data as object) } })
      .thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain(field);
    expect(error.message).not.toContain('governor');
  });

  it('refuses a response without a vocabulary value', () => {
    spec
      .given([sent])
      .when({ ...respond, data: { ...respond.data, response: 'no response' as never } })
      .thenThrows('AMAN_ERR_VALIDATION');
  });

  describe('due dates and response times (property)', () => {
    const instant = fc
      .integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') })
      .map((ms) => new Date(ms).toISOString());

    it('a due date is exactly the type’s days after sending, and later for a longer policy', () => {
      fc.assert(
        fc.property(
          instant,
          fc.constantFrom(...INTERVENTION_TYPES),
          fc.integer({ min: 1, max: 365 }),
          (sentAt, type, days) => {
            const policy = { ...DEFAULT_RESPONSE_POLICY, [type]: days };
            const due = dueBy(sentAt, type, policy);
            expect(Date.parse(due) - Date.parse(sentAt)).toBe(days * 86_400_000);
            const longer = dueBy(sentAt, type, { ...policy, [type]: days + 1 });
            expect(Date.parse(longer)).toBeGreaterThan(Date.parse(due));
          },
        ),
      );
    });

    it('a response time is the whole hours between sending and responding', () => {
      fc.assert(
        fc.property(instant, fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (sentAt, ms) => {
          const respondedAt = new Date(Date.parse(sentAt) + ms).toISOString();
          const hours = responseHours(sentAt, respondedAt);
          expect(hours * 3_600_000).toBeLessThanOrEqual(ms);
          expect((hours + 1) * 3_600_000).toBeGreaterThan(ms);
        }),
      );
    });
  });
});
