import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import {
  DEFAULT_POLICY,
  METHODOLOGIES,
  assessmentDecider,
  assessmentStream,
  consequencesOf,
  createAssessmentDecider,
  type AssessCase,
  type AssessmentEvent,
  type AssessmentTrigger,
  type CaseFacts,
  type Circumstances,
  type IncidentFact,
  type NoteIncident,
  type NoteThreat,
  type OverrideAssessment,
  type RiskAssessedData,
  type RiskLevel,
  type ThreatFact,
} from './index.ts';

const spec = DeciderSpecification.for(assessmentDecider);

const circumstances: Circumstances = {
  profile: 'PROFILE_HUMAN_RIGHTS_DEFENDER',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  vulnerabilities: { minority: false, disability: false, publicVisibility: false },
  capacities: { supportNetwork: false, relocationOptions: false, digitalSecurity: false },
};

const surveillance: ThreatFact = {
  kind: 'THREAT_KIND_SURVEILLANCE',
  occurredOn: '2025-02-20',
  source: 'THREAT_SOURCE_STATE_ACTOR',
  objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
  feasibility: 'FEASIBILITY_MEDIUM',
  declared: true,
};
const surveillanceWords =
  'surveillance (declared) by a state actor, in the last 30 days, meant to stop the work, could be carried out';

const facts: CaseFacts = { ...circumstances, threats: [surveillance] };

const assess: AssessCase = {
  type: 'AssessCase',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    facts,
    assessedAt: '2025-03-01T14:30:00+04:30',
  },
};

const factsRecorded: AssessmentEvent = {
  type: 'CaseFactsRecorded',
  data: { caseId: 'c-1', organisationId: 'org-ngo', facts },
};

/** Assessment #1: 2 × 1.5 (30 days) × 1.1 (stop the work) × 1.5 (state) = 4.95, medium. */
const firstAssessment: RiskAssessedData = {
  caseId: 'c-1',
  level: 'RISK_LEVEL_MEDIUM',
  score: 4.95,
  factors: [surveillanceWords],
  methodologyVersion: 'aman-risk-v2',
  deadlineClass: 'DEADLINE_CLASS_URGENT',
  acknowledgeWithinSeconds: 72 * 3600,
  decideWithinSeconds: 3 * 72 * 3600,
  nextReassessmentAt: '2025-03-31T10:00:00.000Z',
  assessedAt: '2025-03-01T10:00:00.000Z',
  trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
  organisationId: 'org-ngo',
  sequence: 1,
  overridden: false,
  computedLevel: 'RISK_LEVEL_MEDIUM',
};
const assessed: AssessmentEvent = { type: 'RiskAssessed', data: firstAssessment };

/** What the current methodology and the default policy make of these facts: the expected event. */
function expected(given: {
  facts: CaseFacts;
  incidents?: readonly IncidentFact[];
  at: string;
  trigger: AssessmentTrigger;
  sequence: number;
  level?: RiskLevel;
  extraFactors?: readonly string[];
}): AssessmentEvent {
  const result = METHODOLOGIES.current.assess({
    facts: given.facts,
    incidents: given.incidents ?? [],
    assessedOn: given.at.slice(0, 10),
  });
  const level = given.level ?? result.level;
  return {
    type: 'RiskAssessed',
    data: {
      caseId: 'c-1',
      level,
      score: result.score,
      factors: [...(given.extraFactors ?? []), ...result.factors],
      methodologyVersion: result.methodologyVersion,
      ...consequencesOf(DEFAULT_POLICY, level, given.at),
      assessedAt: given.at,
      trigger: given.trigger,
      organisationId: 'org-ngo',
      sequence: given.sequence,
      overridden: level !== result.level,
      computedLevel: result.level,
    },
  };
}

const attempt: IncidentFact = {
  act: 'ACT_ATTEMPTED_KILLING',
  perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
  occurredOn: '2025-03-02',
};

function incident(incidentId: string, change: Partial<NoteIncident['data']> = {}): NoteIncident {
  return {
    type: 'NoteIncident',
    data: { caseId: 'c-1', incidentId, ...attempt, assessedAt: '2025-03-03T09:00:00Z', ...change },
  };
}
const attemptNoted: AssessmentEvent = {
  type: 'IncidentNoted',
  data: { incidentId: 'inc-1', ...attempt },
};

const deathThreat: ThreatFact = {
  kind: 'THREAT_KIND_DEATH_THREAT',
  occurredOn: '2025-03-04',
  source: 'THREAT_SOURCE_ARMED_GROUP',
  objective: 'THREAT_OBJECTIVE_PUNISH',
  feasibility: 'FEASIBILITY_HIGH',
  declared: true,
};
function threat(threatId: string, given: ThreatFact = deathThreat): NoteThreat {
  return {
    type: 'NoteThreat',
    data: {
      caseId: 'c-1',
      organisationId: 'org-ngo',
      threatId,
      threat: given,
      assessedAt: '2025-03-05T08:00:00Z',
    },
  };
}
const deathThreatNoted: AssessmentEvent = {
  type: 'ThreatNoted',
  data: { caseId: 'c-1', organisationId: 'org-ngo', threatId: 'evt-threat-1', threat: deathThreat },
};

function override(change: Partial<OverrideAssessment['data']> = {}): OverrideAssessment {
  return {
    type: 'OverrideAssessment',
    data: {
      caseId: 'c-1',
      organisationId: 'org-ngo',
      principalId: 'key_assessor',
      level: 'RISK_LEVEL_HIGH',
      justification: 'The threats come from the commander who detained a colleague last year.',
      idempotencyKey: 'ovr-1',
      expectedSequence: 1,
      overriddenAt: '2025-03-02T09:00:00Z',
      ...change,
    },
  };
}
const overriddenToHigh: AssessmentEvent = {
  type: 'AssessmentOverridden',
  data: {
    caseId: 'c-1',
    idempotencyKey: 'ovr-1',
    level: 'RISK_LEVEL_HIGH',
    computedLevel: 'RISK_LEVEL_MEDIUM',
    justification: 'The threats come from the commander who detained a colleague last year.',
    overriddenBy: { organisationId: 'org-ngo', principalId: 'key_assessor' },
    overriddenAt: '2025-03-02T09:00:00.000Z',
    sequence: 2,
  },
};
const assessedAtHigh = expected({
  facts,
  at: '2025-03-02T09:00:00.000Z',
  trigger: 'ASSESSMENT_TRIGGER_OVERRIDE',
  sequence: 2,
  level: 'RISK_LEVEL_HIGH',
  extraFactors: ['level set at high by an assessor (computed: medium)'],
});

const state = (events: readonly AssessmentEvent[]) =>
  events.reduce(assessmentDecider.evolve, assessmentDecider.initialState());

describe('Assessment', () => {
  it('lives in one stream per case', () => {
    expect(assessmentStream('c-1')).toBe('assessment-c-1');
  });

  describe('AssessCase (intake’s triage, or its CaseSubmitted)', () => {
    it('records the facts and assesses the case the first time, with deadlines and the next date', () => {
      spec.given([]).when(assess).then([factsRecorded, assessed]);
    });

    it('assesses once: the consumed submission after the triage decides nothing', () => {
      spec
        .given([factsRecorded, assessed])
        .when({
          ...assess,
          data: { ...assess.data, assessedAt: '2025-03-01T10:00:05Z', cause: 'evt-submitted' },
        })
        .thenNothingHappened();
    });

    it('takes the consumed submission’s facts when they differ from the triage’s', () => {
      const changed: CaseFacts = { ...facts, familyExposed: true };
      spec
        .given([factsRecorded, assessed])
        .when({ ...assess, data: { ...assess.data, facts: changed, cause: 'evt-submitted' } })
        .then([
          {
            type: 'CaseFactsRecorded',
            data: {
              caseId: 'c-1',
              organisationId: 'org-ngo',
              facts: changed,
              cause: 'evt-submitted',
            },
          },
          {
            type: 'RiskAssessed',
            data: {
              ...firstAssessment,
              // × 1.2 (family exposed)
              score: 5.94,
              factors: [surveillanceWords, 'family exposed to the threats'],
              sequence: 2,
            },
          },
        ]);
    });

    it('decides nothing for a submission event already applied', () => {
      const withCause: AssessmentEvent = {
        type: 'CaseFactsRecorded',
        data: { caseId: 'c-1', organisationId: 'org-ngo', facts, cause: 'evt-submitted' },
      };
      spec
        .given([withCause, assessed])
        .when({
          ...assess,
          data: {
            ...assess.data,
            facts: { ...facts, familyExposed: true },
            cause: 'evt-submitted',
          },
        })
        .thenNothingHappened();
    });

    it('counts the threats and incidents noted before the submission arrived', () => {
      spec
        .given([attemptNoted, deathThreatNoted])
        .when(assess)
        .then([
          factsRecorded,
          expected({
            facts: { ...facts, threats: [surveillance, deathThreat] },
            incidents: [attempt],
            at: '2025-03-01T10:00:00.000Z',
            trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
            sequence: 1,
          }),
        ]);
    });

    it('refuses the case for another organisation', () => {
      spec
        .given([factsRecorded, assessed])
        .when({ ...assess, data: { ...assess.data, organisationId: 'org-other' } })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it('decides nothing for a withdrawn case', () => {
      spec
        .given([
          {
            type: 'ReassessmentStopped',
            data: {
              caseId: 'c-1',
              reason: 'CASE_WITHDRAWN',
              stoppedAt: '2025-03-01T09:00:00.000Z',
            },
          },
        ])
        .when(assess)
        .thenNothingHappened();
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'an unspecified gender',
        { facts: { ...facts, gender: 'GENDER_UNSPECIFIED' } },
        'facts.gender',
      ],
      ['a missing flag', { facts: { ...facts, familyExposed: undefined } }, 'facts.familyExposed'],
      [
        'a missing vulnerability',
        { facts: { ...facts, vulnerabilities: { minority: false, disability: false } } },
        'facts.vulnerabilities.publicVisibility',
      ],
      [
        'no capacities',
        { facts: { ...facts, capacities: undefined } },
        'facts.capacities.supportNetwork',
      ],
      [
        'a threat without a date',
        { facts: { ...facts, threats: [{ ...surveillance, occurredOn: '' }] } },
        'facts.threats[0].occurredOn',
      ],
      [
        'a threat of no known source',
        {
          facts: { ...facts, threats: [{ ...surveillance, source: 'THREAT_SOURCE_UNSPECIFIED' }] },
        },
        'facts.threats[0].source',
      ],
      [
        'a threat whose feasibility was not judged',
        { facts: { ...facts, threats: [{ ...surveillance, feasibility: undefined }] } },
        'facts.threats[0].feasibility',
      ],
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

  describe('UpdateCircumstances (intake’s CaseFactsUpdated)', () => {
    const update = (given: Circumstances, cause = 'evt-update-1') => ({
      type: 'UpdateCircumstances' as const,
      data: {
        caseId: 'c-1',
        organisationId: 'org-ngo',
        circumstances: given,
        cause,
        assessedAt: '2025-03-02T10:00:00Z',
      },
    });

    it('re-assesses with the corrected circumstances and every threat so far', () => {
      const exposed: Circumstances = {
        ...circumstances,
        gender: 'GENDER_WOMAN',
        vulnerabilities: { minority: true, disability: false, publicVisibility: false },
      };
      spec
        .given([factsRecorded, assessed, deathThreatNoted])
        .when(update(exposed))
        .then([
          {
            type: 'CircumstancesRecorded',
            data: {
              caseId: 'c-1',
              organisationId: 'org-ngo',
              circumstances: exposed,
              cause: 'evt-update-1',
            },
          },
          expected({
            facts: { ...exposed, threats: [surveillance, deathThreat] },
            at: '2025-03-02T10:00:00.000Z',
            trigger: 'ASSESSMENT_TRIGGER_FACTS_UPDATED',
            sequence: 2,
          }),
        ]);
    });

    it('lowers the level when the person gains a capacity, and says so', () => {
      const stronger: Circumstances = {
        ...circumstances,
        capacities: { supportNetwork: true, relocationOptions: false, digitalSecurity: false },
      };
      const [, reassessed] = assessmentDecider.decide(
        update(stronger),
        state([factsRecorded, assessed]),
      ) as AssessmentEvent[];
      expect(reassessed).toMatchObject({
        type: 'RiskAssessed',
        data: {
          // 4.95 ÷ 1.3
          score: 3.81,
          level: 'RISK_LEVEL_LOW',
          deadlineClass: 'DEADLINE_CLASS_NORMAL',
          factors: [
            surveillanceWords,
            'lowers the risk: a support network that can act at short notice',
          ],
        },
      });
    });

    it('records, without re-assessing, a correction of what the methodology does not read', () => {
      spec
        .given([factsRecorded, assessed])
        .when(update(circumstances))
        .then([
          {
            type: 'CircumstancesRecorded',
            data: {
              caseId: 'c-1',
              organisationId: 'org-ngo',
              circumstances,
              cause: 'evt-update-1',
            },
          },
        ]);
    });

    it('applies an update once, so a redelivered older one cannot undo a newer one', () => {
      const recorded: AssessmentEvent = {
        type: 'CircumstancesRecorded',
        data: { caseId: 'c-1', organisationId: 'org-ngo', circumstances, cause: 'evt-update-1' },
      };
      spec
        .given([factsRecorded, assessed, recorded])
        .when(update({ ...circumstances, outsideCapital: true }))
        .thenNothingHappened();
    });

    it('refuses an update without a cause, naming the field', () => {
      const error = spec
        .given([factsRecorded, assessed])
        .when(update(circumstances, ''))
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain('cause');
    });
  });

  describe('NoteThreat (intake’s ThreatReported)', () => {
    it('notes the threat and re-assesses: a clear and present death threat makes the case critical', () => {
      spec
        .given([factsRecorded, assessed])
        .when(threat('evt-threat-1'))
        .then([
          deathThreatNoted,
          expected({
            facts: { ...facts, threats: [surveillance, deathThreat] },
            at: '2025-03-05T08:00:00.000Z',
            trigger: 'ASSESSMENT_TRIGGER_THREAT_REPORTED',
            sequence: 2,
          }),
        ]);
      const [, reassessed] = assessmentDecider.decide(
        threat('evt-threat-1'),
        state([factsRecorded, assessed]),
      ) as AssessmentEvent[];
      expect(reassessed?.data).toMatchObject({
        level: 'RISK_LEVEL_CRITICAL',
        deadlineClass: 'DEADLINE_CLASS_CRITICAL',
        acknowledgeWithinSeconds: 4 * 3600,
        decideWithinSeconds: 12 * 3600,
        nextReassessmentAt: '2025-03-12T08:00:00.000Z',
      });
    });

    it('counts a redelivered report once', () => {
      spec
        .given([factsRecorded, assessed, deathThreatNoted])
        .when(threat('evt-threat-1'))
        .thenNothingHappened();
    });

    it('only notes a threat while the case’s facts are unknown', () => {
      spec.given([]).when(threat('evt-threat-1')).then([deathThreatNoted]);
    });

    it('refuses a threat whose objective was not analysed, naming the field', () => {
      const error = spec
        .given([factsRecorded, assessed])
        .when(
          threat('evt-threat-2', {
            ...deathThreat,
            objective: 'THREAT_OBJECTIVE_UNSPECIFIED' as never,
          }),
        )
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain('threat.objective');
    });

    it('refuses a threat for another organisation’s case', () => {
      const foreign = threat('evt-threat-2');
      spec
        .given([factsRecorded, assessed])
        .when({ ...foreign, data: { ...foreign.data, organisationId: 'org-other' } })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });
  });

  describe('NoteIncident (accountability’s IncidentRecorded)', () => {
    it('notes the incident and re-assesses with every incident so far', () => {
      spec
        .given([factsRecorded, assessed])
        .when(incident('inc-1'))
        .then([
          attemptNoted,
          expected({
            facts,
            incidents: [attempt],
            at: '2025-03-03T09:00:00.000Z',
            trigger: 'ASSESSMENT_TRIGGER_INCIDENT',
            sequence: 2,
          }),
        ]);
    });

    it('decides nothing for an incident already noted (delivery is at least once)', () => {
      spec
        .given([factsRecorded, assessed, attemptNoted])
        .when(incident('inc-1'))
        .thenNothingHappened();
      spec.given([attemptNoted]).when(incident('inc-1')).thenNothingHappened();
    });

    it('only notes an incident while the case’s facts are unknown', () => {
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
  });

  describe('ReassessOnSchedule (a durable timer fired)', () => {
    const due = (sequence: number, assessedAt = '2025-03-31T10:00:02Z') => ({
      type: 'ReassessOnSchedule' as const,
      data: { caseId: 'c-1', sequence, assessedAt },
    });

    it('re-assesses when the assessment that set the timer is still the latest; old threats fade', () => {
      spec
        .given([factsRecorded, assessed])
        .when(due(1))
        .then([
          expected({
            facts,
            at: '2025-03-31T10:00:02.000Z',
            trigger: 'ASSESSMENT_TRIGGER_SCHEDULE',
            sequence: 2,
          }),
        ]);
      const [reassessed] = assessmentDecider.decide(
        due(1),
        state([factsRecorded, assessed]),
      ) as AssessmentEvent[];
      // 39 days on, the surveillance weighs 1 instead of 1.5: 3.3, low, next in 90 days.
      expect(reassessed?.data).toMatchObject({
        score: 3.3,
        level: 'RISK_LEVEL_LOW',
        nextReassessmentAt: '2025-06-29T10:00:02.000Z',
      });
    });

    it('decides nothing when the timer fires again, or for an assessment superseded since', () => {
      const [reassessed] = assessmentDecider.decide(
        due(1),
        state([factsRecorded, assessed]),
      ) as AssessmentEvent[];
      spec.given([factsRecorded, assessed, reassessed!]).when(due(1)).thenNothingHappened();
      spec.given([factsRecorded, assessed]).when(due(7)).thenNothingHappened();
      spec.given([]).when(due(1)).thenNothingHappened();
    });

    it('decides nothing for a withdrawn case', () => {
      spec
        .given([
          factsRecorded,
          assessed,
          {
            type: 'ReassessmentStopped',
            data: {
              caseId: 'c-1',
              reason: 'CASE_WITHDRAWN',
              stoppedAt: '2025-03-10T00:00:00.000Z',
            },
          },
        ])
        .when(due(1))
        .thenNothingHappened();
    });

    it('refuses a sequence that is no assessment number', () => {
      spec.given([factsRecorded, assessed]).when(due(0)).thenThrows('AMAN_ERR_VALIDATION');
    });
  });

  describe('OverrideAssessment (an assessor of the case’s NGO)', () => {
    it('sets the level with the justification kept in the private event, not the public one', () => {
      spec
        .given([factsRecorded, assessed])
        .when(override())
        .then([overriddenToHigh, assessedAtHigh]);
      expect(JSON.stringify(assessedAtHigh)).not.toContain('commander');
      expect(assessedAtHigh.data).toMatchObject({
        level: 'RISK_LEVEL_HIGH',
        computedLevel: 'RISK_LEVEL_MEDIUM',
        overridden: true,
        deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
        acknowledgeWithinSeconds: 24 * 3600,
      });
    });

    it('answers the same override again with nothing new, and refuses its key for another', () => {
      spec
        .given([factsRecorded, assessed, overriddenToHigh, assessedAtHigh])
        .when(override())
        .thenNothingHappened();
      spec
        .given([factsRecorded, assessed, overriddenToHigh, assessedAtHigh])
        .when(override({ level: 'RISK_LEVEL_CRITICAL' }))
        .thenThrows('AMAN_ERR_IDEMPOTENCY_CONFLICT');
    });

    it('refuses to override what the assessor has not seen', () => {
      spec
        .given([factsRecorded, assessed, overriddenToHigh, assessedAtHigh])
        .when(override({ idempotencyKey: 'ovr-2' }))
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
      spec
        .given([factsRecorded, assessed, overriddenToHigh, assessedAtHigh])
        .when(
          override({ idempotencyKey: 'ovr-2', expectedSequence: 0, level: 'RISK_LEVEL_CRITICAL' }),
        )
        .then([
          {
            ...overriddenToHigh,
            data: {
              ...overriddenToHigh.data,
              idempotencyKey: 'ovr-2',
              level: 'RISK_LEVEL_CRITICAL',
              sequence: 3,
            },
          },
          expected({
            facts,
            at: '2025-03-02T09:00:00.000Z',
            trigger: 'ASSESSMENT_TRIGGER_OVERRIDE',
            sequence: 3,
            level: 'RISK_LEVEL_CRITICAL',
            extraFactors: ['level set at critical by an assessor (computed: medium)'],
          }),
        ]);
    });

    it('does not disclose another organisation’s case, nor one never assessed', () => {
      spec
        .given([factsRecorded, assessed])
        .when(override({ organisationId: 'org-other' }))
        .thenThrows('AMAN_ERR_NOT_FOUND');
      spec.given([attemptNoted]).when(override()).thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('refuses to override a withdrawn case', () => {
      spec
        .given([
          factsRecorded,
          assessed,
          {
            type: 'ReassessmentStopped',
            data: {
              caseId: 'c-1',
              reason: 'CASE_WITHDRAWN',
              stoppedAt: '2025-03-01T12:00:00.000Z',
            },
          },
        ])
        .when(override())
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it.each<[string, Partial<OverrideAssessment['data']>, string]>([
      ['no justification', { justification: '   ' }, 'justification'],
      ['a justification too long', { justification: 'x'.repeat(2001) }, 'justification'],
      ['an unspecified level', { level: 'RISK_LEVEL_UNSPECIFIED' as never }, 'level'],
      ['no idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
    ])('refuses %s, naming the field and never quoting it', (_, change, field) => {
      const error = spec
        .given([factsRecorded, assessed])
        .when(override(change))
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain(field);
      expect(error.message).not.toContain('xxx');
    });

    it('holds through re-assessments until the computed level rises above it', () => {
      const due = {
        type: 'ReassessOnSchedule' as const,
        data: { caseId: 'c-1', sequence: 2, assessedAt: '2025-03-16T09:00:00Z' },
      };
      const [held] = assessmentDecider.decide(
        due,
        state([factsRecorded, assessed, overriddenToHigh, assessedAtHigh]),
      ) as AssessmentEvent[];
      expect(held?.data).toMatchObject({
        level: 'RISK_LEVEL_HIGH',
        computedLevel: 'RISK_LEVEL_MEDIUM',
        overridden: true,
        sequence: 3,
        deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
      });
      expect((held?.data as RiskAssessedData).factors[0]).toBe(
        "level held at high by an assessor's override of 2025-03-02 (computed: medium)",
      );
      // A clear and present death threat makes the computed level critical: the override ends.
      const afterThreat = assessmentDecider.decide(
        {
          ...threat('evt-threat-1'),
          data: { ...threat('evt-threat-1').data, assessedAt: '2025-03-17T08:00:00Z' },
        },
        state([factsRecorded, assessed, overriddenToHigh, assessedAtHigh, held!]),
      ) as AssessmentEvent[];
      expect(afterThreat[1]?.data).toMatchObject({
        level: 'RISK_LEVEL_CRITICAL',
        overridden: false,
      });
      expect(
        state([factsRecorded, assessed, overriddenToHigh, assessedAtHigh, held!, ...afterThreat])
          .override,
      ).toBeUndefined();
    });

    it('holds a lowered level while the case is no graver than what the assessor saw', () => {
      const lowered = override({ level: 'RISK_LEVEL_LOW', idempotencyKey: 'ovr-low' });
      const events = assessmentDecider.decide(
        lowered,
        state([factsRecorded, assessed]),
      ) as AssessmentEvent[];
      expect(events[1]?.data).toMatchObject({ level: 'RISK_LEVEL_LOW', overridden: true });
      const harassment: ThreatFact = {
        ...deathThreat,
        kind: 'THREAT_KIND_ONLINE_HARASSMENT',
        source: 'THREAT_SOURCE_UNIDENTIFIED',
        feasibility: 'FEASIBILITY_LOW',
        objective: 'THREAT_OBJECTIVE_UNCLEAR',
      };
      const [, minor] = assessmentDecider.decide(
        threat('evt-threat-9', harassment),
        state([factsRecorded, assessed, ...events]),
      ) as AssessmentEvent[];
      expect(minor?.data).toMatchObject({
        level: 'RISK_LEVEL_LOW',
        computedLevel: 'RISK_LEVEL_MEDIUM',
        overridden: true,
      });
    });

    it('ends when an assessor confirms the computed level', () => {
      const confirmed = assessmentDecider.decide(
        override({ level: 'RISK_LEVEL_MEDIUM', idempotencyKey: 'ovr-2', expectedSequence: 2 }),
        state([factsRecorded, assessed, overriddenToHigh, assessedAtHigh]),
      ) as AssessmentEvent[];
      expect(confirmed[1]?.data).toMatchObject({
        level: 'RISK_LEVEL_MEDIUM',
        overridden: false,
        factors: ['level confirmed at medium by an assessor', surveillanceWords],
      });
      expect(
        state([factsRecorded, assessed, overriddenToHigh, assessedAtHigh, ...confirmed]).override,
      ).toBeUndefined();
    });
  });

  describe('StopReassessment (intake’s CaseWithdrawn or CaseErased)', () => {
    const stop = (reason: 'CASE_WITHDRAWN' | 'CASE_ERASED') => ({
      type: 'StopReassessment' as const,
      data: { caseId: 'c-1', reason, stoppedAt: '2025-03-10T12:00:00+01:00' },
    });
    const withdrawn: AssessmentEvent = {
      type: 'ReassessmentStopped',
      data: { caseId: 'c-1', reason: 'CASE_WITHDRAWN', stoppedAt: '2025-03-10T11:00:00.000Z' },
    };
    const erased: AssessmentEvent = {
      type: 'ReassessmentStopped',
      data: { caseId: 'c-1', reason: 'CASE_ERASED', stoppedAt: '2025-03-10T11:00:00.000Z' },
    };

    it('stops re-assessing a withdrawn case, once', () => {
      spec.given([factsRecorded, assessed]).when(stop('CASE_WITHDRAWN')).then([withdrawn]);
      spec
        .given([factsRecorded, assessed, withdrawn])
        .when(stop('CASE_WITHDRAWN'))
        .thenNothingHappened();
    });

    it('records an erasure after a withdrawal, never the other way round', () => {
      spec.given([factsRecorded, assessed, withdrawn]).when(stop('CASE_ERASED')).then([erased]);
      spec
        .given([factsRecorded, assessed, erased])
        .when(stop('CASE_WITHDRAWN'))
        .thenNothingHappened();
    });

    it('leaves every later threat, incident and update unassessed', () => {
      const given = [factsRecorded, assessed, withdrawn];
      spec.given(given).when(threat('evt-threat-1')).thenNothingHappened();
      spec.given(given).when(incident('inc-1')).thenNothingHappened();
      spec
        .given(given)
        .when({
          type: 'UpdateCircumstances',
          data: {
            caseId: 'c-1',
            organisationId: 'org-ngo',
            circumstances: { ...circumstances, outsideCapital: true },
            cause: 'evt-u',
            assessedAt: '2025-03-11T00:00:00Z',
          },
        })
        .thenNothingHappened();
    });
  });

  it('uses the configured policy for deadlines and the next re-assessment', () => {
    const tight = createAssessmentDecider({
      policy: {
        ...DEFAULT_POLICY,
        acknowledgeWithin: { ...DEFAULT_POLICY.acknowledgeWithin, DEADLINE_CLASS_URGENT: 3600 },
        decisionFactor: 2,
        reassessAfter: { ...DEFAULT_POLICY.reassessAfter, RISK_LEVEL_MEDIUM: 60 },
      },
    });
    const [, first] = tight.decide(assess, tight.initialState()) as AssessmentEvent[];
    expect(first?.data).toMatchObject({
      acknowledgeWithinSeconds: 3600,
      decideWithinSeconds: 7200,
      nextReassessmentAt: '2025-03-01T10:01:00.000Z',
    });
  });

  it('keeps the latest assessment for a caller whose command decided nothing', () => {
    expect(state([factsRecorded, assessed]).latest).toEqual(firstAssessment);
    expect(assessmentDecider.initialState().latest).toBeUndefined();
  });
});
