import { epochDay, requireDate } from '@aman/errors';
import type {
  Act,
  CaseFacts,
  DeadlineClass,
  IncidentFact,
  PerpetratorCategory,
  RiskLevel,
  ThreatKind,
} from './vocabulary.ts';

/*
 * Methodology aman-risk-v1: risk = threats × vulnerabilities ÷ capacities (Front Line Defenders,
 * Protection International; research/domain.md §3.2). The weights are a first calibration; a
 * change of any weight or threshold is a new methodology version, so every stored assessment can
 * be explained by the rules that produced it.
 */

export const METHODOLOGY_VERSION = 'aman-risk-v1';

export type RiskAssessment = {
  readonly level: RiskLevel;
  readonly score: number;
  /** What drove the level, gravest first, in plain words and never personal data. */
  readonly factors: readonly string[];
  readonly methodologyVersion: typeof METHODOLOGY_VERSION;
  readonly deadlineClass: DeadlineClass;
};

/** Lowest score of each level above low. */
export const RISK_THRESHOLDS = {
  RISK_LEVEL_MEDIUM: 4,
  RISK_LEVEL_HIGH: 8,
  RISK_LEVEL_CRITICAL: 16,
} as const;

/** Declared threats by kind: those against life and liberty weigh most. */
const THREAT_WEIGHTS: Record<ThreatKind, number> = {
  THREAT_KIND_DEATH_THREAT: 6,
  THREAT_KIND_PHYSICAL_ATTACK: 6,
  THREAT_KIND_DETENTION: 5,
  THREAT_KIND_THREAT_TO_FAMILY: 3,
  THREAT_KIND_HOUSE_SEARCH: 3,
  THREAT_KIND_SURVEILLANCE: 2,
  THREAT_KIND_ONLINE_HARASSMENT: 1,
};

/** Acts done to the defender: an attack that already happened shows intent and capability. */
const ACT_WEIGHTS: Record<Act, number> = {
  ACT_KILLING: 10,
  ACT_ATTEMPTED_KILLING: 10,
  ACT_ABDUCTION: 8,
  ACT_DEATH_THREAT: 6,
  ACT_ASSAULT: 6,
  ACT_ARBITRARY_DETENTION: 5,
  ACT_HOUSE_RAID: 3,
  ACT_HARASSMENT: 1,
};

/**
 * Acts against life do not fade with time: whoever tried once can try again, so their weight
 * alone keeps the level at high or above whenever they happened.
 */
const LIFE_THREATENING: ReadonlySet<Act> = new Set([
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ABDUCTION',
]);

/** Step 5 of the threat analysis (feasibility): an armed or state actor can carry it out. */
const ARMED_OR_STATE_ACTOR = 1.5;

/** Risk is dynamic (FLD): recent threats weigh more, old ones less. */
const RECENCY = [
  { withinDays: 30, weight: 1.5, words: 'in the last 30 days' },
  { withinDays: 365, weight: 1, words: 'in the last year' },
  { withinDays: Infinity, weight: 0.5, words: 'more than a year ago' },
] as const;

/**
 * Intersectional factors (FLD modules 11/14; the 2021 joint statement: women defenders and those
 * outside the capital are most exposed). Each adds to a baseline of 1.
 */
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

/**
 * Capacities (protection measures, networks, resources) divide the risk. Intake does not record
 * them yet, so every case has the baseline; the next methodology version names them.
 */
const BASELINE_CAPACITIES = 1;

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
};

const PERPETRATOR_WORDS: Record<PerpetratorCategory, string> = {
  PERPETRATOR_CATEGORY_STATE: ' by a state actor',
  PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP: ' by an armed group',
  PERPETRATOR_CATEGORY_UNKNOWN: ' by an unknown perpetrator',
};

const DEADLINES: Record<RiskLevel, DeadlineClass> = {
  RISK_LEVEL_LOW: 'DEADLINE_CLASS_NORMAL',
  RISK_LEVEL_MEDIUM: 'DEADLINE_CLASS_NORMAL',
  RISK_LEVEL_HIGH: 'DEADLINE_CLASS_URGENT',
  RISK_LEVEL_CRITICAL: 'DEADLINE_CLASS_EMERGENCY',
};

type Threat = { readonly weight: number; readonly words: string };

/**
 * Assesses a case from its facts and the incidents recorded against it, as of `assessedOn`
 * (YYYY-MM-DD, for recency). Pure and deterministic: the same facts, incidents (in any order)
 * and day give the same assessment.
 */
export function assessRisk(
  facts: CaseFacts,
  incidents: readonly IncidentFact[],
  assessedOn: string,
): RiskAssessment {
  const today = epochDay(requireDate(assessedOn, 'assessedOn'));
  const recency = (occurredOn: string) => {
    const age = today - epochDay(requireDate(occurredOn, 'occurredOn'));
    // A date ahead of the assessment (another time zone) counts as recent.
    return RECENCY.find((window) => age <= window.withinDays) ?? RECENCY[2];
  };

  const threats: Threat[] = [
    ...facts.threats.map((threat) => {
      const window = recency(threat.occurredOn);
      const actor = threat.byArmedOrStateActor ? ARMED_OR_STATE_ACTOR : 1;
      return {
        weight: THREAT_WEIGHTS[threat.kind] * actor * window.weight,
        words: `${THREAT_WORDS[threat.kind]}${threat.byArmedOrStateActor ? ' by an armed or state actor' : ''}, ${window.words}`,
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

  const vulnerabilities = VULNERABILITIES.filter((factor) => factor.applies(facts));
  const risk =
    (threatScore(threats) * vulnerabilities.reduce((sum, factor) => sum + factor.weight, 1)) /
    BASELINE_CAPACITIES;
  // Rounded before the level is read, so the level always agrees with the score shown.
  const score = Math.round(risk * 100) / 100;
  const level = levelFor(score);
  return {
    level,
    score,
    factors: [...threatFactors(threats), ...vulnerabilities.map((factor) => factor.words)],
    methodologyVersion: METHODOLOGY_VERSION,
    deadlineClass: deadlineClassFor(level),
  };
}

/**
 * The gravest threat counts in full and every other one by half: a pattern over time raises the
 * risk (step 2 of the threat analysis), yet ten insults do not make a death threat. Adding a
 * threat never lowers the score.
 */
function threatScore(threats: readonly Threat[]): number {
  const weights = threats.map((threat) => threat.weight);
  const gravest = Math.max(0, ...weights);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return gravest + (total - gravest) / 2;
}

/** One line per kind of threat, gravest first; repeats are counted, not listed. */
function threatFactors(threats: readonly Threat[]): string[] {
  const byWords = new Map<string, { weight: number; count: number }>();
  for (const { words, weight } of threats) {
    const seen = byWords.get(words) ?? { weight: 0, count: 0 };
    byWords.set(words, { weight: seen.weight + weight, count: seen.count + 1 });
  }
  return [...byWords]
    .sort(([aWords, a], [bWords, b]) => b.weight - a.weight || (aWords < bWords ? -1 : 1))
    .map(([words, { count }]) => (count > 1 ? `${words} (${count} times)` : words));
}

export function levelFor(score: number): RiskLevel {
  if (score >= RISK_THRESHOLDS.RISK_LEVEL_CRITICAL) return 'RISK_LEVEL_CRITICAL';
  if (score >= RISK_THRESHOLDS.RISK_LEVEL_HIGH) return 'RISK_LEVEL_HIGH';
  if (score >= RISK_THRESHOLDS.RISK_LEVEL_MEDIUM) return 'RISK_LEVEL_MEDIUM';
  return 'RISK_LEVEL_LOW';
}

/** How fast providers must act: emergency ≤ 24 h, urgent ≤ 72 h, normal ≤ 2 weeks. */
export function deadlineClassFor(level: RiskLevel): DeadlineClass {
  return DEADLINES[level];
}
