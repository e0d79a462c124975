/*
 * Pins risk-assessment's vocabularies and public event to proto/ (the domain code itself never
 * imports the generated contracts): every vocabulary value is a protobuf enum name, and
 * RiskAssessed survives protobuf JSON both ways, so it is exactly the message's JSON form.
 */
import { describe, expect, it } from '@jest/globals';

import { accountability, common, risk } from '@aman/contracts';

import {
  ACTS,
  ASSESSMENT_TRIGGERS,
  DEADLINE_CLASSES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RISK_LEVELS,
  THREAT_KINDS,
  assessmentDecider,
  type AssessmentEvent,
} from './index.ts';

/** Protobuf JSON leaves default values out (false, 0, '', empty lists). */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => !(field === false || field === '' || field === 0))
      .filter(([, field]) => !(Array.isArray(field) && field.length === 0))
      .map(([name, field]) => [name, withoutDefaults(field)]),
  );
}

describe('risk-assessment domain against proto/', () => {
  it('uses protobuf enum names for every vocabulary value', () => {
    const vocabularies: [readonly string[], (name: string) => number][] = [
      [PROFILES, common.profileFromJSON],
      [GENDERS, common.genderFromJSON],
      [THREAT_KINDS, common.threatKindFromJSON],
      [RISK_LEVELS, common.riskLevelFromJSON],
      [DEADLINE_CLASSES, common.deadlineClassFromJSON],
      [ACTS, accountability.actFromJSON],
      [PERPETRATOR_CATEGORIES, accountability.perpetratorCategoryFromJSON],
      [ASSESSMENT_TRIGGERS, risk.assessmentTriggerFromJSON],
    ];
    for (const [names, fromJSON] of vocabularies) {
      // UNRECOGNIZED is -1, *_UNSPECIFIED is 0: neither belongs in a domain vocabulary.
      for (const name of names) expect([name, fromJSON(name) > 0]).toEqual([name, true]);
    }
  });

  it('writes RiskAssessed as its protobuf JSON, on a submission and on an incident', () => {
    const onSubmission = assessmentDecider.decide(
      {
        type: 'AssessCase',
        data: {
          caseId: 'c-1',
          organisationId: 'org-ngo',
          facts: {
            profile: 'PROFILE_ACTIVIST',
            gender: 'GENDER_UNDISCLOSED',
            outsideCapital: true,
            familyExposed: false,
            threats: [
              {
                kind: 'THREAT_KIND_DETENTION',
                occurredOn: '2025-01-10',
                byArmedOrStateActor: true,
              },
            ],
          },
          trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
          assessedAt: '2025-03-01T10:00:00Z',
        },
      },
      assessmentDecider.initialState(),
    ) as AssessmentEvent[];
    const onIncident = assessmentDecider.decide(
      {
        type: 'NoteIncident',
        data: {
          caseId: 'c-1',
          incidentId: 'inc-1',
          act: 'ACT_HOUSE_RAID',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
          occurredOn: '2025-02-27',
          assessedAt: '2025-03-02T10:00:00.250+01:00',
        },
      },
      onSubmission.reduce(assessmentDecider.evolve, assessmentDecider.initialState()),
    ) as AssessmentEvent[];

    const assessed = [...onSubmission, ...onIncident].filter(
      (event) => event.type === 'RiskAssessed',
    );
    expect(assessed.map((event) => event.data.trigger)).toEqual([
      'ASSESSMENT_TRIGGER_SUBMISSION',
      'ASSESSMENT_TRIGGER_INCIDENT',
    ]);
    for (const event of assessed) {
      expect(risk.RiskAssessed.toJSON(risk.RiskAssessed.fromJSON(event.data))).toEqual(
        withoutDefaults(event.data),
      );
    }
  });
});
