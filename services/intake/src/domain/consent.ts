import {
  FIELD_GROUPS,
  type ConsentGrant,
  type FieldGroup,
  type RecipientType,
} from './vocabulary.ts';

/**
 * The field groups a case's consent lets a recipient type receive: the union over every grant
 * that lists the type, in protobuf order. Empty means no consent, so no referral.
 */
export function consentedFieldGroups(
  consent: readonly ConsentGrant[],
  recipientType: RecipientType,
): FieldGroup[] {
  const granted = new Set<FieldGroup>();
  for (const grant of consent) {
    if (grant.recipientTypes.includes(recipientType)) {
      for (const group of grant.fieldGroups) granted.add(group);
    }
  }
  return FIELD_GROUPS.filter((group) => granted.has(group));
}
