/*
 * fast-check arbitraries of the methodology's input, for the property tests. Not a test itself:
 * imported by the *.unit.test.ts files beside it.
 */
import fc from 'fast-check';

import {
  ACTS,
  FEASIBILITIES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  THREAT_KINDS,
  THREAT_OBJECTIVES,
  THREAT_SOURCES,
  type Capacities,
  type CaseFacts,
  type IncidentFact,
  type ThreatFact,
  type Vulnerabilities,
} from '../vocabulary.ts';

export const TODAY = '2025-03-01';

/** A day from four years before TODAY to one day after it (another time zone). */
export const day = fc
  .integer({ min: -1, max: 1500 })
  .map((daysBack) =>
    new Date(Date.parse(`${TODAY}T00:00:00Z`) - daysBack * 86_400_000).toISOString().slice(0, 10),
  );

export const threat: fc.Arbitrary<ThreatFact> = fc.record({
  kind: fc.constantFrom(...THREAT_KINDS),
  occurredOn: day,
  source: fc.constantFrom(...THREAT_SOURCES),
  objective: fc.constantFrom(...THREAT_OBJECTIVES),
  feasibility: fc.constantFrom(...FEASIBILITIES),
  declared: fc.boolean(),
});

export const incident: fc.Arbitrary<IncidentFact> = fc.record({
  act: fc.constantFrom(...ACTS),
  perpetratorCategory: fc.constantFrom(...PERPETRATOR_CATEGORIES),
  occurredOn: day,
});

export const vulnerabilities: fc.Arbitrary<Vulnerabilities> = fc.record({
  minority: fc.boolean(),
  disability: fc.boolean(),
  publicVisibility: fc.boolean(),
});

export const capacities: fc.Arbitrary<Capacities> = fc.record({
  supportNetwork: fc.boolean(),
  relocationOptions: fc.boolean(),
  digitalSecurity: fc.boolean(),
});

export const facts: fc.Arbitrary<CaseFacts> = fc.record({
  profile: fc.constantFrom(...PROFILES),
  gender: fc.constantFrom(...GENDERS),
  outsideCapital: fc.boolean(),
  familyExposed: fc.boolean(),
  vulnerabilities,
  capacities,
  threats: fc.array(threat, { maxLength: 8 }),
});

export const incidents = fc.array(incident, { maxLength: 4 });

export const CAPACITY_NAMES = ['supportNetwork', 'relocationOptions', 'digitalSecurity'] as const;

/** Each turns one vulnerability on. */
export const VULNERABILITY_SWITCHES: readonly ((facts: CaseFacts) => CaseFacts)[] = [
  // Non-binary is a vulnerability of its own: becoming a woman adds nothing to it.
  (given) => (given.gender === 'GENDER_NON_BINARY' ? given : { ...given, gender: 'GENDER_WOMAN' }),
  (given) => ({ ...given, profile: 'PROFILE_WOMEN_RIGHTS_DEFENDER' }),
  (given) => ({ ...given, outsideCapital: true }),
  (given) => ({ ...given, familyExposed: true }),
  (given) => ({ ...given, vulnerabilities: { ...given.vulnerabilities, minority: true } }),
  (given) => ({ ...given, vulnerabilities: { ...given.vulnerabilities, disability: true } }),
  (given) => ({ ...given, vulnerabilities: { ...given.vulnerabilities, publicVisibility: true } }),
];
