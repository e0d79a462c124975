import { type RecipientType, type FieldGroup } from '@aman/contracts/vocabulary';

/**
 * The shared vocabularies (proto/aman/common/v1/common.proto) as the names their protobuf JSON
 * form uses. `*_UNSPECIFIED` is left out: a case states every value it has.
 */

export {
  PROFILES,
  GENDERS,
  NEEDS,
  RECIPIENT_TYPES,
  FIELD_GROUPS,
  THREAT_KINDS,
} from '@aman/contracts/vocabulary';
export type {
  Profile,
  Gender,
  Need,
  RecipientType,
  FieldGroup,
  ThreatKind,
  ThreatFact,
} from '@aman/contracts/vocabulary';

/** Which recipient types may receive which field groups (aman.intake.v1.ConsentGrant). */
export type ConsentGrant = { recipientTypes: RecipientType[]; fieldGroups: FieldGroup[] };
