import { epochDay, requireDate } from '@aman/errors';

import type { Act, CaseFacts, PerpetratorCategory, ThreatFact, ThreatKind } from '../vocabulary.ts';
import {
  ageInDays,
  levelFor,
  roundScore,
  type Methodology,
  type RiskInput,
  type RiskResult,
} from './methodology.ts';

/*
 * aman-risk-v1, the first calibration (issue 4), kept as it was so that its assessments can be
 * evaluated again and explained; no new assessment uses it. Its threats knew only whether an
 * armed or state actor made them: read here from the threat's source. It has no capacities,
 * no pattern and no floor. Frozen: never change a number here.
 */

const VERSION = 'aman-risk-v1';

const THRESHOLDS = { RISK_LEVEL_MEDIUM: 4, RISK_LEVEL_HIGH: 8, RISK_LEVEL_CRITICAL: 16 } as const;

const THREAT_WEIGHTS: Record<ThreatKind, number> = {
  THREAT_KIND_DEATH_THREAT: 6,
  THREAT_KIND_PHYSICAL_ATTACK: 6,
  THREAT_KIND_DETENTION: 5,
  THREAT_KIND_THREAT_TO_FAMILY: 3,
  THREAT_KIND_HOUSE_SEARCH: 3,
  THREAT_KIND_SURVEILLANCE: 2,
  THREAT_KIND_ONLINE_HARASSMENT: 1,
};

const ACT_WEIGHTS: Record<Act, number> = {
  ACT_KILLING: 10,
  ACT_ATTEMPTED_KILLING: 10,
  ACT_ABDUCTION: 8,
  ACT_DEATH_THREAT: 6,
  ACT_ASSAULT: 6,
  ACT_ARBITRARY_DETENTION: 5,
  ACT_HOUSE_RAID: 3,
  ACT_HARASSMENT: 1,
  // Added after v1 was frozen; no assessment made under v1 ever saw them.
  ACT_THREAT: 3,
  ACT_INTIMIDATION: 2,
  ACT_SURVEILLANCE: 2,
  ACT_ATTACK_ON_FAMILY: 6,
};

const LIFE_THREATENING: ReadonlySet<Act> = new Set([
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ABDUCTION',
]);

const ARMED_OR_STATE_ACTOR = 1.5;

const RECENCY = [
  { withinDays: 30, weight: 1.5, words: 'in the last 30 days' },
  { withinDays: 365, weight: 1, words: 'in the last year' },
  { withinDays: Infinity, weight: 0.5, words: 'more than a year ago' },
] as const;

const VULNERABILITIES: readonly {
  applies: (facts: CaseFacts) => boolean;
  weight: number;
  words: string;
}[] = [
  { applies: (facts) => facts.gender === 'GENDER_WOMAN', weight: 0.3, words: 'a woman' },
  { applies: (facts) => facts.gender === 'GENDER_NON_BINARY', weight: 0.3, words: 'non-binary' },
  {
    applies: (facts) => facts.profile === 'PROFILE_WOMEN_RIGHTS_DEFENDER',
    weight: 0.3,
    words: "a women's rights defender",
  },
  {
    applies: (facts) => facts.profile === 'PROFILE_JOURNALIST',
    weight: 0.2,
    words: 'a journalist',
  },
  { applies: (facts) => facts.outsideCapital, weight: 0.3, words: 'works outside the capital' },
  { applies: (facts) => facts.familyExposed, weight: 0.2, words: 'family exposed to the threats' },
];

const THREAT_WORDS: Record<ThreatKind, string> = {
  THREAT_KIND_DEATH_THREAT: 'a death threat',
  THREAT_KIND_PHYSICAL_ATTACK: 'a physical attack',
  THREAT_KIND_DETENTION: 'detention',
  THREAT_KIND_THREAT_TO_FAMILY: 'a threat to the family',
  THREAT_KIND_HOUSE_SEARCH: 'a house search',
  THREAT_KIND_SURVEILLANCE: 'surveillance',
  THREAT_KIND_ONLINE_HARASSMENT: 'online harassment',
};

const ACT_WORDS: Record<Act, string> = {
  ACT_KILLING: 'a killing',
  ACT_ATTEMPTED_KILLING: 'an attempted killing',
  ACT_ABDUCTION: 'an abduction',
  ACT_DEATH_THREAT: 'a death threat',
  ACT_ASSAULT: 'an assault',
  ACT_ARBITRARY_DETENTION: 'an arbitrary detention',
  ACT_HOUSE_RAID: 'a house raid',
  ACT_HARASSMENT: 'harassment',
  ACT_THREAT: 'a threat',
  ACT_INTIMIDATION: 'intimidation',
  ACT_SURVEILLANCE: 'surveillance',
  ACT_ATTACK_ON_FAMILY: 'an attack on family members',
};

const PERPETRATOR_WORDS: Record<PerpetratorCategory, string> = {
  PERPETRATOR_CATEGORY_STATE: ' by a state actor',
  PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP: ' by an armed group',
  PERPETRATOR_CATEGORY_UNKNOWN: ' by an unknown perpetrator',
};

type Threat = { readonly weight: number; readonly words: string };

/** What v1 knew of a threat's source. */
function byArmedOrStateActor(threat: ThreatFact): boolean {
  return (
    threat.source === 'THREAT_SOURCE_STATE_ACTOR' || threat.source === 'THREAT_SOURCE_ARMED_GROUP'
  );
}

function assess({ facts, incidents, assessedOn }: RiskInput): RiskResult {
  const today = epochDay(requireDate(assessedOn, 'assessedOn'));
  const recency = (occurredOn: string) => {
    const age = ageInDays(today, epochDay(requireDate(occurredOn, 'occurredOn')));
    return RECENCY.find((window) => age <= window.withinDays) ?? RECENCY[2];
  };
  const threats: Threat[] = [
    ...facts.threats.map((threat) => {
      const window = recency(threat.occurredOn);
      const armed = byArmedOrStateActor(threat);
      return {
        weight: THREAT_WEIGHTS[threat.kind] * (armed ? ARMED_OR_STATE_ACTOR : 1) * window.weight,
        words: `${THREAT_WORDS[threat.kind]}${armed ? ' by an armed or state actor' : ''}, ${window.words}`,
      };
    }),
    ...incidents.map((incident) => {
      const window = recency(incident.occurredOn);
      const armed = incident.perpetratorCategory !== 'PERPETRATOR_CATEGORY_UNKNOWN';
      const fading = LIFE_THREATENING.has(incident.act)
        ? Math.max(1, window.weight)
        : window.weight;
      return {
        weight: ACT_WEIGHTS[incident.act] * (armed ? ARMED_OR_STATE_ACTOR : 1) * fading,
        words: `${ACT_WORDS[incident.act]}${PERPETRATOR_WORDS[incident.perpetratorCategory]}, ${window.words}`,
      };
    }),
  ];
  const weights = threats.map((threat) => threat.weight);
  const gravest = Math.max(0, ...weights);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const vulnerabilities = VULNERABILITIES.filter((factor) => factor.applies(facts));
  const multiplier = vulnerabilities.reduce((sum, factor) => sum + factor.weight, 1);
  const score = roundScore((gravest + (total - gravest) / 2) * multiplier);
  return {
    level: levelFor(THRESHOLDS, score),
    score,
    factors: [...countedWords(threats), ...vulnerabilities.map((factor) => factor.words)],
    methodologyVersion: VERSION,
  };
}

/** One line per kind of threat, gravest first; repeats are counted, not listed. */
function countedWords(threats: readonly Threat[]): string[] {
  const byWords = new Map<string, { weight: number; count: number }>();
  for (const { words, weight } of threats) {
    const seen = byWords.get(words) ?? { weight: 0, count: 0 };
    byWords.set(words, { weight: seen.weight + weight, count: seen.count + 1 });
  }
  return [...byWords]
    .sort(([aWords, a], [bWords, b]) => b.weight - a.weight || (aWords < bWords ? -1 : 1))
    .map(([words, { count }]) => (count > 1 ? `${words} (${count} times)` : words));
}

export const amanRiskV1: Methodology = {
  version: VERSION,
  description: [
    'Superseded by aman-risk-v2; kept to evaluate and explain its own assessments.',
    'Threat weight: kind (death threat or physical attack 6, detention 5, threat to the family or house search 3, surveillance 2, online harassment 1) × 1.5 when made by an armed or state actor × recency (1.5 within 30 days, 1 within a year, 0.5 older).',
    'Incident weight: act (killing or attempted killing 10, abduction 8, death threat or assault 6, arbitrary detention 5, house raid 3, harassment 1) × 1.5 by a state actor or armed group × recency; acts against life never fade below 1.',
    'Threat score: the gravest in full, every other one by half.',
    'Vulnerability multiplier: 1 + 0.3 (woman) + 0.3 (non-binary) + 0.3 (women’s rights defender) + 0.2 (journalist) + 0.3 (outside the capital) + 0.2 (family exposed).',
    'No capacities. Score = threat score × vulnerability multiplier. Medium from 4, high from 8, critical from 16.',
  ],
  thresholds: THRESHOLDS,
  maxScore: Infinity,
  assess,
};
