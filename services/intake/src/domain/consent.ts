import {
  FIELD_GROUPS,
  RECIPIENT_TYPES,
  type ConsentGrant,
  type FieldGroup,
  type RecipientType,
} from './vocabulary.ts';

/**
 * The field groups a case's consent lets one recipient receive: the union over every grant that
 * lists its type or names it, in protobuf order. Empty means no consent, so no referral.
 */
export function consentedFieldGroups(
  grants: readonly ConsentGrant[],
  recipientType: RecipientType,
  providerId?: string,
): FieldGroup[] {
  const granted = new Set<FieldGroup>();
  for (const grant of grants) {
    const named = providerId !== undefined && grant.providerIds.includes(providerId);
    if (named || grant.recipientTypes.includes(recipientType)) {
      for (const group of grant.fieldGroups) granted.add(group);
    }
  }
  return FIELD_GROUPS.filter((group) => granted.has(group));
}

/** The groups granted to a named provider by name alone (not through its type). */
function namedGroups(grants: readonly ConsentGrant[], providerId: string): Set<FieldGroup> {
  return new Set(
    grants.flatMap((grant) => (grant.providerIds.includes(providerId) ? grant.fieldGroups : [])),
  );
}

function typeGroups(grants: readonly ConsentGrant[], type: RecipientType): Set<FieldGroup> {
  return new Set(
    grants.flatMap((grant) => (grant.recipientTypes.includes(type) ? grant.fieldGroups : [])),
  );
}

function shrinks(before: Set<FieldGroup>, after: Set<FieldGroup>): boolean {
  return [...before].some((group) => !after.has(group));
}

/**
 * True when some recipient loses some field group: a type's grants shrink, or a named provider's
 * grants by name shrink. Conservative for named providers (a grant to their type may still cover
 * what their name lost): referral, which knows each provider's type, decides who lost access.
 */
export function consentNarrowed(
  before: readonly ConsentGrant[],
  after: readonly ConsentGrant[],
): boolean {
  if (RECIPIENT_TYPES.some((type) => shrinks(typeGroups(before, type), typeGroups(after, type)))) {
    return true;
  }
  const named = new Set(before.flatMap((grant) => grant.providerIds));
  return [...named].some((id) => shrinks(namedGroups(before, id), namedGroups(after, id)));
}
