/*
 * Pins risk-assessment's vocabularies and public event to proto/ (the domain code itself never
 * imports the generated contracts): every vocabulary value is a protobuf enum name, and
 * RiskAssessed survives protobuf JSON both ways on every trigger, so it is exactly the message's
 * JSON form, and never carries an override's justification.
 */
import { describe, expect, it } from '@jest/globals';

import { accountability, common, risk } from '@aman/contracts';
import { withoutDefaults } from '@aman/testing';

import {
  ACTS,
  ASSESSMENT_TRIGGERS,
  DEADLINE_CLASSES,
  FEASIBILITIES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RISK_LEVELS,
  THREAT_KINDS,
  THREAT_OBJECTIVES,
  THREAT_SOURCES,
  assessmentDecider,
  type AssessmentCommand,
  type AssessmentEvent,
  type AssessmentState,
} from './index.ts';

describe('risk-assessment domain against proto/', () => {
  it('uses protobuf enum names for every vocabulary value', () => {
    const vocabularies: [readonly string[], (name: string) => number][] = [
      [PROFILES, common.profileFromJSON],
      [GENDERS, common.genderFromJSON],
      [THREAT_KINDS, common.threatKindFromJSON],
      [THREAT_SOURCES, common.threatSourceFromJSON],
      [THREAT_OBJECTIVES, common.threatObjectiveFromJSON],
      [FEASIBILITIES, common.feasibilityFromJSON],
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
    // Every trigger the proto knows, the domain knows.
    expect(
      Object.keys(risk.AssessmentTrigger).filter(
        (name) =>
          /^[A-Z_]+$/.test(name) && !name.endsWith('UNSPECIFIED') && name !== 'UNRECOGNIZED',
      ),
    ).toEqual([...ASSESSMENT_TRIGGERS]);
  });

  it('writes RiskAssessed as its protobuf JSON on every trigger, without the justification', () => {
    const commands: AssessmentCommand[] = [
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
            vulnerabilities: { minority: true, disability: false, publicVisibility: false },
            capacities: { supportNetwork: false, relocationOptions: true, digitalSecurity: false },
            threats: [
              {
                kind: 'THREAT_KIND_DETENTION',
                occurredOn: '2025-01-10',
                source: 'THREAT_SOURCE_STATE_ACTOR',
                objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
                feasibility: 'FEASIBILITY_HIGH',
                declared: true,
              },
            ],
          },
          assessedAt: '2025-03-01T10:00:00Z',
        },
      },
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
      {
        type: 'UpdateCircumstances',
        data: {
          caseId: 'c-1',
          organisationId: 'org-ngo',
          circumstances: {
            profile: 'PROFILE_ACTIVIST',
            gender: 'GENDER_WOMAN',
            outsideCapital: true,
            familyExposed: true,
            vulnerabilities: { minority: true, disability: false, publicVisibility: true },
            capacities: { supportNetwork: false, relocationOptions: true, digitalSecurity: false },
          },
          cause: 'evt-1',
          assessedAt: '2025-03-03T10:00:00Z',
        },
      },
      {
        type: 'NoteThreat',
        data: {
          caseId: 'c-1',
          organisationId: 'org-ngo',
          threatId: 'evt-2',
          threat: {
            kind: 'THREAT_KIND_ONLINE_HARASSMENT',
            occurredOn: '2025-03-03',
            source: 'THREAT_SOURCE_UNIDENTIFIED',
            objective: 'THREAT_OBJECTIVE_UNCLEAR',
            feasibility: 'FEASIBILITY_LOW',
            declared: false,
          },
          assessedAt: '2025-03-04T10:00:00Z',
        },
      },
      {
        type: 'OverrideAssessment',
        data: {
          caseId: 'c-1',
          organisationId: 'org-ngo',
          principalId: 'key_1',
          level: 'RISK_LEVEL_CRITICAL',
          justification: 'Canary justification naming nobody',
          idempotencyKey: 'ovr-1',
          overriddenAt: '2025-03-05T10:00:00Z',
        },
      },
      {
        type: 'ReassessOnSchedule',
        data: { caseId: 'c-1', sequence: 5, assessedAt: '2025-03-12T10:00:00Z' },
      },
    ];
    let state: AssessmentState = assessmentDecider.initialState();
    const events: AssessmentEvent[] = [];
    for (const command of commands) {
      const decided = assessmentDecider.decide(command, state) as AssessmentEvent[];
      events.push(...decided);
      state = decided.reduce(assessmentDecider.evolve, state);
    }
    const assessed = events.filter((event) => event.type === 'RiskAssessed');
    expect(assessed.map((event) => event.data.trigger)).toEqual([
      'ASSESSMENT_TRIGGER_SUBMISSION',
      'ASSESSMENT_TRIGGER_INCIDENT',
      'ASSESSMENT_TRIGGER_FACTS_UPDATED',
      'ASSESSMENT_TRIGGER_THREAT_REPORTED',
      'ASSESSMENT_TRIGGER_OVERRIDE',
      'ASSESSMENT_TRIGGER_SCHEDULE',
    ]);
    expect(assessed.map((event) => event.data.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const event of assessed) {
      expect(risk.RiskAssessed.toJSON(risk.RiskAssessed.fromJSON(event.data))).toEqual(
        withoutDefaults(event.data),
      );
      expect(JSON.stringify(event.data)).not.toContain('Canary');
    }
  });
});
