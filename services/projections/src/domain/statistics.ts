import {
  ACTS,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RECIPIENT_TYPES,
  THREAT_KINDS,
} from '@aman/contracts/vocabulary';

import type { JsonObject } from '@aman/eventstore';

import { instantOf, textOf, type ViewEvent } from './events.ts';
import { suppressRow, type Published } from './suppression.ts';
import { REFERRAL_STATUSES, ROUTED, furtherStatus } from './stages.ts';

/** The category of a value no table names (an unset enum, an unknown value). */
export const UNSPECIFIED = 'UNSPECIFIED';

/**
 * A table of counts: one row per calendar month, one column per category of a single dimension.
 * `categories` is the fixed list of columns, or 'observed' when the vocabulary is open (provinces):
 * then the columns are every category ever counted, whatever period is asked for.
 */
export interface TableSpec {
  readonly name: string;
  /** What one count is, in words the table's readers use. */
  readonly counts: string;
  readonly dimension: string;
  readonly categories: readonly string[] | 'observed';
}

const withUnspecified = (values: readonly string[]): readonly string[] => [...values, UNSPECIFIED];

const CASES_BY = {
  profile: 'cases_by_profile',
  gender: 'cases_by_gender',
  province: 'cases_by_province',
} as const;

const INCIDENTS_BY = {
  act: 'incidents_by_act',
  perpetratorCategory: 'incidents_by_perpetrator_category',
  province: 'incidents_by_province',
  sourceType: 'incidents_by_source_type',
} as const;

/** The table whose facts change: a referral's furthest status. */
export const REFERRALS_BY_OUTCOME = 'referrals_by_outcome';

/** One count per incident and defender (case) it was recorded against, as accountability publishes them. */
const INCIDENT_COUNT = 'incidents against defenders (one per incident and case)';

/** The tables anyone may read, suppressed. No table has a free-text dimension. */
export const PUBLIC_TABLES: readonly TableSpec[] = [
  {
    name: CASES_BY.profile,
    counts: 'cases submitted',
    dimension: 'profile',
    categories: withUnspecified(PROFILES),
  },
  {
    name: CASES_BY.gender,
    counts: 'cases submitted',
    dimension: 'gender',
    categories: withUnspecified(GENDERS),
  },
  {
    name: CASES_BY.province,
    counts: 'cases submitted',
    dimension: 'province',
    categories: 'observed',
  },
  {
    name: 'threats_by_kind',
    counts: 'threats reported (at submission or later)',
    dimension: 'threat_kind',
    categories: withUnspecified(THREAT_KINDS),
  },
  {
    name: INCIDENTS_BY.act,
    counts: INCIDENT_COUNT,
    dimension: 'act',
    categories: withUnspecified(ACTS),
  },
  {
    name: INCIDENTS_BY.perpetratorCategory,
    counts: INCIDENT_COUNT,
    dimension: 'perpetrator_category',
    categories: withUnspecified(PERPETRATOR_CATEGORIES),
  },
  {
    name: INCIDENTS_BY.province,
    counts: INCIDENT_COUNT,
    dimension: 'province',
    categories: 'observed',
  },
  {
    name: REFERRALS_BY_OUTCOME,
    counts: 'referrals routed, by the furthest status reached',
    dimension: 'referral_outcome',
    categories: withUnspecified(REFERRAL_STATUSES),
  },
  {
    name: 'referrals_by_recipient_type',
    counts: 'referrals routed',
    dimension: 'recipient_type',
    categories: withUnspecified(RECIPIENT_TYPES),
  },
];

/** The monitor's incident tables: not suppressed (a monitor is entitled to them). */
export const MONITOR_TABLES: readonly TableSpec[] = [
  ...PUBLIC_TABLES.filter((table) =>
    Object.values(INCIDENTS_BY).some((name) => name === table.name),
  ),
  {
    name: INCIDENTS_BY.sourceType,
    counts: INCIDENT_COUNT,
    dimension: 'source_type',
    categories: 'observed',
  },
];

/** Every table facts are kept for. */
export const STATISTICS_TABLES: readonly TableSpec[] = [
  ...PUBLIC_TABLES,
  ...MONITOR_TABLES.filter((table) => !PUBLIC_TABLES.includes(table)),
];

/** The events statistics are counted from: each carries only codes and times, no free text. */
export const STATISTICS_EVENTS = [
  'CaseSubmitted',
  'ThreatReported',
  'IncidentRecorded',
  'ReferralRouted',
  'ReferralStatusChanged',
] as const;

/** One thing counted in one table: in the cell of its period and category. */
export type StatisticsFact = {
  /** Unique per table: what is counted (a case, a threat, an incident and case, a referral). */
  readonly id: string;
  readonly table: string;
  /** YYYY-MM; '' while unknown (a referral's status before its routing): counted nowhere yet. */
  readonly period: string;
  readonly category: string;
};

/** A calendar month, YYYY-MM. */
export const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The calendar month (UTC) of an ISO 8601 time or date, '' when it is not one. */
export function periodOf(time: string): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(time) ? `${time}T00:00:00.000Z` : time;
  const parsed = new Date(date);
  return time === '' || Number.isNaN(parsed.getTime()) ? '' : parsed.toISOString().slice(0, 7);
}

/** A value of a closed vocabulary, or UNSPECIFIED: nothing else ever reaches a table. */
function oneOf(values: readonly string[], value: string): string {
  return values.includes(value) ? value : UNSPECIFIED;
}

/** An ISO 3166-2 subdivision code such as AF-KAB, or UNSPECIFIED. */
function provinceOf(value: string): string {
  return /^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(value) ? value : UNSPECIFIED;
}

const sourceTypeOf = (value: string): string =>
  /^SOURCE_TYPE_[A-Z_]{1,40}$/.test(value) && value !== 'SOURCE_TYPE_UNSPECIFIED'
    ? value
    : UNSPECIFIED;

function threatKindsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((threat: unknown) =>
    threat !== null && typeof threat === 'object' && !Array.isArray(threat)
      ? oneOf(THREAT_KINDS, textOf(threat as JsonObject, 'kind'))
      : UNSPECIFIED,
  );
}

/**
 * The facts an event adds. A referral's outcome moves forward, so its event is given the outcome
 * already counted (`outcomeBefore`); everything else is counted once, when it happens. Statistics
 * ignore erasure and withdrawal: a count carries no personal data, and an erased case still
 * happened.
 */
export function statisticsFacts(
  event: ViewEvent & { readonly id: string },
  outcomeBefore?: StatisticsFact,
): StatisticsFact[] {
  const data = event.data;
  switch (event.type) {
    case 'CaseSubmitted': {
      const caseId = textOf(data, 'caseId');
      if (caseId === '') return [];
      const period = periodOf(instantOf(data, 'submittedAt'));
      return [
        fact(caseId, CASES_BY.profile, period, oneOf(PROFILES, textOf(data, 'profile'))),
        fact(caseId, CASES_BY.gender, period, oneOf(GENDERS, textOf(data, 'gender'))),
        fact(caseId, CASES_BY.province, period, provinceOf(textOf(data, 'province'))),
        ...threatKindsOf(data['threats']).map((kind, index) =>
          fact(`${caseId}#${index}`, 'threats_by_kind', period, kind),
        ),
      ];
    }
    case 'ThreatReported': {
      const caseId = textOf(data, 'caseId');
      if (caseId === '') return [];
      const period = periodOf(instantOf(data, 'reportedAt'));
      const [kind] = threatKindsOf([data['threat'] ?? null]);
      return [fact(`${caseId}@${event.id}`, 'threats_by_kind', period, kind ?? UNSPECIFIED)];
    }
    case 'IncidentRecorded': {
      const incidentId = textOf(data, 'incidentId');
      if (incidentId === '') return [];
      const id = `${incidentId}/${textOf(data, 'caseId')}`;
      // When it happened, not when it was recorded; the recording time if the date is missing.
      const period =
        periodOf(textOf(data, 'occurredOn')) || periodOf(instantOf(data, 'recordedAt'));
      return [
        fact(id, INCIDENTS_BY.act, period, oneOf(ACTS, textOf(data, 'act'))),
        fact(
          id,
          INCIDENTS_BY.perpetratorCategory,
          period,
          oneOf(PERPETRATOR_CATEGORIES, textOf(data, 'perpetratorCategory')),
        ),
        fact(id, INCIDENTS_BY.province, period, provinceOf(textOf(data, 'province'))),
        fact(id, INCIDENTS_BY.sourceType, period, sourceTypeOf(textOf(data, 'sourceType'))),
      ];
    }
    case 'ReferralRouted':
    case 'ReferralStatusChanged': {
      const referralId = textOf(data, 'referralId');
      if (referralId === '') return [];
      const before = outcomeBefore;
      const routed = event.type === 'ReferralRouted';
      const period = routed ? periodOf(instantOf(data, 'routedAt')) : (before?.period ?? '');
      const status = furtherStatus(
        before?.category ?? ROUTED,
        routed ? ROUTED : textOf(data, 'status'),
      );
      const outcome = fact(referralId, REFERRALS_BY_OUTCOME, period, status);
      if (!routed) return [outcome];
      return [
        outcome,
        fact(
          referralId,
          'referrals_by_recipient_type',
          period,
          oneOf(RECIPIENT_TYPES, textOf(data, 'recipientType')),
        ),
      ];
    }
    default:
      return [];
  }
}

function fact(id: string, table: string, period: string, category: string): StatisticsFact {
  return { id, table, period, category };
}

/** Every month from `from` to `to` (YYYY-MM, inclusive). */
export function periodsBetween(from: string, to: string): string[] {
  const periods: string[] = [];
  let [year, month] = from.split('-').map(Number) as [number, number];
  for (let period = from; period <= to;) {
    periods.push(period);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
    period = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
  }
  return periods;
}

/** A table as published: its columns, and one row per period asked for. */
export interface TableView {
  readonly name: string;
  readonly counts: string;
  readonly dimension: string;
  readonly categories: readonly string[];
  readonly rows: readonly {
    readonly period: string;
    readonly cells: readonly Published[];
    readonly total: Published;
  }[];
}

/** Where a fact is counted: its table's cell key. */
export const cellOf = (fact: Pick<StatisticsFact, 'period' | 'category'>): string =>
  `${fact.period}|${fact.category}`;

/**
 * A table from its cell counts (keyed by `cellOf`, over every period), with a row for each of
 * `periods` — an empty month is a row of zeros, not a missing one. Suppressed below `minCell`
 * (see suppressRow); not suppressed when `minCell` is undefined.
 */
export function tableView(
  spec: TableSpec,
  counts: ReadonlyMap<string, number>,
  periods: readonly string[],
  minCell: number | undefined,
): TableView {
  const categories =
    spec.categories === 'observed'
      ? [...new Set([...counts.keys()].map((cell) => cell.slice(cell.indexOf('|') + 1)))].sort(
          (a, b) => Number(a === UNSPECIFIED) - Number(b === UNSPECIFIED) || a.localeCompare(b),
        )
      : spec.categories;
  return {
    name: spec.name,
    counts: spec.counts,
    dimension: spec.dimension,
    categories,
    rows: periods.map((period) => {
      const row = categories.map((category) => counts.get(cellOf({ period, category })) ?? 0);
      if (minCell !== undefined) return { period, ...suppressRow(row, minCell) };
      return { period, cells: row, total: row.reduce((sum, count) => sum + count, 0) };
    }),
  };
}
