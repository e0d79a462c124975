import type { ConsentGrant } from '@aman/contracts/vocabulary';

/**
 * The shared vocabularies (proto/aman/common/v1/common.proto) and intake's own
 * (proto/aman/intake/v1/intake.proto) as the names their protobuf JSON form uses. `*_UNSPECIFIED`
 * is left out: a case states every value it has.
 */

export {
  PROFILES,
  GENDERS,
  NEEDS,
  RECIPIENT_TYPES,
  FIELD_GROUPS,
  THREAT_KINDS,
  THREAT_SOURCES,
  THREAT_OBJECTIVES,
  FEASIBILITIES,
} from '@aman/contracts/vocabulary';
export type {
  Profile,
  Gender,
  Need,
  RecipientType,
  FieldGroup,
  ThreatKind,
  ThreatFact,
  Vulnerabilities,
  Capacities,
  ConsentGrant,
} from '@aman/contracts/vocabulary';

export const CONSENT_METHODS = [
  'CONSENT_METHOD_IN_PERSON',
  'CONSENT_METHOD_PHONE_CALL',
  'CONSENT_METHOD_ENCRYPTED_MESSAGE',
  'CONSENT_METHOD_WRITTEN',
  'CONSENT_METHOD_THROUGH_TRUSTED_CONTACT',
] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** Consent as given: what, how and when (aman.intake.v1.Consent). */
export type Consent = {
  grants: ConsentGrant[];
  method: ConsentMethod;
  /** ISO-8601 UTC. */
  obtainedAt: string;
};

export const WITHDRAWAL_REASONS = [
  'WITHDRAWAL_REASON_SAFE',
  'WITHDRAWAL_REASON_DECLINED_HELP',
  'WITHDRAWAL_REASON_CONTACT_LOST',
  'WITHDRAWAL_REASON_DUPLICATE',
  'WITHDRAWAL_REASON_OTHER',
] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];

export const DUPLICATE_RESPONSES = [
  'DUPLICATE_RESPONSE_LINK',
  'DUPLICATE_RESPONSE_DISMISS',
] as const;
export type DuplicateResponse = (typeof DUPLICATE_RESPONSES)[number];

export type DuplicateMatchStatus =
  | 'DUPLICATE_MATCH_STATUS_SUSPECTED'
  | 'DUPLICATE_MATCH_STATUS_LINK_PROPOSED'
  | 'DUPLICATE_MATCH_STATUS_LINKED'
  | 'DUPLICATE_MATCH_STATUS_DISMISSED';
