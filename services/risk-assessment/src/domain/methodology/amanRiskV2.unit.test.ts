import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { expectAmanError } from '@aman/testing';

import {
  CAPACITY_NAMES,
  VULNERABILITY_SWITCHES,
  TODAY,
  capacities,
  day,
  facts,
  incident,
  incidents,
  threat,
} from './arbitraries.ts';
import { levelRank, type CaseFacts, type IncidentFact, type ThreatFact } from '../vocabulary.ts';
import { amanRiskV2 } from './amanRiskV2.ts';
import { METHODOLOGIES } from './index.ts';

const assess = (caseFacts: CaseFacts, recorded: readonly IncidentFact[] = [], on = TODAY) =>
  amanRiskV2.assess({ facts: caseFacts, incidents: recorded, assessedOn: on });

const lawyerInTheCapital: CaseFacts = {
  profile: 'PROFILE_LAWYER',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  vulnerabilities: { minority: false, disability: false, publicVisibility: false },
  capacities: { supportNetwork: false, relocationOptions: false, digitalSecurity: false },
  threats: [],
};

/** Declared, 9 days before TODAY, by a state actor, to stop the work, could be carried out. */
const deathThreat: ThreatFact = {
  kind: 'THREAT_KIND_DEATH_THREAT',
  occurredOn: '2025-02-20',
  source: 'THREAT_SOURCE_STATE_ACTOR',
  objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
  feasibility: 'FEASIBILITY_MEDIUM',
  declared: true,
};
const deathThreatWords =
  'a death threat (declared) by a state actor, in the last 30 days, meant to stop the work, could be carried out';

const allCapacities = { supportNetwork: true, relocationOptions: true, digitalSecurity: true };

describe('aman-risk-v2', () => {
  it('is the current methodology', () => {
    expect(METHODOLOGIES.current).toBe(amanRiskV2);
    expect(METHODOLOGIES.of('aman-risk-v2')).toBe(amanRiskV2);
  });

  it('rates a case without threats or incidents low, with nothing to explain', () => {
    expect(assess(lawyerInTheCapital)).toEqual({
      level: 'RISK_LEVEL_LOW',
      score: 0,
      factors: [],
      methodologyVersion: 'aman-risk-v2',
    });
  });

  it('weighs a threat through the five steps and says so in plain words', () => {
    // 6 (death threat) × 1 (declared) × 1.5 (30 days) × 1.1 (stop the work) × 1.5 (state) × 1
    expect(assess({ ...lawyerInTheCapital, threats: [deathThreat] })).toEqual({
      level: 'RISK_LEVEL_HIGH',
      score: 14.85,
      factors: [deathThreatWords],
      methodologyVersion: 'aman-risk-v2',
    });
    const scoreWith = (change: Partial<ThreatFact>) =>
      assess({ ...lawyerInTheCapital, threats: [{ ...deathThreat, ...change }] }).score;
    // Step 1: a possible threat (made to others) weighs half; old threats fade.
    expect(scoreWith({ declared: false })).toBe(7.43);
    expect(scoreWith({ occurredOn: '2024-06-01' })).toBe(9.9);
    expect(scoreWith({ occurredOn: '2022-06-01' })).toBe(4.95);
    // Step 3: an objective of harm weighs more than one of pressure.
    expect(scoreWith({ objective: 'THREAT_OBJECTIVE_PUNISH' })).toBe(16.2);
    expect(scoreWith({ objective: 'THREAT_OBJECTIVE_UNCLEAR' })).toBe(13.5);
    // Step 4: an unidentified source is not assumed capable.
    expect(scoreWith({ source: 'THREAT_SOURCE_UNIDENTIFIED' })).toBe(9.9);
    // Step 5: a threat unlikely to be carried out weighs half.
    expect(scoreWith({ feasibility: 'FEASIBILITY_LOW' })).toBe(7.43);
  });

  it('reads the pattern across the threats: repetition and escalation within 90 days', () => {
    const harassment: ThreatFact = {
      kind: 'THREAT_KIND_ONLINE_HARASSMENT',
      occurredOn: '2025-01-10',
      source: 'THREAT_SOURCE_UNIDENTIFIED',
      objective: 'THREAT_OBJECTIVE_UNCLEAR',
      feasibility: 'FEASIBILITY_MEDIUM',
      declared: true,
    };
    const surveillance: ThreatFact = {
      ...deathThreat,
      kind: 'THREAT_KIND_SURVEILLANCE',
      occurredOn: '2025-02-01',
      declared: false,
    };
    const assessed = assess({
      ...lawyerInTheCapital,
      threats: [harassment, surveillance, deathThreat],
    });
    // (14.85 + (2.475 + 1) / 2) × 1.25 × 1.25
    expect(assessed).toEqual({
      level: 'RISK_LEVEL_CRITICAL',
      score: 25.92,
      factors: [
        deathThreatWords,
        'surveillance (possible) by a state actor, in the last 30 days, meant to stop the work, could be carried out',
        'online harassment (declared) by an unidentified source, in the last year, objective unclear, could be carried out',
        'repeated: 3 threats or incidents in the last 90 days',
        'escalating: graver threats followed lesser ones in the last 90 days',
      ],
      methodologyVersion: 'aman-risk-v2',
    });
    // The same threats spread over more than 90 days make no pattern.
    const spread = assess({
      ...lawyerInTheCapital,
      threats: [
        { ...harassment, occurredOn: '2024-06-01' },
        { ...surveillance, occurredOn: '2024-09-01' },
        deathThreat,
      ],
    });
    expect(spread.factors.some((factor) => factor.startsWith('repeated'))).toBe(false);
    expect(spread.factors.some((factor) => factor.startsWith('escalating'))).toBe(false);
    // Repeats are counted, not listed.
    expect(assess({ ...lawyerInTheCapital, threats: [deathThreat, deathThreat] }).factors[0]).toBe(
      `${deathThreatWords} (2 times)`,
    );
  });

  it('multiplies by the intersectional vulnerabilities: the same threat is critical for a woman from a minority outside the capital', () => {
    const exposed: CaseFacts = {
      ...lawyerInTheCapital,
      gender: 'GENDER_WOMAN',
      outsideCapital: true,
      familyExposed: true,
      vulnerabilities: { minority: true, disability: true, publicVisibility: true },
      threats: [deathThreat],
    };
    // 14.85 × (1 + 0.3 × 4 + 0.2 × 2)
    expect(assess(exposed)).toEqual({
      level: 'RISK_LEVEL_CRITICAL',
      score: 38.61,
      factors: [
        deathThreatWords,
        'a woman human rights defender',
        'from a minority',
        'living with a disability',
        'works outside the capital',
        'family exposed to the threats',
        'publicly visible for their work',
      ],
      methodologyVersion: 'aman-risk-v2',
    });
    const defenderOfWomen = {
      ...lawyerInTheCapital,
      profile: 'PROFILE_WOMEN_RIGHTS_DEFENDER' as const,
    };
    expect(assess({ ...defenderOfWomen, threats: [deathThreat] }).factors).toEqual([
      deathThreatWords,
      "a defender of women's rights",
    ]);
    // Woman and defender of women's rights is one factor, counted once.
    expect(
      assess({ ...defenderOfWomen, gender: 'GENDER_WOMAN', threats: [deathThreat] }).score,
    ).toBe(19.31);
  });

  it('divides by the capacities, unless the threat is clear and present', () => {
    expect(
      assess({ ...lawyerInTheCapital, capacities: allCapacities, threats: [deathThreat] }),
    ).toEqual({
      level: 'RISK_LEVEL_HIGH',
      // 14.85 ÷ 1.75
      score: 8.49,
      factors: [
        deathThreatWords,
        'lowers the risk: a support network that can act at short notice',
        'lowers the risk: relocation options within reach',
        'lowers the risk: digital security in place',
      ],
      methodologyVersion: 'aman-risk-v2',
    });
    const likely: ThreatFact = { ...deathThreat, feasibility: 'FEASIBILITY_HIGH' };
    const without = assess({ ...lawyerInTheCapital, threats: [likely] });
    const withCapacities = assess({
      ...lawyerInTheCapital,
      capacities: allCapacities,
      threats: [likely],
    });
    expect(withCapacities.score).toBe(without.score);
    expect(withCapacities.factors).toEqual([
      'a clear and present threat: the level is at least high and capacities are not counted',
      'a death threat (declared) by a state actor, in the last 30 days, meant to stop the work, likely to be carried out',
      'not counted now: a support network that can act at short notice',
      'not counted now: relocation options within reach',
      'not counted now: digital security in place',
    ]);
  });

  it('keeps a clear and present threat at high at least, capacities or not', () => {
    const weak: ThreatFact = {
      kind: 'THREAT_KIND_THREAT_TO_FAMILY',
      occurredOn: '2025-02-27',
      source: 'THREAT_SOURCE_UNIDENTIFIED',
      objective: 'THREAT_OBJECTIVE_UNCLEAR',
      feasibility: 'FEASIBILITY_HIGH',
      declared: true,
    };
    // 4 × 1.5 × 1.5 = 9, not 5.14: capacities take time to work against a present threat.
    expect(
      assess({ ...lawyerInTheCapital, capacities: allCapacities, threats: [weak] }),
    ).toMatchObject({ level: 'RISK_LEVEL_HIGH', score: 9 });
    // A house search is not a threat to life, liberty or family: capacities count.
    expect(
      assess({
        ...lawyerInTheCapital,
        capacities: allCapacities,
        threats: [{ ...weak, kind: 'THREAT_KIND_HOUSE_SEARCH' }],
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_LOW', score: 3.86 });
    const attempted: IncidentFact = {
      act: 'ACT_ATTEMPTED_KILLING',
      perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
      occurredOn: '2025-02-25',
    };
    expect(assess({ ...lawyerInTheCapital, capacities: allCapacities }, [attempted])).toMatchObject(
      {
        level: 'RISK_LEVEL_HIGH',
        score: 15,
      },
    );
    // A possible threat is not clear and present.
    expect(
      assess({
        ...lawyerInTheCapital,
        capacities: allCapacities,
        threats: [{ ...weak, declared: false }],
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_LOW', score: 2.57 });
  });

  it('weighs incidents by act and perpetrator; acts against life never fade', () => {
    const onlyIncident = (recorded: IncidentFact) => assess(lawyerInTheCapital, [recorded]);
    expect(
      onlyIncident({
        act: 'ACT_ABDUCTION',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
        occurredOn: '2025-02-25',
      }),
    ).toEqual({
      level: 'RISK_LEVEL_CRITICAL',
      score: 18,
      factors: [
        'a clear and present threat: the level is at least high and capacities are not counted',
        'an abduction by a state actor, in the last 30 days',
      ],
      methodologyVersion: 'aman-risk-v2',
    });
    expect(
      onlyIncident({
        act: 'ACT_ATTEMPTED_KILLING',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
        occurredOn: '2019-01-01',
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_HIGH', score: 15 });
    expect(
      onlyIncident({
        act: 'ACT_HOUSE_RAID',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
        occurredOn: '2019-01-01',
      }),
    ).toMatchObject({ level: 'RISK_LEVEL_LOW', score: 2.25 });
  });

  it('counts a date a day ahead (another time zone) as today, and refuses a day that is not a date', async () => {
    expect(
      assess({ ...lawyerInTheCapital, threats: [{ ...deathThreat, occurredOn: '2025-03-02' }] })
        .score,
    ).toBe(14.85);
    await expectAmanError(
      (async () => assess(lawyerInTheCapital, [], '1 March 2025'))(),
      'AMAN_ERR_VALIDATION',
    );
  });

  describe('properties', () => {
    const rank = levelRank;

    it('a new threat or incident never lowers the score or the level', () => {
      fc.assert(
        fc.property(facts, incidents, threat, incident, (caseFacts, recorded, added, act) => {
          const before = assess(caseFacts, recorded);
          for (const after of [
            assess({ ...caseFacts, threats: [...caseFacts.threats, added] }, recorded),
            assess(caseFacts, [...recorded, act]),
          ]) {
            expect(after.score).toBeGreaterThanOrEqual(before.score);
            expect(rank(after.level)).toBeGreaterThanOrEqual(rank(before.level));
          }
        }),
        { numRuns: 500 },
      );
    });

    it('a new capacity never raises the score or the level; a new vulnerability never lowers them', () => {
      fc.assert(
        fc.property(
          facts,
          incidents,
          fc.constantFrom(...CAPACITY_NAMES),
          fc.constantFrom(...VULNERABILITY_SWITCHES),
          (caseFacts, recorded, capacity, vulnerability) => {
            const before = assess(caseFacts, recorded);
            const stronger = assess(
              { ...caseFacts, capacities: { ...caseFacts.capacities, [capacity]: true } },
              recorded,
            );
            expect(stronger.score).toBeLessThanOrEqual(before.score);
            expect(rank(stronger.level)).toBeLessThanOrEqual(rank(before.level));
            const exposed = assess(vulnerability(caseFacts), recorded);
            expect(exposed.score).toBeGreaterThanOrEqual(before.score);
            expect(rank(exposed.level)).toBeGreaterThanOrEqual(rank(before.level));
          },
        ),
        { numRuns: 500 },
      );
    });

    it('puts any case with a clear and present threat at high at least, whatever its capacities', () => {
      const present = fc.record({
        kind: fc.constantFrom(
          'THREAT_KIND_DEATH_THREAT',
          'THREAT_KIND_PHYSICAL_ATTACK',
          'THREAT_KIND_DETENTION',
          'THREAT_KIND_THREAT_TO_FAMILY',
        ),
        occurredOn: fc.constantFrom('2025-02-01', '2025-02-28', TODAY),
        source: threat.map((given) => given.source),
        objective: threat.map((given) => given.objective),
        feasibility: fc.constant('FEASIBILITY_HIGH' as const),
        declared: fc.constant(true),
      });
      fc.assert(
        fc.property(facts, incidents, present, (caseFacts, recorded, added) => {
          const { level, factors } = assess(
            { ...caseFacts, threats: [...caseFacts.threats, added] },
            recorded,
          );
          expect(rank(level)).toBeGreaterThanOrEqual(rank('RISK_LEVEL_HIGH'));
          expect(factors[0]).toMatch(/^a clear and present threat/);
        }),
        { numRuns: 300 },
      );
    });

    it('keeps the score within [0, 100] and the level in step with it', () => {
      fc.assert(
        fc.property(
          facts,
          fc.array(threat, { maxLength: 40 }),
          fc.array(incident, { maxLength: 20 }),
          (caseFacts, many, recorded) => {
            const { score, level } = assess(
              { ...caseFacts, threats: [...caseFacts.threats, ...many] },
              recorded,
            );
            expect(score).toBeGreaterThanOrEqual(0);
            expect(score).toBeLessThanOrEqual(amanRiskV2.maxScore);
            expect(Number.isFinite(score)).toBe(true);
            expect(level).toBe(
              score >= 16
                ? 'RISK_LEVEL_CRITICAL'
                : score >= 8
                  ? 'RISK_LEVEL_HIGH'
                  : score >= 4
                    ? 'RISK_LEVEL_MEDIUM'
                    : 'RISK_LEVEL_LOW',
            );
          },
        ),
        { numRuns: 300 },
      );
      // Everything at its gravest still stays within bounds.
      const gravest: ThreatFact = {
        ...deathThreat,
        objective: 'THREAT_OBJECTIVE_PUNISH',
        feasibility: 'FEASIBILITY_HIGH',
        occurredOn: TODAY,
      };
      const worst = assess({
        ...lawyerInTheCapital,
        gender: 'GENDER_WOMAN',
        outsideCapital: true,
        familyExposed: true,
        vulnerabilities: { minority: true, disability: true, publicVisibility: true },
        threats: Array.from({ length: 50 }, () => gravest),
      });
      expect(worst).toMatchObject({ score: 100, level: 'RISK_LEVEL_CRITICAL' });
    });

    it('gives the same result for the same input and day, in any order of its lists', () => {
      fc.assert(
        fc.property(facts, incidents, day, (caseFacts, recorded, on) => {
          const first = assess(caseFacts, recorded, on);
          expect(assess(structuredClone(caseFacts), structuredClone(recorded), on)).toEqual(first);
          expect(
            assess(
              { ...caseFacts, threats: [...caseFacts.threats].reverse() },
              [...recorded].reverse(),
              on,
            ),
          ).toEqual(first);
        }),
        { numRuns: 300 },
      );
    });

    it('never puts anything in its factors but its own words', () => {
      fc.assert(
        fc.property(facts, incidents, capacities, (caseFacts, recorded, given) => {
          const { factors } = assess({ ...caseFacts, capacities: given }, recorded);
          // Dates, ids and free text never appear: only fixed phrases and counts.
          for (const factor of factors) expect(factor).not.toMatch(/\d{4}-\d{2}-\d{2}/);
        }),
        { numRuns: 200 },
      );
    });
  });
});
