import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { GENDERS, PROFILES } from '@aman/contracts/vocabulary';
import type { JsonObject } from '@aman/eventstore';

import {
  PUBLIC_TABLES,
  REFERRALS_BY_OUTCOME,
  UNSPECIFIED,
  cellOf,
  periodOf,
  periodsBetween,
  statisticsFacts,
  tableView,
  type StatisticsFact,
  type TableView,
} from './statistics.ts';
import { suppressRow, type PublishedRow } from './suppression.ts';

type Event = { id: string; type: string; data: JsonObject };

/** Folds events into the facts of every table, as the projection does (one per table and id). */
function factsOf(events: readonly Event[]): Map<string, StatisticsFact> {
  const facts = new Map<string, StatisticsFact>();
  for (const event of events) {
    const referralId = event.data['referralId'];
    const outcome =
      typeof referralId === 'string'
        ? facts.get(`${REFERRALS_BY_OUTCOME}:${referralId}`)
        : undefined;
    for (const fact of statisticsFacts(event, outcome)) facts.set(`${fact.table}:${fact.id}`, fact);
  }
  return facts;
}

function countsOf(facts: Map<string, StatisticsFact>, table: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const fact of facts.values()) {
    if (fact.table !== table || fact.period === '') continue;
    counts.set(cellOf(fact), (counts.get(cellOf(fact)) ?? 0) + 1);
  }
  return counts;
}

/**
 * What a reader learns of a row's suppressed cells from the row alone: they are non-negative and
 * hold the total less the published cells. A cell is derived when that leaves it one value.
 */
function derivable(row: PublishedRow): number[] {
  if (row.total === undefined) return [];
  const hidden = row.cells.flatMap((cell, index) => (cell === undefined ? [index] : []));
  const published = row.cells.reduce<number>((sum, cell) => sum + (cell ?? 0), 0);
  const held = row.total - published;
  // One unknown is the difference; several sharing nothing are all zero.
  return hidden.length === 1 || held === 0 ? hidden : [];
}

/** The properties every published row holds against the counts it was made from. */
function expectProtected(row: PublishedRow, counts: readonly number[], minCell: number): void {
  const total = counts.reduce((sum, count) => sum + count, 0);
  expect(row.cells).toHaveLength(counts.length);
  if (total < minCell) {
    expect(row.total).toBeUndefined();
    expect(row.cells.every((cell) => cell === undefined)).toBe(true);
    return;
  }
  expect(row.total).toBe(total);
  const hidden = counts.filter((_, index) => row.cells[index] === undefined);
  counts.forEach((count, index) => {
    const cell = row.cells[index];
    if (cell !== undefined) {
      // Published cells are the true counts, and never small.
      expect(cell).toBe(count);
      expect(cell).toBeGreaterThanOrEqual(minCell);
    }
  });
  // Never exactly one suppressed cell in a line, and what the suppressed cells share is not small.
  expect(hidden.length === 0 || hidden.length >= 2).toBe(true);
  if (hidden.length > 0) {
    expect(hidden.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(minCell);
  }
  expect(derivable(row)).toEqual([]);
}

describe('small-cell suppression of a row', () => {
  it('publishes a row with no small cell as it is', () => {
    expect(suppressRow([5, 7, 12], 5)).toEqual({ cells: [5, 7, 12], total: 24 });
  });

  it('suppresses a second cell, the smallest, when one alone would be the total less the rest', () => {
    expect(suppressRow([1, 9, 6, 20], 5)).toEqual({
      cells: [undefined, 9, undefined, 20],
      total: 36,
    });
  });

  it('suppresses zeros too, and more cells until the suppressed ones hold at least k', () => {
    // A published zero would tell a reader each other suppressed cell holds someone: (1, 1, 10)
    // with zeros published and k = 5 would give two suppressed cells of exactly one each.
    expect(suppressRow([1, 1, 0, 10, 12], 5)).toEqual({
      cells: [undefined, undefined, undefined, undefined, 12],
      total: 24,
    });
  });

  it('suppresses a whole row whose total is small', () => {
    expect(suppressRow([2, 0, 1], 5)).toEqual({
      cells: [undefined, undefined, undefined],
      total: undefined,
    });
  });

  it('holds for any row and any k: no suppressed cell follows from the total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (counts, minCell) => {
          expectProtected(suppressRow(counts, minCell), counts, minCell);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

const month = fc.constantFrom('2026-01', '2026-02', '2026-03');
const day = fc.integer({ min: 1, max: 28 }).map((d) => String(d).padStart(2, '0'));
const province = fc.constantFrom('AF-KAB', 'AF-HER', 'AF-BAL', 'AF-KDH');

/** A synthetic history: cases, incidents against some of them, referrals and their outcomes. */
const history = fc
  .array(
    fc.record({
      profile: fc.constantFrom(...PROFILES),
      gender: fc.constantFrom(...GENDERS),
      province,
      month,
      day,
      threats: fc.array(fc.constantFrom('THREAT_KIND_DEATH_THREAT', 'THREAT_KIND_SURVEILLANCE'), {
        maxLength: 2,
      }),
      incident: fc.option(
        fc.record({
          act: fc.constantFrom('ACT_KILLING', 'ACT_DEATH_THREAT', 'ACT_ABDUCTION'),
          perpetrator: fc.constantFrom(
            'PERPETRATOR_CATEGORY_STATE',
            'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
          ),
          month,
        }),
      ),
      referral: fc.option(
        fc.constantFrom(
          'REFERRAL_STATUS_ACCEPTED',
          'REFERRAL_STATUS_DECLINED',
          'REFERRAL_STATUS_COMPLETED',
          'REFERRAL_STATUS_EXPIRED',
        ),
      ),
    }),
    { maxLength: 80 },
  )
  .map((cases) =>
    cases.flatMap((item, index): Event[] => {
      const caseId = `case-${index}`;
      const at = `${item.month}-${item.day}T10:00:00.000Z`;
      const events: Event[] = [
        {
          id: `e-${index}-1`,
          type: 'CaseSubmitted',
          data: {
            caseId,
            organisationId: 'org-ngo',
            profile: item.profile,
            gender: item.gender,
            province: item.province,
            threats: item.threats.map((kind) => ({ kind, occurredOn: `${item.month}-01` })),
            submittedAt: at,
          },
        },
      ];
      if (item.incident !== null) {
        events.push({
          id: `e-${index}-2`,
          type: 'IncidentRecorded',
          data: {
            incidentId: `inc-${index}`,
            caseId,
            act: item.incident.act,
            occurredOn: `${item.incident.month}-${item.day}`,
            province: item.province,
            perpetratorCategory: item.incident.perpetrator,
            recordedAt: at,
          },
        });
      }
      if (item.referral !== null) {
        const referral = { referralId: `ref-${index}`, caseId };
        events.push(
          {
            id: `e-${index}-3`,
            type: 'ReferralRouted',
            data: { ...referral, recipientType: 'RECIPIENT_TYPE_EMBASSY', routedAt: at },
          },
          {
            id: `e-${index}-4`,
            type: 'ReferralStatusChanged',
            data: { ...referral, status: item.referral, changedAt: at },
          },
        );
      }
      return events;
    }),
  );

describe('published statistics over synthetic histories', () => {
  const periods = periodsBetween('2026-01', '2026-03');

  it('never publish a cell below k or one a reader can derive, and agree with each other', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 2, max: 8 }), (events, minCell) => {
        const facts = factsOf(events);
        const tables = new Map<string, TableView>();
        for (const spec of PUBLIC_TABLES) {
          const counts = countsOf(facts, spec.name);
          const table = tableView(spec, counts, periods, minCell);
          tables.set(spec.name, table);
          for (const row of table.rows) {
            const truth = table.categories.map(
              (category) => counts.get(cellOf({ period: row.period, category })) ?? 0,
            );
            expectProtected(row, truth, minCell);
          }
        }
        // The three tables of cases count one population: the same totals, suppressed alike, so
        // that no table's total gives away another's suppressed one.
        const totals = (name: string) => tables.get(name)?.rows.map((row) => row.total);
        expect(totals('cases_by_gender')).toEqual(totals('cases_by_profile'));
        expect(totals('cases_by_province')).toEqual(totals('cases_by_profile'));
        // Every case counted once, in its month.
        const submitted = events.filter((event) => event.type === 'CaseSubmitted').length;
        const byProfile = PUBLIC_TABLES.find((spec) => spec.name === 'cases_by_profile');
        if (byProfile === undefined) throw new Error('no table of cases by profile');
        const all = tableView(byProfile, countsOf(facts, byProfile.name), periods, undefined);
        expect(all.rows.reduce((sum, row) => sum + (row.total ?? 0), 0)).toBe(submitted);
      }),
      { numRuns: 300 },
    );
  });
});

describe('statistics facts', () => {
  it('count incidents in the month they occurred, and a referral at its furthest status in the month it was routed', () => {
    const facts = factsOf([
      {
        id: 'e1',
        type: 'IncidentRecorded',
        data: {
          incidentId: 'inc-1',
          caseId: 'case-1',
          act: 'ACT_KILLING',
          occurredOn: '2026-01-31',
          province: 'AF-HER',
          perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
          sourceType: 'SOURCE_TYPE_MEDIA',
          recordedAt: '2026-02-02T08:00:00.000Z',
        },
      },
      {
        id: 'e2',
        type: 'ReferralRouted',
        data: { referralId: 'ref-1', routedAt: '2026-02-28T23:59:59.999Z' },
      },
      {
        id: 'e3',
        type: 'ReferralStatusChanged',
        data: { referralId: 'ref-1', status: 'REFERRAL_STATUS_COMPLETED' },
      },
      {
        id: 'e4',
        type: 'ReferralStatusChanged',
        data: { referralId: 'ref-1', status: 'REFERRAL_STATUS_ACCEPTED' },
      },
    ]);
    expect([...facts.values()]).toEqual([
      { id: 'inc-1/case-1', table: 'incidents_by_act', period: '2026-01', category: 'ACT_KILLING' },
      {
        id: 'inc-1/case-1',
        table: 'incidents_by_perpetrator_category',
        period: '2026-01',
        category: 'PERPETRATOR_CATEGORY_UNKNOWN',
      },
      { id: 'inc-1/case-1', table: 'incidents_by_province', period: '2026-01', category: 'AF-HER' },
      {
        id: 'inc-1/case-1',
        table: 'incidents_by_source_type',
        period: '2026-01',
        category: 'SOURCE_TYPE_MEDIA',
      },
      {
        id: 'ref-1',
        table: 'referrals_by_outcome',
        period: '2026-02',
        category: 'REFERRAL_STATUS_COMPLETED',
      },
      {
        id: 'ref-1',
        table: 'referrals_by_recipient_type',
        period: '2026-02',
        category: UNSPECIFIED,
      },
    ]);
  });

  it('let nothing but a known code reach a table: free text and unknown values are unspecified', () => {
    const facts = statisticsFacts({
      id: 'e1',
      type: 'CaseSubmitted',
      data: {
        caseId: 'case-1',
        profile: 'Synthetic Name, journalist in Herat',
        gender: 'GENDER_WOMAN',
        province: 'near the old bazaar',
        threats: [{ kind: 'THREAT_KIND_DEATH_THREAT' }, 'not a threat'],
        submittedAt: '2026-03-01T00:00:00.000Z',
      },
    });
    expect(facts.map((fact) => [fact.table, fact.category])).toEqual([
      ['cases_by_profile', UNSPECIFIED],
      ['cases_by_gender', 'GENDER_WOMAN'],
      ['cases_by_province', UNSPECIFIED],
      ['threats_by_kind', 'THREAT_KIND_DEATH_THREAT'],
      ['threats_by_kind', UNSPECIFIED],
    ]);
    expect(facts.every((fact) => fact.period === '2026-03')).toBe(true);
  });

  it('reads months from times and dates, and lists the months of a range', () => {
    expect(periodOf('2026-12-31T23:30:00.000-02:00')).toBe('2027-01');
    expect(periodOf('2026-07-04')).toBe('2026-07');
    expect(periodOf('yesterday')).toBe('');
    expect(periodsBetween('2025-11', '2026-02')).toEqual([
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ]);
    expect(periodsBetween('2026-02', '2026-01')).toEqual([]);
  });
});
