export { consentedFieldGroups } from '@aman/contracts/vocabulary';

import {
  RECIPIENT_TYPES,
  type ConsentGrant,
  type FieldGroup,
  type RecipientType,
} from './vocabulary.ts';

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
