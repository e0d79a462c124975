import { NotFoundError } from '@aman/errors';

import type { CaseFacts, IncidentFact, RiskLevel } from '../vocabulary.ts';

/*
 * A methodology turns a case's facts into a level and a score. Each version is frozen: a change
 * of any weight, window or threshold is a new version beside the old ones, so every stored
 * assessment can be evaluated again and explained by the rules that produced it.
 */

export type RiskInput = {
  readonly facts: CaseFacts;
  readonly incidents: readonly IncidentFact[];
  /** YYYY-MM-DD: the day recency is measured from. */
  readonly assessedOn: string;
};

export type RiskResult = {
  readonly level: RiskLevel;
  readonly score: number;
  /** What drove the level, in plain words and never personal data: facts only. */
  readonly factors: readonly string[];
  readonly methodologyVersion: string;
};

/** Lowest score of each level above low. */
export type Thresholds = {
  readonly RISK_LEVEL_MEDIUM: number;
  readonly RISK_LEVEL_HIGH: number;
  readonly RISK_LEVEL_CRITICAL: number;
};

export interface Methodology {
  readonly version: string;
  /** How the version weighs, in plain words, for whoever must explain one of its assessments. */
  readonly description: readonly string[];
  readonly thresholds: Thresholds;
  /** Scores lie in [0, maxScore]. */
  readonly maxScore: number;
  /** Pure and deterministic: the same input gives the same result, in any order of its lists. */
  assess(input: RiskInput): RiskResult;
}

export function levelFor(thresholds: Thresholds, score: number): RiskLevel {
  if (score >= thresholds.RISK_LEVEL_CRITICAL) return 'RISK_LEVEL_CRITICAL';
  if (score >= thresholds.RISK_LEVEL_HIGH) return 'RISK_LEVEL_HIGH';
  if (score >= thresholds.RISK_LEVEL_MEDIUM) return 'RISK_LEVEL_MEDIUM';
  return 'RISK_LEVEL_LOW';
}

/** Rounded to hundredths before the level is read, so the level always agrees with the score. */
export function roundScore(raw: number): number {
  return Math.round(raw * 100) / 100;
}

/** Days from `occurredOn` to `assessedOn`; a date ahead (another time zone) is 0 days old. */
export function ageInDays(epochDayAssessed: number, epochDayOccurred: number): number {
  return Math.max(0, epochDayAssessed - epochDayOccurred);
}

/** Every version ever used, by name; the registry is only ever added to. */
export class MethodologyRegistry {
  readonly #versions: ReadonlyMap<string, Methodology>;
  readonly current: Methodology;

  constructor(versions: readonly Methodology[], current: Methodology) {
    this.#versions = new Map(versions.map((methodology) => [methodology.version, methodology]));
    if (this.#versions.get(current.version) !== current) {
      throw new Error('the current methodology must be one of the registered versions');
    }
    this.current = current;
  }

  get versions(): readonly string[] {
    return [...this.#versions.keys()];
  }

  /** The version that produced a stored assessment. */
  of(version: string): Methodology {
    const methodology = this.#versions.get(version);
    if (methodology === undefined) throw new NotFoundError('no such methodology version');
    return methodology;
  }
}
