import type { Sample } from './measure.ts';
import type { Summary } from './stats.ts';

export type Backend = 'SQLite' | 'MongoDB wire (FerretDB)';

export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
}

export type RowStatus = 'measured' | 'failed' | 'skipped' | 'not applicable';

/** One system's figure: a rate per run, summarised. */
export interface Row {
  readonly backend: Backend;
  readonly figure: Figure;
  readonly system: string;
  readonly durability: string;
  readonly status: RowStatus;
  /** Units per second of each run, in run order (runs of different systems interleave). */
  readonly rates: readonly number[];
  readonly summary?: Summary;
  readonly samples: readonly Sample[];
  /** Failed or unsettled operations over all runs (concurrent measurements only). */
  readonly failures: number;
  readonly note?: string;
}

export interface RatioSpec {
  readonly backend: Backend;
  readonly figureId: string;
  readonly numerator: string;
  readonly denominator: string;
  /** `times`: 6.2×; `percent`: 48 %. */
  readonly style: 'times' | 'percent';
  /** A second figure for the denominator (e.g. raw rows/s in commits of 100). */
  readonly denominatorFigureId?: string;
}

export interface Ratio extends RatioSpec {
  readonly label: string;
  /** Median of the numerator over median of the denominator. */
  readonly value?: number;
  /** Range of the run-by-run ratios (run i of one against run i of the other). */
  readonly perRun?: Summary;
  readonly note?: string;
}

export interface Target {
  readonly id: string;
  readonly statement: string;
  readonly met?: boolean;
  readonly detail: string;
}
