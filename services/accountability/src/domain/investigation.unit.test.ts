import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { investigationDecider } from './investigation.ts';
import type {
  InvestigationEvent,
  InvestigationOpened,
  InvestigationStepRecorded,
  OpenInvestigation,
  RecordInvestigationStep,
} from './investigation.ts';
import type { InvestigationStep } from './vocabulary.ts';

const open: OpenInvestigation = {
  type: 'OpenInvestigation',
  data: {
    investigationId: 'inv-1',
    incidentId: 'inc-1',
    body: 'AUTHORITY_PROSECUTOR',
    openedOn: '2025-03-02',
    idempotencyKey: 'open-1',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-03T09:00:00.000Z',
  },
};
const opened: InvestigationOpened = { type: 'InvestigationOpened', data: open.data };

function step(
  name: InvestigationStep,
  on: string,
  outcome?: RecordInvestigationStep['data']['outcome'],
): RecordInvestigationStep {
  return {
    type: 'RecordInvestigationStep',
    data: {
      investigationId: 'inv-1',
      step: name,
      on,
      ...(outcome === undefined ? {} : { outcome }),
      recordedByOrganisationId: 'org-monitor',
      recordedAt: '2025-06-01T09:00:00.000Z',
    },
  };
}

function stepped(command: RecordInvestigationStep): InvestigationStepRecorded {
  const {
    investigationId,
    step: name,
    on,
    outcome,
    recordedByOrganisationId,
    recordedAt,
  } = command.data;
  return {
    type: 'InvestigationStepRecorded',
    data: {
      investigationId,
      incidentId: 'inc-1',
      step: name,
      on,
      ...(outcome === undefined ? {} : { outcome }),
      recordedByOrganisationId,
      recordedAt,
    },
  };
}

const identify = step('INVESTIGATION_STEP_SUSPECT_IDENTIFIED', '2025-03-10');
const charge = step('INVESTIGATION_STEP_CHARGED', '2025-04-01');
const tryIt = step('INVESTIGATION_STEP_TRIED', '2025-05-01');
const convict = step('INVESTIGATION_STEP_OUTCOME', '2025-05-20', 'INVESTIGATION_OUTCOME_CONVICTED');
const close = step('INVESTIGATION_STEP_CLOSED_WITHOUT_ACCOUNTABILITY', '2025-05-02');

describe('investigation', () => {
  const spec = DeciderSpecification.for(investigationDecider);

  it('opens', () => {
    spec.given([]).when(open).then([opened]);
  });

  it('decides nothing when the same opening is retried, and refuses a different one', () => {
    spec
      .given([opened])
      .when({ ...open, data: { ...open.data, recordedAt: '2025-03-04T09:00:00Z' } })
      .thenNothingHappened();
    spec
      .given([opened])
      .when({ ...open, data: { ...open.data, body: 'AUTHORITY_POLICE' } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('goes from suspect identified to charged, tried and an outcome, in that order', () => {
    const history: InvestigationEvent[] = [opened];
    for (const command of [identify, charge, tryIt, convict]) {
      spec
        .given(history)
        .when(command)
        .then([stepped(command)]);
      history.push(stepped(command));
    }
    const state = history.reduce(investigationDecider.evolve, investigationDecider.initialState());
    expect(state.status).toBe('INVESTIGATION_STATUS_CONCLUDED');
  });

  it.each([
    ['charged before a suspect is identified', [opened], charge],
    ['tried before being charged', [opened, stepped(identify)], tryIt],
    ['an outcome before a trial', [opened, stepped(identify), stepped(charge)], convict],
    [
      'closed without accountability after a trial',
      [opened, stepped(identify), stepped(charge), stepped(tryIt)],
      close,
    ],
    ['any step after it closed without accountability', [opened, stepped(close)], identify],
    [
      'any step after an outcome',
      [opened, stepped(identify), stepped(charge), stepped(tryIt), stepped(convict)],
      close,
    ],
    ['a step before it is opened', [], identify],
  ] as const)('refuses a step out of order: %s', (_name, given, command) => {
    spec.given(given).when(command).thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('closes without accountability before a trial, keeping the steps taken', () => {
    spec
      .given([opened, stepped(identify)])
      .when(close)
      .then([stepped(close)]);
    const state = [opened, stepped(identify), stepped(close)].reduce(
      investigationDecider.evolve,
      investigationDecider.initialState(),
    );
    expect(state.status).toBe('INVESTIGATION_STATUS_CLOSED_WITHOUT_ACCOUNTABILITY');
  });

  it('decides nothing when the last step is retried as it was said', () => {
    spec
      .given([opened, stepped(identify)])
      .when(identify)
      .thenNothingHappened();
  });

  it('refuses an outcome without its value, and a value without the outcome step', () => {
    const history = [opened, stepped(identify), stepped(charge), stepped(tryIt)];
    spec
      .given(history)
      .when(step('INVESTIGATION_STEP_OUTCOME', '2025-05-20'))
      .thenThrows('AMAN_ERR_VALIDATION');
    spec
      .given([opened])
      .when(
        step(
          'INVESTIGATION_STEP_SUSPECT_IDENTIFIED',
          '2025-03-10',
          'INVESTIGATION_OUTCOME_CONVICTED',
        ),
      )
      .thenThrows('AMAN_ERR_VALIDATION');
  });

  it('refuses a step dated before the previous one, or after the day it is recorded', () => {
    spec
      .given([opened])
      .when(step('INVESTIGATION_STEP_SUSPECT_IDENTIFIED', '2025-03-01'))
      .thenThrows('AMAN_ERR_VALIDATION');
    spec
      .given([opened])
      .when(step('INVESTIGATION_STEP_SUSPECT_IDENTIFIED', '2025-06-03'))
      .thenThrows('AMAN_ERR_VALIDATION');
  });

  it.each([
    ['body', { body: 'AUTHORITY_UNSPECIFIED' }],
    ['incidentId', { incidentId: 'the incident in Herat' }],
    ['openedOn', { openedOn: '2025-02-30' }],
    ['idempotencyKey', { idempotencyKey: '' }],
  ] as const)('refuses to open with an invalid %s, naming it', (field, data) => {
    const error = spec
      .given([])
      .when({ ...open, data: { ...open.data, ...(data as object) } })
      .thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain(field);
    expect(error.message).not.toContain('Herat');
  });
});
