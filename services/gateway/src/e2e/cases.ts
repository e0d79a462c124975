// Synthetic people and case submissions shared by the end-to-end and fault suites: never a real
// name from the context document.

/** A synthetic person: a name, a phone and a place numbered `n` (0–99). */
export const person = (name: string, n: number) => ({
  fullName: `${name} Testperson`,
  phone: `+93 700 555 1${String(n).padStart(2, '0')}`,
  place: `Testabad, Street ${String(n)}`,
});

/** A submission's threat, by how grave (aman-risk-v2): a low one alone triages LOW. */
export function threatOf(gravity: 'low' | 'moderate' | 'grave') {
  const today = new Date().toISOString().slice(0, 10);
  const threat = {
    low: {
      kind: 'THREAT_KIND_ONLINE_HARASSMENT',
      source: 'THREAT_SOURCE_UNIDENTIFIED',
      objective: 'THREAT_OBJECTIVE_UNCLEAR',
      feasibility: 'FEASIBILITY_LOW',
      declared: false,
    },
    moderate: {
      kind: 'THREAT_KIND_SURVEILLANCE',
      source: 'THREAT_SOURCE_CRIMINAL_GROUP',
      objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
      feasibility: 'FEASIBILITY_MEDIUM',
      declared: true,
    },
    grave: {
      kind: 'THREAT_KIND_DEATH_THREAT',
      source: 'THREAT_SOURCE_ARMED_GROUP',
      objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
      feasibility: 'FEASIBILITY_HIGH',
      declared: true,
    },
  }[gravity];
  return { ...threat, occurredOn: today, narrative: `A ${gravity} threat (synthetic).` };
}

/** A case for the referral journeys: one need, consent for the given recipient types. */
export function referralCase(
  defender: { fullName: string; phone: string; place: string },
  gravity: 'low' | 'moderate' | 'grave',
  needs: string[],
  recipientTypes: string[],
) {
  return {
    defender,
    profile: 'PROFILE_LAWYER',
    gender: 'GENDER_WOMAN',
    province: 'AF-BAL',
    outsideCapital: true,
    familyExposed: false,
    threats: gravity === 'grave' ? [threatOf('grave'), threatOf('grave')] : [threatOf(gravity)],
    needs,
    consent: {
      grants: [{ recipientTypes, fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'] }],
      method: 'CONSENT_METHOD_IN_PERSON',
      obtainedAt: new Date().toISOString(),
    },
  };
}
