import { NotFoundError } from '@aman/errors';

import type { CaseState } from './caseDecider.ts';
import type { FieldGroup, Need, Profile } from './vocabulary.ts';

/**
 * What a recipient receives for the field groups released to it, still sealed: the application
 * opens the sealed values with the case's data key. A group that was not released is absent
 * (undefined, or an empty list), never sent empty-but-present.
 */
export type SealedReferralPacket = {
  readonly caseId: string;
  readonly fieldGroups: readonly FieldGroup[];
  readonly dataKeyId: string;
  /** Not personal on their own: every packet has them. */
  readonly profile: Profile;
  readonly province: string;
  /** FIELD_GROUP_IDENTITY. */
  readonly fullName: string | undefined;
  readonly dateOfBirth: string | undefined;
  /** FIELD_GROUP_CONTACT. */
  readonly phone: string | undefined;
  /** FIELD_GROUP_LOCATION. */
  readonly place: string | undefined;
  /** FIELD_GROUP_THREATS. */
  readonly threatNarratives: readonly string[];
  /** FIELD_GROUP_CIRCUMSTANCES. */
  readonly needs: readonly Need[];
  readonly familyExposed: boolean | undefined;
};

/** The field a sealed value is bound to (the `field` of its associated data). */
export const sealedFieldName = {
  fullName: 'fullName',
  dateOfBirth: 'dateOfBirth',
  phone: 'phone',
  place: 'place',
  threatNarrative: (index: number): string => `threatNarratives.${index}`,
} as const;

export function sealedPacketFor(
  state: CaseState,
  released: readonly FieldGroup[],
): SealedReferralPacket {
  if (!state.exists || state.status !== 'open' || state.personalData === undefined) {
    throw new NotFoundError('no packet for this case and recipient type');
  }
  const { caseId, facts, personalData } = state;
  const { sealed } = personalData;
  const has = (group: FieldGroup): boolean => released.includes(group);
  return {
    caseId,
    fieldGroups: [...released],
    dataKeyId: personalData.dataKeyId,
    profile: facts.profile,
    province: facts.province,
    fullName: has('FIELD_GROUP_IDENTITY') ? sealed.fullName : undefined,
    dateOfBirth: has('FIELD_GROUP_IDENTITY') ? sealed.dateOfBirth : undefined,
    phone: has('FIELD_GROUP_CONTACT') ? sealed.phone : undefined,
    place: has('FIELD_GROUP_LOCATION') ? sealed.place : undefined,
    threatNarratives: has('FIELD_GROUP_THREATS') ? [...sealed.threatNarratives] : [],
    needs: has('FIELD_GROUP_CIRCUMSTANCES') ? [...facts.needs] : [],
    familyExposed: has('FIELD_GROUP_CIRCUMSTANCES') ? facts.familyExposed : undefined,
  };
}
