import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { deadlinesOf, RESPONSE_TIME_MS, tightened } from './deadlines.ts';
import { FAILED, plan, route } from './routing.ts';
import type { CaseFacts, ExistingReferral, ProviderDescription } from './routing.ts';
import {
  DEADLINE_CLASSES,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  REFERRAL_STATUSES,
  RISK_LEVELS,
} from './vocabulary.ts';

const subset = <T>(values: readonly T[], minLength = 0) => fc.subarray([...values], { minLength });
const PROVINCES = ['AF-KAB', 'AF-HER', 'AF-BAL'] as const;

const caseFacts: fc.Arbitrary<CaseFacts> = fc.record({
  caseId: fc.constant('case-1'),
  organisationId: fc.constant('org-ngo'),
  needs: subset(NEEDS, 1),
  consent: fc.array(
    fc.record({
      recipientTypes: subset(RECIPIENT_TYPES),
      fieldGroups: subset(['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'] as const),
      providerIds: subset(['org-0', 'org-1', 'org-2']),
    }),
    { maxLength: 3 },
  ),
  level: fc.constantFrom(...RISK_LEVELS),
  deadlineClass: fc.constantFrom(...DEADLINE_CLASSES),
  profile: fc.constantFrom(...PROFILES),
  gender: fc.constantFrom(...GENDERS),
  province: fc.constantFrom(...PROVINCES),
});

const provider = (index: number): fc.Arbitrary<ProviderDescription> =>
  fc.record({
    providerId: fc.constant(`prov-${index}`),
    organisationId: fc.constant(`org-${index}`),
    type: fc.constantFrom(...RECIPIENT_TYPES),
    services: subset(NEEDS, 1),
    riskLevels: subset(RISK_LEVELS, 1),
    eligibility: fc.record({
      profiles: subset(PROFILES),
      provinces: subset(PROVINCES),
      genders: subset(GENDERS),
    }),
    genderSensitive: fc.boolean(),
    capacity: fc.nat(5),
    load: fc.nat(6),
    active: fc.boolean(),
  });

const directory = fc
  .integer({ min: 0, max: 8 })
  .chain((size) => fc.tuple(...Array.from({ length: size }, (_, index) => provider(index))));

const admits = (list: readonly string[], value: string | undefined) =>
  list.length === 0 || (value !== undefined && list.includes(value));

describe('routing ranks (properties)', () => {
  it('ranks only providers that every rule admits, and every one of them', () => {
    fc.assert(
      fc.property(caseFacts, directory, (facts, providers) => {
        const ranked = new Set(route(facts, providers).map((match) => match.providerId));
        for (const p of providers) {
          const consented = facts.consent.some(
            (grant) =>
              grant.fieldGroups.length > 0 &&
              (grant.recipientTypes.includes(p.type) ||
                grant.providerIds.includes(p.organisationId)),
          );
          const admitted =
            p.active !== false &&
            consented &&
            p.services.some((need) => facts.needs.includes(need)) &&
            p.riskLevels.includes(facts.level) &&
            admits(p.eligibility?.profiles ?? [], facts.profile) &&
            admits(p.eligibility?.provinces ?? [], facts.province) &&
            admits(p.eligibility?.genders ?? [], facts.gender) &&
            ((p.capacity ?? 0) === 0 || (p.load ?? 0) < (p.capacity ?? 0));
          expect(ranked.has(p.providerId)).toBe(admitted);
        }
      }),
    );
  });

  it('gives the same order whatever order the directory lists providers in', () => {
    fc.assert(
      fc.property(
        caseFacts,
        directory.chain((providers) =>
          fc.tuple(
            fc.constant(providers),
            fc.shuffledSubarray(providers, { minLength: providers.length }),
          ),
        ),
        (facts, [providers, shuffled]) => {
          expect(route(facts, shuffled)).toEqual(route(facts, providers));
        },
      ),
    );
  });

  it('never ranks a provider serving fewer of the needs above one serving more', () => {
    fc.assert(
      fc.property(caseFacts, directory, (facts, providers) => {
        const served = route(facts, providers).map((match) => match.needsServed.length);
        expect(served).toEqual([...served].sort((a, b) => b - a));
      }),
    );
  });

  it('ranks a provider with more places left no lower, all else equal', () => {
    fc.assert(
      fc.property(caseFacts, provider(0), fc.nat(3), (facts, base, extra) => {
        const tight = {
          ...base,
          providerId: 'prov-a',
          organisationId: 'org-a',
          capacity: 3,
          load: 2,
        };
        const roomy = {
          ...base,
          providerId: 'prov-b',
          organisationId: 'org-b',
          capacity: 4 + extra,
          load: 2,
        };
        const order = route(facts, [tight, roomy]).map((match) => match.providerId);
        if (order.length === 2) expect(order).toEqual(['prov-b', 'prov-a']);
      }),
    );
  });

  it('puts a gender-sensitive provider first for women and non-binary defenders, all else equal', () => {
    fc.assert(
      fc.property(caseFacts, provider(0), (facts, base) => {
        const plain = {
          ...base,
          providerId: 'prov-a',
          organisationId: 'org-a',
          genderSensitive: false,
        };
        const sensitive = {
          ...base,
          providerId: 'prov-b',
          organisationId: 'org-b',
          genderSensitive: true,
        };
        const order = route(facts, [plain, sensitive]).map((match) => match.providerId);
        if (order.length < 2) return;
        const first = ['GENDER_WOMAN', 'GENDER_NON_BINARY'].includes(facts.gender ?? '')
          ? 'prov-b'
          : 'prov-a';
        expect(order[0]).toBe(first);
      }),
    );
  });
});

describe('routing plan (properties)', () => {
  const existing = (providers: readonly ProviderDescription[]) =>
    fc.array(
      fc.record({
        index: fc.nat(Math.max(0, providers.length - 1)),
        status: fc.constantFrom(...REFERRAL_STATUSES),
      }),
      { maxLength: 4 },
    );

  it('never routes twice to one provider, covers each need at most once more, and only with a ranked match', () => {
    fc.assert(
      fc.property(
        caseFacts,
        directory.chain((providers) => fc.tuple(fc.constant(providers), existing(providers))),
        (facts, [providers, made]) => {
          const ranked = route(facts, providers);
          const referrals: ExistingReferral[] = made.flatMap(({ index, status }) => {
            const p = providers[index];
            return p === undefined
              ? []
              : [
                  {
                    providerOrganisationId: p.organisationId,
                    programmeId: '',
                    needsServed: p.services.filter((n) => facts.needs.includes(n)),
                    status,
                  },
                ];
          });
          const chosen = plan(facts, ranked, referrals);
          const tried = new Set(referrals.map((r) => r.providerOrganisationId));
          const keys = chosen.map((match) => match.providerOrganisationId);
          expect(new Set(keys).size).toBe(keys.length);
          for (const match of chosen) {
            expect(tried.has(match.providerOrganisationId)).toBe(false);
            expect(ranked).toContainEqual({ ...match, reasons: expect.any(Array) });
          }
          // A need a live or successful referral covers is not routed again.
          const covered = new Set(
            referrals
              .filter((r) => !FAILED.includes(r.status as never))
              .flatMap((r) => r.needsServed ?? []),
          );
          for (const match of chosen) {
            expect(match.needsServed.some((need) => !covered.has(need))).toBe(true);
          }
        },
      ),
    );
  });

  it('covers every need some match serves, starting with the best-ranked match for the first', () => {
    fc.assert(
      fc.property(caseFacts, directory, (facts, providers) => {
        const ranked = route(facts, providers);
        const chosen = plan(facts, ranked, []);
        const servable = NEEDS.filter(
          (need) => facts.needs.includes(need) && ranked.some((m) => m.needsServed.includes(need)),
        );
        const covered = new Set(chosen.flatMap((match) => match.needsServed));
        for (const need of servable) expect(covered.has(need)).toBe(true);
        const [first] = servable;
        if (first !== undefined) {
          expect(chosen[0]?.providerId).toBe(
            ranked.find((match) => match.needsServed.includes(first))?.providerId,
          );
        }
      }),
    );
  });
});

describe('deadlines (properties)', () => {
  const routedAt = fc
    .integer({ min: Date.parse('2024-01-01'), max: Date.parse('2030-01-01') })
    .map((ms) => new Date(ms).toISOString());
  const seconds = fc.nat(30 * 86_400);

  it('acknowledgement never later than the class allows, decision never before it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEADLINE_CLASSES),
        routedAt,
        seconds,
        seconds,
        (cls, at, ack, decide) => {
          const { acknowledgeBy, decideBy } = deadlinesOf(cls, at, ack, decide);
          const from = Date.parse(at);
          expect(Date.parse(acknowledgeBy) - from).toBeLessThanOrEqual(RESPONSE_TIME_MS[cls]);
          expect(Date.parse(acknowledgeBy)).toBeGreaterThan(from);
          expect(Date.parse(decideBy)).toBeGreaterThanOrEqual(Date.parse(acknowledgeBy));
          if (ack > 0 && ack * 1000 <= RESPONSE_TIME_MS[cls]) {
            expect(Date.parse(acknowledgeBy) - from).toBe(ack * 1000);
          }
        },
      ),
    );
  });

  it('tightening only ever brings deadlines forward, and is idempotent', () => {
    const deadlines = fc
      .tuple(fc.constantFrom(...DEADLINE_CLASSES), seconds, seconds)
      .map(([cls, ack, decide]) => deadlinesOf(cls, '2025-03-01T10:00:00Z', ack, decide));
    fc.assert(
      fc.property(deadlines, deadlines, (current, proposed) => {
        const next = tightened(current, proposed) ?? current;
        expect(Date.parse(next.acknowledgeBy)).toBeLessThanOrEqual(
          Date.parse(current.acknowledgeBy),
        );
        expect(Date.parse(next.decideBy)).toBeLessThanOrEqual(Date.parse(current.decideBy));
        expect(tightened(next, proposed)).toBeUndefined();
      }),
    );
  });

  it('a more urgent class never gives a later acknowledgement', () => {
    const order = [
      'DEADLINE_CLASS_NORMAL',
      'DEADLINE_CLASS_URGENT',
      'DEADLINE_CLASS_EMERGENCY',
      'DEADLINE_CLASS_CRITICAL',
    ] as const;
    fc.assert(
      fc.property(fc.nat(2), routedAt, (index, at) => {
        const lax = deadlinesOf(order[index]!, at, 0, 0);
        const strict = deadlinesOf(order[index + 1]!, at, 0, 0);
        expect(Date.parse(strict.acknowledgeBy)).toBeLessThan(Date.parse(lax.acknowledgeBy));
      }),
    );
  });
});
