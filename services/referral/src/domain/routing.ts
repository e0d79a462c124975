import { consentedFieldGroups, type ConsentGrant } from '@aman/contracts/vocabulary';

import { NEEDS } from './vocabulary.ts';
import type {
  DeadlineClass,
  FieldGroup,
  Gender,
  Need,
  Profile,
  RecipientType,
  ReferralStatus,
  RevocationReason,
  RiskLevel,
} from './vocabulary.ts';

export type { ConsentGrant } from '@aman/contracts/vocabulary';

/** Where a case stands: only an open case is routed; withdrawn and erased are for good. */
export type CaseStatus = 'open' | 'withdrawn' | 'erased';

/** What routing needs to know of a triaged case: no personal data. */
export type CaseFacts = {
  readonly caseId: string;
  /** The NGO that submitted the case. */
  readonly organisationId: string;
  readonly needs: readonly Need[];
  /** The consent as it now stands (the submission's, then each update's). */
  readonly consent: readonly ConsentGrant[];
  readonly level: RiskLevel;
  readonly deadlineClass: DeadlineClass;
  /** Who the defender is, as intake publishes it (no personal data); absent when not known. */
  readonly profile?: Profile;
  readonly gender?: Gender;
  /** ISO 3166-2 province code. */
  readonly province?: string;
};

/** Whom a provider or a programme takes beyond the risk level; an empty list means anyone. */
export type Eligibility = {
  readonly profiles: readonly Profile[];
  readonly provinces: readonly string[];
  readonly genders: readonly Gender[];
};

/** A programme a provider runs, as routing sees it. */
export type ProgrammeDescription = {
  readonly programmeId: string;
  readonly services: readonly Need[];
  /** Empty means any level. */
  readonly riskLevels: readonly RiskLevel[];
  readonly eligibility: Eligibility;
  readonly criteriaVersion: number;
  readonly open: boolean;
  /** Acceptances in all; 0 for no limit. */
  readonly quota: number;
  readonly placesTaken: number;
};

/** A provider as the directory describes it (ProviderRegistered's data fits). */
export type ProviderDescription = {
  readonly providerId: string;
  readonly organisationId: string;
  readonly type: RecipientType;
  readonly services: readonly Need[];
  readonly riskLevels: readonly RiskLevel[];
  /** Absent (directories before issue 9): anyone, no limit, active. */
  readonly eligibility?: Eligibility;
  readonly genderSensitive?: boolean;
  /** Referrals it works on at once; 0 for no limit. */
  readonly capacity?: number;
  /** Referrals it works on now (routed and not ended). */
  readonly load?: number;
  readonly active?: boolean;
  /** Set when this is one of the provider's programmes rather than the provider itself. */
  readonly programme?: ProgrammeDescription;
};

export type ProviderMatch = {
  readonly providerId: string;
  readonly providerOrganisationId: string;
  /** '' for the provider itself; otherwise the programme and the criteria version matched. */
  readonly programmeId: string;
  readonly criteriaVersion: number;
  readonly recipientType: RecipientType;
  /** The case's needs this provider serves, in vocabulary order. */
  readonly needsServed: readonly Need[];
  /** The field groups consent lets this provider receive, in vocabulary order. */
  readonly fieldGroups: readonly FieldGroup[];
  /** Why, in plain words: the needs it serves, the level it takes, the consent that covers it. */
  readonly reasons: readonly string[];
};

/** A provider as consent sees it: its directory id and its type. */
export type ConsentRecipient = Pick<ProviderDescription, 'organisationId' | 'type'>;

export { consentedFieldGroups };

/**
 * Why a provider may no longer have a case's referral, or undefined while it may: the case was
 * erased or withdrawn, or consent no longer lets it receive any field group. Losing some groups
 * but not all is not a revocation: intake leaves the lost groups out of the packet.
 */
export function revocationReason(
  caseStanding: { readonly status: CaseStatus; readonly consent: readonly ConsentGrant[] },
  recipient: ConsentRecipient,
): RevocationReason | undefined {
  if (caseStanding.status === 'erased') return 'case_erased';
  if (caseStanding.status === 'withdrawn') return 'case_withdrawn';
  return consentedFieldGroups(caseStanding.consent, recipient).length === 0
    ? 'consent_withdrawn'
    : undefined;
}

/** Genders for whom a gender-sensitive provider is ranked first. */
const GENDER_SENSITIVE_FOR: readonly Gender[] = ['GENDER_WOMAN', 'GENDER_NON_BINARY'];

function admits(list: readonly string[], value: string | undefined): boolean {
  return list.length === 0 || (value !== undefined && list.includes(value));
}

/** Places left: Infinity without a limit, never below 0. */
function spare(limit: number, used: number): number {
  return limit === 0 ? Number.POSITIVE_INFINITY : Math.max(0, limit - used);
}

/**
 * The providers and programmes a case may go to, best first, each with its reasons. One matches
 * when it is active, consent lets it (by its type, or by name) receive at least one field group,
 * it serves at least one of the case's needs, takes the case's risk level, profile, province and
 * gender, and has room (capacity; for a programme also open and quota not taken). Ranked by:
 * more of the case's needs served; gender-sensitive first for women and non-binary defenders;
 * a programme (made for such cases) before a general service; more of the provider's capacity
 * left (a programme's quota only admits or refuses); then by id, so that the same inputs always
 * give the same order.
 */
export function route(
  caseFacts: CaseFacts,
  providers: readonly ProviderDescription[],
): ProviderMatch[] {
  const ranked: { match: ProviderMatch; key: readonly (number | string)[] }[] = [];
  for (const provider of providers) {
    const programme = provider.programme;
    if (provider.active === false || (programme !== undefined && !programme.open)) continue;
    const fieldGroups = consentedFieldGroups(caseFacts.consent, provider);
    const services = programme?.services ?? provider.services;
    const needsServed = NEEDS.filter(
      (need) => caseFacts.needs.includes(need) && services.includes(need),
    );
    const levels = programme === undefined ? provider.riskLevels : programme.riskLevels;
    const takesLevel =
      levels.includes(caseFacts.level) || (programme !== undefined && levels.length === 0);
    const eligibility = programme?.eligibility ?? provider.eligibility;
    const eligible =
      eligibility === undefined ||
      (admits(eligibility.profiles, caseFacts.profile) &&
        admits(eligibility.provinces, caseFacts.province) &&
        admits(eligibility.genders, caseFacts.gender));
    const providerRoom = spare(provider.capacity ?? 0, provider.load ?? 0);
    const programmeRoom =
      programme === undefined
        ? Number.POSITIVE_INFINITY
        : spare(programme.quota, programme.placesTaken);
    const room = Math.min(providerRoom, programmeRoom);
    if (fieldGroups.length === 0 || needsServed.length === 0 || !takesLevel || !eligible) continue;
    if (room === 0) continue;
    const genderFirst =
      provider.genderSensitive === true &&
      caseFacts.gender !== undefined &&
      GENDER_SENSITIVE_FOR.includes(caseFacts.gender);
    const match: ProviderMatch = {
      providerId: provider.providerId,
      providerOrganisationId: provider.organisationId,
      programmeId: programme?.programmeId ?? '',
      criteriaVersion: programme?.criteriaVersion ?? 0,
      recipientType: provider.type,
      needsServed,
      fieldGroups,
      reasons: [
        ...(programme === undefined
          ? []
          : [`programme ${programme.programmeId}, criteria version ${programme.criteriaVersion}`]),
        ...needsServed.map((need) => `serves ${need}`),
        `takes ${caseFacts.level} cases`,
        ...(eligibility === undefined ? [] : eligibilityReasons(eligibility, caseFacts)),
        ...(genderFirst ? ['gender-sensitive'] : []),
        ...(room === Number.POSITIVE_INFINITY ? [] : [`${room} place(s) left`]),
        `consent covers ${coveredAs(caseFacts.consent, provider)}: ${fieldGroups.join(', ')}`,
      ],
    };
    ranked.push({
      match,
      key: [
        -needsServed.length,
        genderFirst ? 0 : 1,
        programme === undefined ? 1 : 0,
        -providerRoom,
        `${provider.providerId}/${programme?.programmeId ?? ''}`,
      ],
    });
  }
  return ranked.sort((a, b) => compareKeys(a.key, b.key)).map(({ match }) => match);
}

function eligibilityReasons(eligibility: Eligibility, caseFacts: CaseFacts): string[] {
  return [
    eligibility.profiles.length > 0 ? `takes ${caseFacts.profile ?? ''}` : '',
    eligibility.provinces.length > 0 ? `works in ${caseFacts.province ?? ''}` : '',
    eligibility.genders.length > 0 ? `takes ${caseFacts.gender ?? ''}` : '',
  ].filter((reason) => reason !== '');
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let index = 0; index < a.length; index += 1) {
    const x = a[index];
    const y = b[index];
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x < y ? -1 : 1;
    } else if (typeof x === 'string' && typeof y === 'string') {
      const order = compareCodeUnits(x, y);
      if (order !== 0) return order;
    }
  }
  return 0;
}

/** A referral a case already has, as routing needs to know it. */
export type ExistingReferral = {
  readonly providerOrganisationId: string;
  readonly programmeId: string;
  /** Absent for referrals indexed before issue 9: they covered every need. */
  readonly needsServed?: readonly Need[];
  readonly status: ReferralStatus | 'UNKNOWN';
};

/** The ends after which a need is no longer covered by that referral: the next provider is due. */
export const FAILED: readonly ReferralStatus[] = [
  'REFERRAL_STATUS_DECLINED',
  'REFERRAL_STATUS_EXPIRED',
  'REFERRAL_STATUS_REVOKED',
  'REFERRAL_STATUS_CLOSED',
];

/**
 * Which of the ranked matches to route now: for each need, in vocabulary order, that no live or
 * successful referral covers, the best-ranked match serving it that the case was never referred
 * to (one referral per case and provider or programme). A need whose referral was declined,
 * expired, closed or revoked escalates to the next in rank, and says so.
 */
export function plan(
  caseFacts: Pick<CaseFacts, 'needs'>,
  ranked: readonly ProviderMatch[],
  existing: readonly ExistingReferral[],
): ProviderMatch[] {
  const keyOf = (target: { providerOrganisationId: string; programmeId: string }) =>
    `${target.providerOrganisationId}/${target.programmeId}`;
  const tried = new Set(existing.map(keyOf));
  const covered = new Set<Need>();
  const failed = new Map<Need, ReferralStatus>();
  for (const referral of existing) {
    const needs = referral.needsServed ?? caseFacts.needs;
    for (const need of needs) {
      if (referral.status !== 'UNKNOWN' && FAILED.includes(referral.status)) {
        failed.set(need, referral.status);
      } else {
        covered.add(need);
      }
    }
  }
  const chosen: ProviderMatch[] = [];
  for (const need of NEEDS) {
    if (!caseFacts.needs.includes(need) || covered.has(need)) continue;
    const next = ranked.find(
      (match) => match.needsServed.includes(need) && !tried.has(keyOf(match)),
    );
    if (next === undefined) continue;
    tried.add(keyOf(next));
    for (const served of next.needsServed) covered.add(served);
    const escalations = next.needsServed.flatMap((served) => {
      const status = failed.get(served);
      return status === undefined ? [] : [`next in rank for ${served} after ${status}`];
    });
    chosen.push(
      escalations.length === 0 ? next : { ...next, reasons: [...next.reasons, ...escalations] },
    );
  }
  return chosen;
}

/** How consent reaches a provider, in words: through its type, by name, or both. */
function coveredAs(consent: readonly ConsentGrant[], provider: ConsentRecipient): string {
  const granting = consent.filter((grant) => grant.fieldGroups.length > 0);
  return [
    granting.some((grant) => grant.recipientTypes.includes(provider.type)) ? provider.type : '',
    granting.some((grant) => grant.providerIds.includes(provider.organisationId))
      ? 'this provider by name'
      : '',
  ]
    .filter((way) => way !== '')
    .join(' and ');
}

// Locale-independent, so the order is the same on every machine.
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
