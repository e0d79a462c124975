// What the bench submits: valid cases (services/gateway/src/demo.ts's shape), each for a distinct
// synthetic person, so that no submission is taken for another's duplicate.
import { randomUUID } from 'node:crypto';

let submitted = 0;

/** The body of POST /v1/cases for the n-th synthetic person: routed to the bench's provider. */
export function caseBody(): string {
  submitted += 1;
  const n = submitted;
  return JSON.stringify({
    defender: {
      fullName: `Bench Person ${n.toString(36)} Testcase`,
      phone: `+93 700 ${String(n % 1_000_000).padStart(6, '0')}`,
      place: `Testabad, Street ${n}`,
    },
    profile: 'PROFILE_JOURNALIST',
    gender: 'GENDER_WOMAN',
    province: 'AF-HER',
    outsideCapital: true,
    familyExposed: true,
    threats: [
      {
        kind: 'THREAT_KIND_SURVEILLANCE',
        occurredOn: new Date().toISOString().slice(0, 10),
        source: 'THREAT_SOURCE_ARMED_GROUP',
        objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
        feasibility: 'FEASIBILITY_MEDIUM',
        declared: false,
        narrative: 'Followed home after her reporting (synthetic).',
      },
    ],
    needs: ['NEED_RELOCATION_ABROAD'],
    consent: {
      grants: [
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
          fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
        },
      ],
      method: 'CONSENT_METHOD_IN_PERSON',
      obtainedAt: new Date().toISOString(),
    },
  });
}

export function submissionHeaders(ngoKey: string): Record<string, string> {
  return {
    authorization: `Bearer ${ngoKey}`,
    'content-type': 'application/json',
    'idempotency-key': `bench-${randomUUID()}`,
  };
}

/** One submission; resolves with the case id (undefined when the gateway refused it). */
export async function submitCase(api: string, ngoKey: string): Promise<string | undefined> {
  const response = await fetch(`${api}/v1/cases`, {
    method: 'POST',
    headers: submissionHeaders(ngoKey),
    body: caseBody(),
  });
  const json = (await response.json()) as { caseId?: string };
  return response.status === 201 ? json.caseId : undefined;
}

/** The referral ids of a case, as its NGO reads them. */
export async function referralsOf(api: string, ngoKey: string, caseId: string): Promise<string[]> {
  const response = await fetch(`${api}/v1/cases/${caseId}/referrals`, {
    headers: { authorization: `Bearer ${ngoKey}` },
  });
  if (response.status !== 200) return [];
  const json = (await response.json()) as { referrals?: { referralId: string }[] };
  return (json.referrals ?? []).map((referral) => referral.referralId);
}
