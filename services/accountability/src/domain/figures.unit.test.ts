import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { impunityFigures, overdue, requirePeriod } from './figures.ts';
import type { IncidentForImpunity, InterventionForOverdue, Reached } from './figures.ts';
import { ACTS } from './vocabulary.ts';

const period = { from: '2025-01-01', to: '2025-12-31' };

describe('impunity figures', () => {
  it('counts each killing or attack in the period once, by how far it went', () => {
    const incidents: IncidentForImpunity[] = [
      { occurredOn: '2025-01-01', acts: ['ACT_KILLING'], reached: 3 },
      { occurredOn: '2025-02-01', acts: ['ACT_KILLING', 'ACT_ASSAULT'], reached: 1 },
      { occurredOn: '2025-03-01', acts: ['ACT_ASSAULT'], reached: 2 },
      { occurredOn: '2025-04-01', acts: ['ACT_ATTEMPTED_KILLING'], reached: 0 },
      { occurredOn: '2025-12-31', acts: ['ACT_KILLING'], reached: 0 },
      // Not counted: outside the period, or neither a killing nor an attack.
      { occurredOn: '2024-12-31', acts: ['ACT_KILLING'], reached: 3 },
      { occurredOn: '2026-01-01', acts: ['ACT_ASSAULT'], reached: 3 },
      { occurredOn: '2025-05-01', acts: ['ACT_DEATH_THREAT'], reached: 3 },
    ];
    expect(impunityFigures(incidents, period)).toEqual({
      killingsAndAttacks: {
        incidents: 5,
        identified: 3,
        charged: 2,
        tried: 1,
        identifiedShare: 0.6,
        chargedShare: 0.4,
        triedShare: 0.2,
      },
      killings: {
        incidents: 3,
        identified: 2,
        charged: 1,
        tried: 1,
        identifiedShare: 2 / 3,
        chargedShare: 1 / 3,
        triedShare: 1 / 3,
      },
    });
  });

  it('gives shares of 0 when nothing happened', () => {
    expect(impunityFigures([], period).killings).toEqual({
      incidents: 0,
      identified: 0,
      charged: 0,
      tried: 0,
      identifiedShare: 0,
      chargedShare: 0,
      triedShare: 0,
    });
  });

  it('refuses a period that ends before it starts, or is not made of dates', () => {
    expect(() => requirePeriod('2025-02-01', '2025-01-31')).toThrow('to must not be before from');
    expect(() => requirePeriod('last year', '2025-01-31')).toThrow('from');
  });

  const incident = fc.record({
    occurredOn: fc
      .integer({ min: Date.parse('2024-06-01'), max: Date.parse('2026-06-30') })
      .map((ms) => new Date(ms).toISOString().slice(0, 10)),
    acts: fc.uniqueArray(fc.constantFrom(...ACTS), { minLength: 1, maxLength: 4 }),
    reached: fc.constantFrom<Reached>(0, 1, 2, 3),
  });

  it('shares are ordered identified ≥ charged ≥ tried, in [0, 1], and equal count ÷ incidents (property)', () => {
    fc.assert(
      fc.property(fc.array(incident, { maxLength: 60 }), (incidents) => {
        const figures = impunityFigures(incidents, period);
        for (const f of [figures.killingsAndAttacks, figures.killings]) {
          expect(f.incidents).toBeGreaterThanOrEqual(f.identified);
          expect(f.identified).toBeGreaterThanOrEqual(f.charged);
          expect(f.charged).toBeGreaterThanOrEqual(f.tried);
          expect(f.tried).toBeGreaterThanOrEqual(0);
          const share = (n: number) => (f.incidents === 0 ? 0 : n / f.incidents);
          expect(f.identifiedShare).toBe(share(f.identified));
          expect(f.chargedShare).toBe(share(f.charged));
          expect(f.triedShare).toBe(share(f.tried));
        }
        expect(figures.killingsAndAttacks.incidents).toBeGreaterThanOrEqual(
          figures.killings.incidents,
        );
      }),
    );
  });

  it('splitting the period in two adds up (property)', () => {
    fc.assert(
      fc.property(fc.array(incident, { maxLength: 60 }), (incidents) => {
        const whole = impunityFigures(incidents, period).killingsAndAttacks;
        const first = impunityFigures(incidents, { from: '2025-01-01', to: '2025-06-30' });
        const second = impunityFigures(incidents, { from: '2025-07-01', to: '2025-12-31' });
        for (const key of ['incidents', 'identified', 'charged', 'tried'] as const) {
          expect(first.killingsAndAttacks[key] + second.killingsAndAttacks[key]).toBe(whole[key]);
        }
      }),
    );
  });

  it('an investigation going further never lowers a share (property)', () => {
    fc.assert(
      fc.property(fc.array(incident, { minLength: 1, maxLength: 40 }), fc.nat(), (incidents, n) => {
        const index = n % incidents.length;
        const before = impunityFigures(incidents, period).killingsAndAttacks;
        const further = incidents.map((known, i) =>
          i === index ? { ...known, reached: Math.min(3, known.reached + 1) as Reached } : known,
        );
        const after = impunityFigures(further, period).killingsAndAttacks;
        expect(after.identifiedShare).toBeGreaterThanOrEqual(before.identifiedShare);
        expect(after.chargedShare).toBeGreaterThanOrEqual(before.chargedShare);
        expect(after.triedShare).toBeGreaterThanOrEqual(before.triedShare);
      }),
    );
  });
});

describe('overdue interventions', () => {
  const base: InterventionForOverdue = {
    interventionId: 'a',
    incidentId: 'inc-1',
    type: 'INTERVENTION_TYPE_COMPLAINT',
    addressee: 'AUTHORITY_POLICE',
    sentAt: '2025-03-01T00:00:00.000Z',
    dueBy: '2025-03-15T00:00:00.000Z',
    firstResponse: null,
    closed: false,
  };
  const now = '2025-03-20T12:00:00.000Z';

  it('lists those past due with no response and not closed, most overdue first', () => {
    const list = overdue(
      [
        base,
        { ...base, interventionId: 'b', dueBy: '2025-03-10T00:00:00.000Z' },
        { ...base, interventionId: 'c', firstResponse: 'AUTHORITY_RESPONSE_TOKEN_RESPONSE' },
        { ...base, interventionId: 'd', closed: true },
        { ...base, interventionId: 'e', dueBy: now },
        { ...base, interventionId: 'f', dueBy: '2025-03-21T00:00:00.000Z' },
      ],
      now,
    );
    expect(list.map((item) => [item.interventionId, item.daysOverdue])).toEqual([
      ['b', 10],
      ['a', 5],
    ]);
  });

  const intervention = fc.record({
    interventionId: fc.uuid(),
    incidentId: fc.constant('inc-1'),
    type: fc.constant('INTERVENTION_TYPE_COMPLAINT' as const),
    addressee: fc.constant('AUTHORITY_POLICE' as const),
    sentAt: fc.constant('2025-01-01T00:00:00.000Z'),
    dueBy: fc
      .integer({ min: Date.parse('2025-01-01'), max: Date.parse('2025-12-31') })
      .map((ms) => new Date(ms).toISOString()),
    firstResponse: fc.constantFrom(null, 'AUTHORITY_RESPONSE_DENIED_EVENT' as const),
    closed: fc.boolean(),
  });
  const instant = fc
    .integer({ min: Date.parse('2025-01-01'), max: Date.parse('2026-01-31') })
    .map((ms) => new Date(ms).toISOString());

  it('lists exactly the awaiting ones past due, sorted, with whole days (property)', () => {
    fc.assert(
      fc.property(fc.array(intervention, { maxLength: 50 }), instant, (all, at) => {
        const list = overdue(all, at);
        const expected = all.filter(
          (i) => i.firstResponse === null && !i.closed && Date.parse(i.dueBy) < Date.parse(at),
        );
        expect(list).toHaveLength(expected.length);
        for (let i = 1; i < list.length; i += 1) {
          expect(Date.parse(list[i - 1]!.dueBy)).toBeLessThanOrEqual(Date.parse(list[i]!.dueBy));
          expect(list[i - 1]!.daysOverdue).toBeGreaterThanOrEqual(list[i]!.daysOverdue);
        }
        for (const item of list) {
          const late = Date.parse(at) - Date.parse(item.dueBy);
          expect(item.daysOverdue).toBe(Math.floor(late / 86_400_000));
        }
      }),
    );
  });

  it('a later clock never shortens the list (property)', () => {
    fc.assert(
      fc.property(fc.array(intervention, { maxLength: 50 }), instant, fc.nat(), (all, at, ms) => {
        const later = new Date(Date.parse(at) + ms).toISOString();
        expect(overdue(all, later).length).toBeGreaterThanOrEqual(overdue(all, at).length);
      }),
    );
  });
});
