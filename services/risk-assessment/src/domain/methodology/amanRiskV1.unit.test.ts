import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import type { CaseFacts, ThreatFact } from '../vocabulary.ts';
import { amanRiskV1 } from './amanRiskV1.ts';
import { METHODOLOGIES } from './index.ts';

const today = '2025-03-01';

const lawyerInTheCapital: CaseFacts = {
  profile: 'PROFILE_LAWYER',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  vulnerabilities: { minority: true, disability: true, publicVisibility: true },
  capacities: { supportNetwork: true, relocationOptions: true, digitalSecurity: true },
  threats: [],
};

/** What v1 knew as `byArmedOrStateActor: true`. */
const armedDeathThreat: ThreatFact = {
  kind: 'THREAT_KIND_DEATH_THREAT',
  occurredOn: '2025-02-20',
  source: 'THREAT_SOURCE_ARMED_GROUP',
  objective: 'THREAT_OBJECTIVE_UNCLEAR',
  feasibility: 'FEASIBILITY_LOW',
  declared: false,
};

const assess = (facts: CaseFacts) => amanRiskV1.assess({ facts, incidents: [], assessedOn: today });

describe('aman-risk-v1, kept to evaluate and explain its own assessments', () => {
  it('is registered beside the current version, which is not it', () => {
    expect(METHODOLOGIES.versions).toEqual(['aman-risk-v1', 'aman-risk-v2']);
    expect(METHODOLOGIES.of('aman-risk-v1')).toBe(amanRiskV1);
    expect(METHODOLOGIES.current).not.toBe(amanRiskV1);
    expect(amanRiskV1.description.join(' ')).toContain('armed or state actor');
  });

  it('gives the results it gave (issue 4), reading only what it knew', () => {
    // Source, objective, feasibility, declared, vulnerabilities and capacities did not exist.
    expect(assess({ ...lawyerInTheCapital, threats: [armedDeathThreat] })).toEqual({
      level: 'RISK_LEVEL_HIGH',
      score: 13.5,
      factors: ['a death threat by an armed or state actor, in the last 30 days'],
      methodologyVersion: 'aman-risk-v1',
    });
    expect(
      assess({
        ...lawyerInTheCapital,
        profile: 'PROFILE_JOURNALIST',
        gender: 'GENDER_WOMAN',
        outsideCapital: true,
        familyExposed: true,
        threats: [armedDeathThreat],
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_CRITICAL', score: 27 });
    const surveillance: ThreatFact = {
      ...armedDeathThreat,
      kind: 'THREAT_KIND_SURVEILLANCE',
      occurredOn: '2025-02-25',
      source: 'THREAT_SOURCE_CRIMINAL_GROUP',
    };
    const pattern = assess({
      ...lawyerInTheCapital,
      threats: [surveillance, armedDeathThreat, surveillance],
    });
    expect(pattern.score).toBe(16.5);
    expect(pattern.factors).toEqual([
      'a death threat by an armed or state actor, in the last 30 days',
      'surveillance, in the last 30 days (2 times)',
    ]);
    expect(
      amanRiskV1.assess({
        facts: lawyerInTheCapital,
        incidents: [
          {
            act: 'ACT_ATTEMPTED_KILLING',
            perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
            occurredOn: '2019-01-01',
          },
        ],
        assessedOn: today,
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_HIGH', score: 15 });
  });

  it('is not found under a version that never existed', async () => {
    await expectAmanError((async () => METHODOLOGIES.of('aman-risk-v0'))(), 'AMAN_ERR_NOT_FOUND');
  });
});
