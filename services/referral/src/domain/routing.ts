import { requireOneOf, requireTimestamp } from './validation.ts';
import { DEADLINE_CLASSES, FIELD_GROUPS, NEEDS } from './vocabulary.ts';
import type {
  DeadlineClass,
  FieldGroup,
  Need,
  RecipientType,
  RevocationReason,
  RiskLevel,
} from './vocabulary.ts';

/**
 * A consent grant of a case: every provider of these recipient types, and these providers by
 * their directory id whatever their type, may receive these field groups.
 */
export type ConsentGrant = {
  readonly recipientTypes: readonly RecipientType[];
  readonly fieldGroups: readonly FieldGroup[];
  readonly providerIds: readonly string[];
};

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
};

/** A provider as the directory describes it (ProviderRegistered's data fits). */
export type ProviderDescription = {
  readonly providerId: string;
  readonly organisationId: string;
  readonly type: RecipientType;
  readonly services: readonly Need[];
  readonly riskLevels: readonly RiskLevel[];
};

export type ProviderMatch = {
  readonly providerId: string;
  readonly providerOrganisationId: string;
  readonly recipientType: RecipientType;
  /** The case's needs this provider serves, in vocabulary order. */
  readonly needsServed: readonly Need[];
  /** The field groups consent lets this provider receive, in vocabulary order. */
  readonly fieldGroups: readonly FieldGroup[];
  /** Why, in plain words: the needs it serves, the level it takes, the consent that covers it. */
  readonly reasons: readonly string[];
};

/** A provider as consent sees it: its directory id and its type. */
export type ConsentRecipient = Pick<ProviderDescription, 'providerId' | 'type'>;

function grantCovers(grant: ConsentGrant, recipient: ConsentRecipient): boolean {
  return (
    grant.recipientTypes.includes(recipient.type) ||
    grant.providerIds.includes(recipient.providerId)
  );
}

/**
 * The field groups consent lets a provider receive: the union over every grant that lists its
 * type or names it, in vocabulary order. Empty means no consent, so no referral.
 */
export function consentedFieldGroups(
  consent: readonly ConsentGrant[],
  recipient: ConsentRecipient,
): FieldGroup[] {
  return FIELD_GROUPS.filter((group) =>
    consent.some((grant) => grantCovers(grant, recipient) && grant.fieldGroups.includes(group)),
  );
}

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

/**
 * The providers a case may go to, best first. A provider matches when consent lets it (by its
 * type, or by name) receive at least one field group (no consent, no referral), it serves at
 * least one of the case's needs, and it takes cases of the case's risk level. More needs served
 * ranks higher; ties go by provider id so that the same inputs always give the same order.
 */
export function route(
  caseFacts: CaseFacts,
  providers: readonly ProviderDescription[],
): ProviderMatch[] {
  const matches: ProviderMatch[] = [];
  for (const provider of providers) {
    const fieldGroups = consentedFieldGroups(caseFacts.consent, provider);
    const needsServed = NEEDS.filter(
      (need) => caseFacts.needs.includes(need) && provider.services.includes(need),
    );
    const takesLevel = provider.riskLevels.includes(caseFacts.level);
    if (fieldGroups.length === 0 || needsServed.length === 0 || !takesLevel) continue;
    matches.push({
      providerId: provider.providerId,
      providerOrganisationId: provider.organisationId,
      recipientType: provider.type,
      needsServed,
      fieldGroups,
      reasons: [
        ...needsServed.map((need) => `serves ${need}`),
        `takes ${caseFacts.level} cases`,
        `consent covers ${coveredAs(caseFacts.consent, provider)}: ${fieldGroups.join(', ')}`,
      ],
    });
  }
  return matches.sort(
    (a, b) =>
      b.needsServed.length - a.needsServed.length || compareCodeUnits(a.providerId, b.providerId),
  );
}

/** How consent reaches a provider, in words: through its type, by name, or both. */
function coveredAs(consent: readonly ConsentGrant[], provider: ConsentRecipient): string {
  const granting = consent.filter((grant) => grant.fieldGroups.length > 0);
  return [
    granting.some((grant) => grant.recipientTypes.includes(provider.type)) ? provider.type : '',
    granting.some((grant) => grant.providerIds.includes(provider.providerId))
      ? 'this provider by name'
      : '',
  ]
    .filter((way) => way !== '')
    .join(' and ');
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * How long a provider has to respond (DESIGN §4: inter-agency referral standard, tighter for
 * critical risk).
 */
export const RESPONSE_TIME_MS: Readonly<Record<DeadlineClass, number>> = {
  DEADLINE_CLASS_CRITICAL: 4 * HOUR_MS,
  DEADLINE_CLASS_EMERGENCY: 24 * HOUR_MS,
  DEADLINE_CLASS_URGENT: 72 * HOUR_MS,
  DEADLINE_CLASS_NORMAL: 14 * 24 * HOUR_MS,
};

/** When a referral routed at `routedAt` must be answered, as protobuf JSON (UTC ISO-8601). */
export function respondBy(deadlineClass: DeadlineClass, routedAt: string): string {
  const deadline = requireOneOf(deadlineClass, DEADLINE_CLASSES, 'deadlineClass');
  const from = Date.parse(requireTimestamp(routedAt, 'routedAt'));
  return new Date(from + RESPONSE_TIME_MS[deadline]).toISOString();
}

// Locale-independent, so the order is the same on every machine.
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
