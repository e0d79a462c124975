import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import {
  ACTS,
  PERPETRATOR_CATEGORIES,
  RISK_LEVELS,
  THREAT_KINDS,
  assessRisk,
  deadlineClassFor,
  levelFor,
  type CaseFacts,
  type IncidentFact,
  type RiskLevel,
  type ThreatFact,
} from './index.ts';

const today = '2025-03-01';

const lawyerInTheCapital: CaseFacts = {
  profile: 'PROFILE_LAWYER',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  threats: [],
};

const armedDeathThreat: ThreatFact = {
  kind: 'THREAT_KIND_DEATH_THREAT',
  occurredOn: '2025-02-20',
  byArmedOrStateActor: true,
};

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

/** A small seeded generator (mulberry32): property checks that replay the same cases every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function arbitrary(next: () => number) {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const date = (): string =>
    new Date(Date.parse(`${today}T00:00:00Z`) - Math.floor(next() * 1500) * 86_400_000)
      .toISOString()
      .slice(0, 10);
  const threat = (): ThreatFact => ({
    kind: pick(THREAT_KINDS),
    occurredOn: date(),
    byArmedOrStateActor: next() < 0.5,
  });
  const incident = (): IncidentFact => ({
    act: pick(ACTS),
    perpetratorCategory: pick(PERPETRATOR_CATEGORIES),
    occurredOn: date(),
  });
  const facts = (): CaseFacts => ({
    profile: pick([
      'PROFILE_HUMAN_RIGHTS_DEFENDER',
      'PROFILE_JOURNALIST',
      'PROFILE_WOMEN_RIGHTS_DEFENDER',
      'PROFILE_LAWYER',
    ] as const),
    gender: pick([
      'GENDER_WOMAN',
      'GENDER_MAN',
      'GENDER_NON_BINARY',
      'GENDER_UNDISCLOSED',
    ] as const),
    outsideCapital: next() < 0.5,
    familyExposed: next() < 0.5,
    threats: Array.from({ length: Math.floor(next() * 4) }, threat),
  });
  const incidents = (): IncidentFact[] => Array.from({ length: Math.floor(next() * 3) }, incident);
  return { pick, date, threat, incident, facts, incidents };
}

describe('assessRisk (aman-risk-v1)', () => {
  it('rates a case without threats or incidents low, with nothing to explain', () => {
    expect(assessRisk(lawyerInTheCapital, [], today)).toEqual({
      level: 'RISK_LEVEL_LOW',
      score: 0,
      factors: [],
      methodologyVersion: 'aman-risk-v1',
      deadlineClass: 'DEADLINE_CLASS_NORMAL',
    });
  });

  it('rates a recent death threat by an armed or state actor high, and says why', () => {
    expect(assessRisk({ ...lawyerInTheCapital, threats: [armedDeathThreat] }, [], today)).toEqual({
      level: 'RISK_LEVEL_HIGH',
      score: 13.5,
      factors: ['a death threat by an armed or state actor, in the last 30 days'],
      methodologyVersion: 'aman-risk-v1',
      deadlineClass: 'DEADLINE_CLASS_URGENT',
    });
  });

  it('multiplies threats by intersectional vulnerabilities: the same threat is critical for a woman journalist outside the capital', () => {
    const exposed: CaseFacts = {
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      outsideCapital: true,
      familyExposed: true,
      threats: [armedDeathThreat],
    };
    expect(assessRisk(exposed, [], today)).toEqual({
      level: 'RISK_LEVEL_CRITICAL',
      score: 27,
      factors: [
        'a death threat by an armed or state actor, in the last 30 days',
        'a woman',
        'a journalist',
        'works outside the capital',
        'family exposed to the threats',
      ],
      methodologyVersion: 'aman-risk-v1',
      deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
    });
    expect(
      assessRisk(
        { ...exposed, gender: 'GENDER_NON_BINARY', profile: 'PROFILE_WOMEN_RIGHTS_DEFENDER' },
        [],
        today,
      ).factors,
    ).toEqual([
      'a death threat by an armed or state actor, in the last 30 days',
      'non-binary',
      "a women's rights defender",
      'works outside the capital',
      'family exposed to the threats',
    ]);
  });

  it('weighs recent threats more and old ones less', () => {
    const scoreOn = (occurredOn: string) =>
      assessRisk(
        { ...lawyerInTheCapital, threats: [{ ...armedDeathThreat, occurredOn }] },
        [],
        today,
      );
    expect(scoreOn('2025-02-01')).toMatchObject({ score: 13.5, level: 'RISK_LEVEL_HIGH' });
    expect(scoreOn('2024-09-01')).toMatchObject({ score: 9, level: 'RISK_LEVEL_HIGH' });
    expect(scoreOn('2023-09-01')).toMatchObject({
      score: 4.5,
      level: 'RISK_LEVEL_MEDIUM',
      factors: ['a death threat by an armed or state actor, more than a year ago'],
    });
    // A date a day ahead (another time zone) is recent, not an error.
    expect(scoreOn('2025-03-02').score).toBe(13.5);
  });

  it('counts the gravest threat in full and the others by half, repeats counted in words', () => {
    const surveillance: ThreatFact = {
      kind: 'THREAT_KIND_SURVEILLANCE',
      occurredOn: '2025-02-25',
      byArmedOrStateActor: false,
    };
    const assessed = assessRisk(
      { ...lawyerInTheCapital, threats: [surveillance, armedDeathThreat, surveillance] },
      [],
      today,
    );
    // 13.5 + (3 + 3) / 2
    expect(assessed.score).toBe(16.5);
    expect(assessed.factors).toEqual([
      'a death threat by an armed or state actor, in the last 30 days',
      'surveillance, in the last 30 days (2 times)',
    ]);
  });

  it('weighs killings, attempted killings and abductions by the state or an armed group most', () => {
    const onlyIncident = (incident: IncidentFact) =>
      assessRisk(lawyerInTheCapital, [incident], today).score;
    const byArmedGroup = (act: IncidentFact['act']) =>
      onlyIncident({
        act,
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
        occurredOn: '2025-02-25',
      });
    const gravest = Math.max(...ACTS.map(byArmedGroup));
    for (const act of ['ACT_KILLING', 'ACT_ATTEMPTED_KILLING'] as const) {
      expect(byArmedGroup(act)).toBe(gravest);
    }
    expect(byArmedGroup('ACT_ABDUCTION')).toBeGreaterThan(byArmedGroup('ACT_DEATH_THREAT'));
    expect(
      onlyIncident({
        act: 'ACT_ABDUCTION',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
        occurredOn: '2025-02-25',
      }),
    ).toBeGreaterThan(
      onlyIncident({
        act: 'ACT_ABDUCTION',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
        occurredOn: '2025-02-25',
      }),
    );
    expect(
      assessRisk(
        lawyerInTheCapital,
        [
          {
            act: 'ACT_ATTEMPTED_KILLING',
            perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
            occurredOn: '2025-02-25',
          },
        ],
        today,
      ),
    ).toMatchObject({
      level: 'RISK_LEVEL_CRITICAL',
      factors: ['an attempted killing by a state actor, in the last 30 days'],
    });
  });

  it('raises a medium case to at least high on an attempted killing, whoever did it and whenever', () => {
    const medium: CaseFacts = {
      ...lawyerInTheCapital,
      threats: [
        { kind: 'THREAT_KIND_SURVEILLANCE', occurredOn: '2025-02-20', byArmedOrStateActor: true },
      ],
    };
    expect(assessRisk(medium, [], today).level).toBe('RISK_LEVEL_MEDIUM');
    for (const perpetratorCategory of PERPETRATOR_CATEGORIES) {
      for (const occurredOn of ['2025-02-28', '2024-06-01', '2019-01-01']) {
        const { level } = assessRisk(
          medium,
          [{ act: 'ACT_ATTEMPTED_KILLING', perpetratorCategory, occurredOn }],
          today,
        );
        expect(rank(level)).toBeGreaterThanOrEqual(rank('RISK_LEVEL_HIGH'));
      }
    }
    const { pick, facts, incidents } = arbitrary(random(7));
    let mediumCases = 0;
    for (let i = 0; i < 1000; i += 1) {
      const caseFacts = facts();
      const recorded = incidents();
      if (assessRisk(caseFacts, recorded, today).level !== 'RISK_LEVEL_MEDIUM') continue;
      mediumCases += 1;
      const attempt: IncidentFact = {
        act: 'ACT_ATTEMPTED_KILLING',
        perpetratorCategory: pick(PERPETRATOR_CATEGORIES),
        occurredOn: '2020-01-01',
      };
      const after = assessRisk(caseFacts, [...recorded, attempt], today);
      expect(rank(after.level)).toBeGreaterThanOrEqual(rank('RISK_LEVEL_HIGH'));
    }
    expect(mediumCases).toBeGreaterThan(50);
  });

  it('never lowers the level or score when a death threat by an armed actor, or anything else, is added', () => {
    const { threat, incident, facts, incidents, date } = arbitrary(random(42));
    for (let i = 0; i < 1000; i += 1) {
      const caseFacts = facts();
      const recorded = incidents();
      const before = assessRisk(caseFacts, recorded, today);
      const deathThreat: ThreatFact = {
        kind: 'THREAT_KIND_DEATH_THREAT',
        occurredOn: date(),
        byArmedOrStateActor: true,
      };
      for (const after of [
        assessRisk({ ...caseFacts, threats: [...caseFacts.threats, deathThreat] }, recorded, today),
        assessRisk({ ...caseFacts, threats: [...caseFacts.threats, threat()] }, recorded, today),
        assessRisk(caseFacts, [...recorded, incident()], today),
      ]) {
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        expect(rank(after.level)).toBeGreaterThanOrEqual(rank(before.level));
      }
    }
  });

  it('is deterministic: the same facts in any order give the same assessment', () => {
    const { facts, incidents } = arbitrary(random(3));
    for (let i = 0; i < 200; i += 1) {
      const caseFacts = facts();
      const recorded = incidents();
      expect(
        assessRisk(
          { ...caseFacts, threats: [...caseFacts.threats].reverse() },
          [...recorded].reverse(),
          today,
        ),
      ).toEqual(assessRisk(caseFacts, recorded, today));
    }
  });

  it('reads levels from the score by fixed thresholds, and deadlines from the level', () => {
    expect([0, 3.99, 4, 7.99, 8, 15.99, 16, 100].map(levelFor)).toEqual([
      'RISK_LEVEL_LOW',
      'RISK_LEVEL_LOW',
      'RISK_LEVEL_MEDIUM',
      'RISK_LEVEL_MEDIUM',
      'RISK_LEVEL_HIGH',
      'RISK_LEVEL_HIGH',
      'RISK_LEVEL_CRITICAL',
      'RISK_LEVEL_CRITICAL',
    ]);
    expect(RISK_LEVELS.map(deadlineClassFor)).toEqual([
      'DEADLINE_CLASS_NORMAL',
      'DEADLINE_CLASS_NORMAL',
      'DEADLINE_CLASS_URGENT',
      'DEADLINE_CLASS_EMERGENCY',
    ]);
  });

  it('refuses a day that is not a date', async () => {
    await expectAmanError(
      (async () => assessRisk(lawyerInTheCapital, [], '1 March 2025'))(),
      'AMAN_ERR_VALIDATION',
    );
  });
});
