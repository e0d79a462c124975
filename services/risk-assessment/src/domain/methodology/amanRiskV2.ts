import { epochDay, requireDate } from '@aman/errors';

import type {
  Act,
  CaseFacts,
  Feasibility,
  PerpetratorCategory,
  ThreatFact,
  ThreatKind,
  ThreatObjective,
  ThreatSource,
} from '../vocabulary.ts';
import {
  ageInDays,
  levelFor,
  roundScore,
  type Methodology,
  type RiskInput,
  type RiskResult,
} from './methodology.ts';

/*
 * aman-risk-v2: RISK = THREATS × VULNERABILITY ÷ CAPACITIES (Front Line Defenders / Protection
 * International, research/domain.md §3.2), each threat read through the five-step analysis:
 * (1) the facts — kind, date, declared or possible; (2) the pattern across the case's threats and
 * incidents — repetition and escalation within a recent window; (3) the objective; (4) the
 * source; (5) whether it can be carried out. The weights are a first calibration, to be reviewed
 * with practitioners; a change of any of them is a new version. Frozen once used.
 *
 * Guarantees (property-tested): a new threat or incident never lowers the score or the level, a
 * new vulnerability never lowers them, a new capacity never raises them; the score lies in
 * [0, 100]; the result depends only on the input, not on the order of its lists.
 */

const VERSION = 'aman-risk-v2';

const THRESHOLDS = { RISK_LEVEL_MEDIUM: 4, RISK_LEVEL_HIGH: 8, RISK_LEVEL_CRITICAL: 16 } as const;

const MAX_SCORE = 100;

/** Step 1: what the threat is. Threats against life and liberty weigh most. */
const KINDS: Record<ThreatKind, { weight: number; words: string }> = {
  THREAT_KIND_DEATH_THREAT: { weight: 6, words: 'a death threat' },
  THREAT_KIND_PHYSICAL_ATTACK: { weight: 6, words: 'a physical attack' },
  THREAT_KIND_DETENTION: { weight: 5, words: 'detention' },
  THREAT_KIND_THREAT_TO_FAMILY: { weight: 4, words: 'a threat to the family' },
  THREAT_KIND_HOUSE_SEARCH: { weight: 3, words: 'a house search' },
  THREAT_KIND_SURVEILLANCE: { weight: 2, words: 'surveillance' },
  THREAT_KIND_ONLINE_HARASSMENT: { weight: 1, words: 'online harassment' },
};

/** Step 1: a declared threat was made to the person; a possible one to people around them. */
const DECLARED = { declared: 1, possible: 0.5 } as const;

/** Step 1 and risk being dynamic (FLD): recent threats weigh more, old ones less. */
const RECENCY = [
  { withinDays: 30, weight: 1.5, words: 'in the last 30 days' },
  { withinDays: 365, weight: 1, words: 'in the last year' },
  { withinDays: Infinity, weight: 0.5, words: 'more than a year ago' },
] as const;

/** Step 2: the pattern, read over the threats and incidents of this window. */
const PATTERN_WINDOW_DAYS = 90;
/** So many threats or incidents within the window are a repetition. */
const REPETITION_COUNT = 3;
const REPETITION = 1.25;
/** A graver threat after a lesser one within the window is an escalation. */
const ESCALATION = 1.25;

/** Step 3: what the threat means to achieve; harm to the person weighs more than pressure. */
const OBJECTIVES: Record<ThreatObjective, { weight: number; words: string }> = {
  THREAT_OBJECTIVE_PUNISH: { weight: 1.2, words: 'meant to punish' },
  THREAT_OBJECTIVE_SILENCE_TESTIMONY: { weight: 1.2, words: 'meant to silence testimony' },
  THREAT_OBJECTIVE_FORCE_DISPLACEMENT: { weight: 1.2, words: 'meant to force displacement' },
  THREAT_OBJECTIVE_STOP_ACTIVITY: { weight: 1.1, words: 'meant to stop the work' },
  THREAT_OBJECTIVE_EXTORT: { weight: 1, words: 'meant to extort' },
  THREAT_OBJECTIVE_UNCLEAR: { weight: 1, words: 'objective unclear' },
};

/** Step 4: who makes it; those with arms or the state's power weigh most. */
const SOURCES: Record<ThreatSource, { weight: number; words: string }> = {
  THREAT_SOURCE_STATE_ACTOR: { weight: 1.5, words: 'by a state actor' },
  THREAT_SOURCE_ARMED_GROUP: { weight: 1.5, words: 'by an armed group' },
  THREAT_SOURCE_CRIMINAL_GROUP: { weight: 1.3, words: 'by a criminal group' },
  THREAT_SOURCE_COMMUNITY_OR_FAMILY: { weight: 1.1, words: 'by the community or family' },
  // "Even a signed threat could be false": an unidentified source is not assumed capable.
  THREAT_SOURCE_UNIDENTIFIED: { weight: 1, words: 'by an unidentified source' },
};

/** Step 5: a reasonable conclusion on whether the threat can be carried out. */
const FEASIBILITIES: Record<Feasibility, { weight: number; words: string }> = {
  FEASIBILITY_HIGH: { weight: 1.5, words: 'likely to be carried out' },
  FEASIBILITY_MEDIUM: { weight: 1, words: 'could be carried out' },
  FEASIBILITY_LOW: { weight: 0.5, words: 'unlikely to be carried out' },
};

/** Acts done to the defender (accountability's incidents): what happened shows intent and means. */
const ACTS: Record<Act, { weight: number; words: string }> = {
  ACT_KILLING: { weight: 10, words: 'a killing' },
  ACT_ATTEMPTED_KILLING: { weight: 10, words: 'an attempted killing' },
  ACT_ABDUCTION: { weight: 8, words: 'an abduction' },
  ACT_DEATH_THREAT: { weight: 6, words: 'a death threat' },
  ACT_ASSAULT: { weight: 6, words: 'an assault' },
  ACT_ARBITRARY_DETENTION: { weight: 5, words: 'an arbitrary detention' },
  ACT_HOUSE_RAID: { weight: 3, words: 'a house raid' },
  ACT_HARASSMENT: { weight: 1, words: 'harassment' },
  // Acts accountability records since v2 (none was assessed under v2 before): weighed as the
  // threat kinds they resemble.
  ACT_THREAT: { weight: 3, words: 'a threat' },
  ACT_INTIMIDATION: { weight: 2, words: 'intimidation' },
  ACT_SURVEILLANCE: { weight: 2, words: 'surveillance' },
  ACT_ATTACK_ON_FAMILY: { weight: 6, words: 'an attack on family members' },
};

const PERPETRATORS: Record<PerpetratorCategory, { weight: number; words: string }> = {
  PERPETRATOR_CATEGORY_STATE: { weight: 1.5, words: 'by a state actor' },
  PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP: { weight: 1.5, words: 'by an armed group' },
  PERPETRATOR_CATEGORY_UNKNOWN: { weight: 1, words: 'by an unknown perpetrator' },
};

/** Whoever tried once can try again: acts against life do not fade below full weight. */
const LIFE_THREATENING: ReadonlySet<Act> = new Set([
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ABDUCTION',
]);

/**
 * A clear and present threat: a declared threat against life, liberty or family in the last 30
 * days judged likely to be carried out, or a grave act in the last 30 days. Then "it is not safe
 * to try to reduce risk by increasing capacities, because that takes time" (FLD): capacities are
 * not counted and the level is at least high.
 */
const CLEAR_AND_PRESENT_DAYS = 30;
const GRAVE_THREATS: ReadonlySet<ThreatKind> = new Set([
  'THREAT_KIND_DEATH_THREAT',
  'THREAT_KIND_PHYSICAL_ATTACK',
  'THREAT_KIND_DETENTION',
  'THREAT_KIND_THREAT_TO_FAMILY',
]);
const GRAVE_ACTS: ReadonlySet<Act> = new Set([
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ABDUCTION',
  'ACT_ASSAULT',
  'ACT_ARBITRARY_DETENTION',
  'ACT_DEATH_THREAT',
]);
const CLEAR_AND_PRESENT_FLOOR = THRESHOLDS.RISK_LEVEL_HIGH;

/**
 * Intersectional factors (FLD modules 11/14: gender, minority, disability, place, family; Open
 * Briefing: identity and visibility). Each adds to a multiplier of 1.
 */
const VULNERABILITIES: readonly {
  weight: number;
  words: (facts: CaseFacts) => string | undefined;
}[] = [
  {
    weight: 0.3,
    words: (facts) =>
      facts.gender === 'GENDER_WOMAN'
        ? 'a woman human rights defender'
        : facts.profile === 'PROFILE_WOMEN_RIGHTS_DEFENDER'
          ? "a defender of women's rights"
          : undefined,
  },
  {
    weight: 0.3,
    words: (facts) => (facts.gender === 'GENDER_NON_BINARY' ? 'a non-binary defender' : undefined),
  },
  {
    weight: 0.3,
    words: (facts) => (facts.vulnerabilities.minority ? 'from a minority' : undefined),
  },
  {
    weight: 0.3,
    words: (facts) => (facts.vulnerabilities.disability ? 'living with a disability' : undefined),
  },
  {
    weight: 0.3,
    words: (facts) => (facts.outsideCapital ? 'works outside the capital' : undefined),
  },
  {
    weight: 0.2,
    words: (facts) => (facts.familyExposed ? 'family exposed to the threats' : undefined),
  },
  {
    weight: 0.2,
    words: (facts) =>
      facts.vulnerabilities.publicVisibility ? 'publicly visible for their work' : undefined,
  },
];

/** Capacities add to a divisor of 1: they lower the risk and never raise it. */
const CAPACITIES: readonly { weight: number; words: (facts: CaseFacts) => string | undefined }[] = [
  {
    weight: 0.3,
    words: (facts) =>
      facts.capacities.supportNetwork
        ? 'a support network that can act at short notice'
        : undefined,
  },
  {
    weight: 0.3,
    words: (facts) =>
      facts.capacities.relocationOptions ? 'relocation options within reach' : undefined,
  },
  {
    weight: 0.15,
    words: (facts) => (facts.capacities.digitalSecurity ? 'digital security in place' : undefined),
  },
];

/** A threat or an incident as the analysis weighs it. */
type Weighed = {
  readonly weight: number;
  readonly words: string;
  /** Days old at the assessment. */
  readonly age: number;
  /** For the escalation pattern: how grave it is, whenever it happened. */
  readonly gravity: number;
  readonly clearAndPresent: boolean;
};

function weighThreat(threat: ThreatFact, age: number): Weighed {
  const kind = KINDS[threat.kind];
  const window = recencyOf(age);
  const source = SOURCES[threat.source];
  const objective = OBJECTIVES[threat.objective];
  const feasibility = FEASIBILITIES[threat.feasibility];
  const declared = threat.declared ? DECLARED.declared : DECLARED.possible;
  return {
    weight:
      kind.weight *
      declared *
      window.weight *
      objective.weight *
      source.weight *
      feasibility.weight,
    words: `${kind.words} (${threat.declared ? 'declared' : 'possible'}) ${source.words}, ${window.words}, ${objective.words}, ${feasibility.words}`,
    age,
    gravity: kind.weight * declared,
    clearAndPresent:
      threat.declared &&
      age <= CLEAR_AND_PRESENT_DAYS &&
      threat.feasibility === 'FEASIBILITY_HIGH' &&
      GRAVE_THREATS.has(threat.kind),
  };
}

function weighIncident(act: Act, perpetrator: PerpetratorCategory, age: number): Weighed {
  const window = recencyOf(age);
  const fading = LIFE_THREATENING.has(act) ? Math.max(1, window.weight) : window.weight;
  return {
    weight: ACTS[act].weight * PERPETRATORS[perpetrator].weight * fading,
    words: `${ACTS[act].words} ${PERPETRATORS[perpetrator].words}, ${window.words}`,
    age,
    gravity: ACTS[act].weight,
    clearAndPresent: age <= CLEAR_AND_PRESENT_DAYS && GRAVE_ACTS.has(act),
  };
}

function recencyOf(age: number): (typeof RECENCY)[number] {
  return RECENCY.find((window) => age <= window.withinDays) ?? RECENCY[2];
}

function assess({ facts, incidents, assessedOn }: RiskInput): RiskResult {
  const today = epochDay(requireDate(assessedOn, 'assessedOn'));
  const ageOf = (date: string, field: string) =>
    ageInDays(today, epochDay(requireDate(date, field)));
  const weighed = [
    ...facts.threats.map((threat) => weighThreat(threat, ageOf(threat.occurredOn, 'occurredOn'))),
    ...incidents.map((incident) =>
      weighIncident(
        incident.act,
        incident.perpetratorCategory,
        ageOf(incident.occurredOn, 'occurredOn'),
      ),
    ),
  ];
  const pattern = patternOf(weighed);
  const threats = threatScore(weighed) * pattern.multiplier;

  const vulnerabilities = present(VULNERABILITIES, facts);
  const capacities = present(CAPACITIES, facts);
  const clearAndPresent = weighed.some((threat) => threat.clearAndPresent);
  const vulnerability = 1 + sum(vulnerabilities.map((factor) => factor.weight));
  const capacity = clearAndPresent ? 1 : 1 + sum(capacities.map((factor) => factor.weight));

  const computed = roundScore(Math.min(MAX_SCORE, (threats * vulnerability) / capacity));
  const score = clearAndPresent ? Math.max(computed, CLEAR_AND_PRESENT_FLOOR) : computed;
  return {
    level: levelFor(THRESHOLDS, score),
    score,
    factors: [
      ...(clearAndPresent
        ? ['a clear and present threat: the level is at least high and capacities are not counted']
        : []),
      ...countedWords(weighed),
      ...pattern.words,
      ...vulnerabilities.map((factor) => factor.words),
      ...capacities.map((factor) =>
        clearAndPresent ? `not counted now: ${factor.words}` : `lowers the risk: ${factor.words}`,
      ),
    ],
    methodologyVersion: VERSION,
  };
}

/**
 * The gravest threat counts in full and every other one by half, the others together at most as
 * much as the gravest: a pattern raises the risk, yet ten insults do not make a death threat, and
 * the score stays bounded. Adding a threat never lowers it.
 */
function threatScore(weighed: readonly Weighed[]): number {
  // Summed in one order, so that floating point gives the same score in any order of input.
  const weights = weighed.map((threat) => threat.weight).sort((a, b) => a - b);
  const gravest = Math.max(0, ...weights);
  const others = sum(weights) - gravest;
  return gravest + Math.min(others / 2, gravest);
}

/** Step 2, over the window: both tests only ever turn true as threats are added. */
function patternOf(weighed: readonly Weighed[]): { multiplier: number; words: string[] } {
  const recent = weighed.filter((threat) => threat.age <= PATTERN_WINDOW_DAYS);
  const words: string[] = [];
  let multiplier = 1;
  if (recent.length >= REPETITION_COUNT) {
    multiplier *= REPETITION;
    words.push(
      `repeated: ${recent.length} threats or incidents in the last ${PATTERN_WINDOW_DAYS} days`,
    );
  }
  const escalating = recent.some((later) =>
    recent.some((earlier) => earlier.age > later.age && later.gravity > earlier.gravity),
  );
  if (escalating) {
    multiplier *= ESCALATION;
    words.push(
      `escalating: graver threats followed lesser ones in the last ${PATTERN_WINDOW_DAYS} days`,
    );
  }
  return { multiplier, words };
}

function present(
  factors: readonly { weight: number; words: (facts: CaseFacts) => string | undefined }[],
  facts: CaseFacts,
): { weight: number; words: string }[] {
  return factors.flatMap(({ weight, words }) => {
    const said = words(facts);
    return said === undefined ? [] : [{ weight, words: said }];
  });
}

/** One line per kind of threat, gravest first; repeats are counted, not listed. */
function countedWords(weighed: readonly Weighed[]): string[] {
  const byWords = new Map<string, { weight: number; count: number }>();
  for (const { words, weight } of weighed) {
    const seen = byWords.get(words) ?? { weight: 0, count: 0 };
    byWords.set(words, { weight: seen.weight + weight, count: seen.count + 1 });
  }
  return [...byWords]
    .sort(([aWords, a], [bWords, b]) => b.weight - a.weight || (aWords < bWords ? -1 : 1))
    .map(([words, { count }]) => (count > 1 ? `${words} (${count} times)` : words));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export const amanRiskV2: Methodology = {
  version: VERSION,
  description: [
    'Risk = threats × vulnerability ÷ capacities (Front Line Defenders / Protection International), threats through the five-step analysis.',
    'Threat weight = kind (death threat or physical attack 6, detention 5, threat to the family 4, house search 3, surveillance 2, online harassment 1) × declared 1 or possible 0.5 × recency (1.5 within 30 days, 1 within a year, 0.5 older) × objective (punish, silence testimony or force displacement 1.2, stop the work 1.1, extort or unclear 1) × source (state actor or armed group 1.5, criminal group 1.3, community or family 1.1, unidentified 1) × feasibility (high 1.5, medium 1, low 0.5).',
    'Incident weight = act (killing or attempted killing 10, abduction 8, death threat or assault 6, arbitrary detention 5, house raid 3, harassment 1) × perpetrator (state actor or armed group 1.5, unknown 1) × recency; acts against life never fade below 1.',
    'Threats = the gravest in full + the others by half (together at most as much as the gravest), × 1.25 when 3 or more fall within 90 days (repetition), × 1.25 when a graver one followed a lesser one within 90 days (escalation).',
    'Vulnerability = 1 + 0.3 (woman, or defender of women’s rights) + 0.3 (non-binary) + 0.3 (minority) + 0.3 (disability) + 0.3 (outside the capital) + 0.2 (family exposed) + 0.2 (publicly visible).',
    'Capacities = 1 + 0.3 (support network) + 0.3 (relocation options) + 0.15 (digital security).',
    'Score = threats × vulnerability ÷ capacities, rounded to hundredths, at most 100. A clear and present threat (a declared death threat, physical attack, detention or threat to the family in the last 30 days judged likely to be carried out, or a killing, attempted killing, abduction, assault, arbitrary detention or death threat in the last 30 days) leaves capacities uncounted and the score at least 8.',
    'Medium from 4, high from 8, critical from 16.',
  ],
  thresholds: THRESHOLDS,
  maxScore: MAX_SCORE,
  assess,
};
