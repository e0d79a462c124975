import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import {
  assessmentDecider,
  assessmentStream,
  type AssessCase,
  type AssessmentEvent,
  type CaseFacts,
  type NoteIncident,
} from './index.ts';

const facts: CaseFacts = {
  profile: 'PROFILE_HUMAN_RIGHTS_DEFENDER',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  threats: [
    { kind: 'THREAT_KIND_SURVEILLANCE', occurredOn: '2025-02-20', byArmedOrStateActor: true },
  ],
};

const assess: AssessCase = {
  type: 'AssessCase',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    facts,
    trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
    assessedAt: '2025-03-01T14:30:00+04:30',
  },
};

function incident(incidentId: string, change: Partial<NoteIncident['data']> = {}): NoteIncident {
  return {
    type: 'NoteIncident',
    data: {
      caseId: 'c-1',
      incidentId,
      act: 'ACT_ATTEMPTED_KILLING',
      perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
      occurredOn: '2025-03-02',
      assessedAt: '2025-03-03T09:00:00Z',
      ...change,
    },
  };
}

const factsRecorded: AssessmentEvent = {
  type: 'CaseFactsRecorded',
  data: { caseId: 'c-1', organisationId: 'org-ngo', facts },
};

const assessedOnSubmission: AssessmentEvent = {
  type: 'RiskAssessed',
  data: {
    caseId: 'c-1',
    level: 'RISK_LEVEL_MEDIUM',
    score: 4.5,
    factors: ['surveillance by an armed or state actor, in the last 30 days'],
    methodologyVersion: 'aman-risk-v1',
    deadlineClass: 'DEADLINE_CLASS_NORMAL',
    assessedAt: '2025-03-01T10:00:00.000Z',
    trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
    organisationId: 'org-ngo',
  },
};

const attemptNoted: AssessmentEvent = {
  type: 'IncidentNoted',
  data: {
    incidentId: 'inc-1',
    act: 'ACT_ATTEMPTED_KILLING',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    occurredOn: '2025-03-02',
  },
};

describe('Assessment', () => {
  const spec = DeciderSpecification.for(assessmentDecider);

  it('lives in one stream per case', () => {
    expect(assessmentStream('c-1')).toBe('assessment-c-1');
  });

  describe('AssessCase', () => {
    it('records the facts and assesses the case the first time', () => {
      spec.given([]).when(assess).then([factsRecorded, assessedOnSubmission]);
    });

    it('assesses once: the consumed submission after the synchronous triage decides nothing', () => {
      spec
        .given([factsRecorded, assessedOnSubmission])
        .when({ ...assess, data: { ...assess.data, assessedAt: '2025-03-01T10:00:05Z' } })
        .thenNothingHappened();
    });

    it('re-assesses when the facts changed', () => {
      const changed: CaseFacts = { ...facts, outsideCapital: true };
      spec
        .given([factsRecorded, assessedOnSubmission])
        .when({ ...assess, data: { ...assess.data, facts: changed } })
        .then([
          {
            type: 'CaseFactsRecorded',
            data: { caseId: 'c-1', organisationId: 'org-ngo', facts: changed },
          },
          {
            type: 'RiskAssessed',
            data: {
              ...assessedOnSubmission.data,
              score: 5.85,
              factors: [
                'surveillance by an armed or state actor, in the last 30 days',
                'works outside the capital',
              ],
            },
          },
        ]);
    });

    it('counts the incidents noted before the facts arrived', () => {
      spec
        .given([attemptNoted])
        .when(assess)
        .then([
          factsRecorded,
          {
            type: 'RiskAssessed',
            data: {
              ...assessedOnSubmission.data,
              level: 'RISK_LEVEL_CRITICAL',
              score: 24.75,
              factors: [
                'an attempted killing by an armed group, in the last 30 days',
                'surveillance by an armed or state actor, in the last 30 days',
              ],
              deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
            },
          },
        ]);
    });

    it('refuses the case for another organisation', () => {
      spec
        .given([factsRecorded, assessedOnSubmission])
        .when({ ...assess, data: { ...assess.data, organisationId: 'org-other' } })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'an unspecified gender',
        { facts: { ...facts, gender: 'GENDER_UNSPECIFIED' } },
        'facts.gender',
      ],
      ['a missing flag', { facts: { ...facts, familyExposed: undefined } }, 'facts.familyExposed'],
      [
        'a threat without a date',
        { facts: { ...facts, threats: [{ ...facts.threats[0], occurredOn: '' }] } },
        'facts.threats[0].occurredOn',
      ],
      ['an incident trigger', { trigger: 'ASSESSMENT_TRIGGER_INCIDENT' }, 'trigger'],
      ['a time without offset', { assessedAt: '2025-03-01 10:00' }, 'assessedAt'],
      ['a case id with a separator', { caseId: 'c 1' }, 'caseId'],
    ])('refuses %s, naming the field', (_, change, field) => {
      const error = spec
        .given([])
        .when({ ...assess, data: { ...assess.data, ...change } })
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain(field);
    });
  });

  describe('NoteIncident', () => {
    it('notes the incident and re-assesses with every incident so far', () => {
      const threatNoted: AssessmentEvent = {
        type: 'IncidentNoted',
        data: {
          incidentId: 'inc-0',
          act: 'ACT_DEATH_THREAT',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
          occurredOn: '2024-12-01',
        },
      };
      spec
        .given([factsRecorded, assessedOnSubmission, threatNoted])
        .when(incident('inc-1'))
        .then([
          attemptNoted,
          {
            type: 'RiskAssessed',
            data: {
              caseId: 'c-1',
              level: 'RISK_LEVEL_CRITICAL',
              // 22.5 + (4.5 + 6) / 2
              score: 27.75,
              factors: [
                'an attempted killing by an armed group, in the last 30 days',
                'a death threat by an unknown perpetrator, in the last year',
                'surveillance by an armed or state actor, in the last 30 days',
              ],
              methodologyVersion: 'aman-risk-v1',
              deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
              assessedAt: '2025-03-03T09:00:00.000Z',
              trigger: 'ASSESSMENT_TRIGGER_INCIDENT',
              organisationId: 'org-ngo',
            },
          },
        ]);
    });

    it('decides nothing for an incident already noted (delivery is at least once)', () => {
      spec
        .given([factsRecorded, assessedOnSubmission, attemptNoted])
        .when(incident('inc-1'))
        .thenNothingHappened();
      spec.given([attemptNoted]).when(incident('inc-1')).thenNothingHappened();
    });

    it('only notes an incident while the case facts are unknown', () => {
      spec.given([]).when(incident('inc-1')).then([attemptNoted]);
    });

    it.each<[string, Partial<Record<keyof NoteIncident['data'], unknown>>, string]>([
      ['an unspecified act', { act: 'ACT_UNSPECIFIED' }, 'act'],
      [
        'an unspecified perpetrator',
        { perpetratorCategory: 'PERPETRATOR_CATEGORY_UNSPECIFIED' },
        'perpetratorCategory',
      ],
      ['a date that does not exist', { occurredOn: '2025-02-29' }, 'occurredOn'],
      ['no incident id', { incidentId: '' }, 'incidentId'],
    ])('refuses %s, naming the field', (_, change, field) => {
      const error = spec
        .given([])
        .when(incident('inc-1', change as Partial<NoteIncident['data']>))
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain(field);
    });

    it('refuses an incident for another case than the stream', () => {
      spec
        .given([factsRecorded, assessedOnSubmission])
        .when(incident('inc-1', { caseId: 'c-2' }))
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });
  });

  it('keeps the latest assessment for a caller whose command decided nothing', () => {
    const state = [factsRecorded, assessedOnSubmission].reduce(
      assessmentDecider.evolve,
      assessmentDecider.initialState(),
    );
    expect(state.latest).toEqual(assessedOnSubmission.data);
    expect(assessmentDecider.initialState().latest).toBeUndefined();
  });
});
