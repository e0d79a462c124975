import type { DomainEvent } from '@aman/eventstore';

import type {
  Capacities,
  Consent,
  ConsentGrant,
  FieldGroup,
  Gender,
  Need,
  Profile,
  RecipientType,
  ThreatFact,
  Vulnerabilities,
  WithdrawalReason,
} from './vocabulary.ts';

/*
 * Public events are the protobuf JSON of their aman.intake.v1 message and carry no personal data.
 * Private events never leave intake, not even sealed. Times are ISO-8601 UTC with milliseconds,
 * as protobuf JSON writes a Timestamp.
 */

/** The facts of a case that are not personal data on their own. */
export type CaseFactsData = {
  profile: Profile;
  gender: Gender;
  /** ISO 3166-2 subdivision code, e.g. AF-KAB. */
  province: string;
  outsideCapital: boolean;
  familyExposed: boolean;
  needs: Need[];
  vulnerabilities: Vulnerabilities;
  capacities: Capacities;
};

/** Public: aman.intake.v1.CaseSubmitted. */
export type CaseSubmittedData = CaseFactsData & {
  caseId: string;
  organisationId: string;
  threats: ThreatFact[];
  consent: ConsentGrant[];
  submittedAt: string;
};
export type CaseSubmitted = DomainEvent<'CaseSubmitted', CaseSubmittedData>;

/**
 * The personal fields, each sealed with the case's data key (`@aman/crypto` `seal`) by the
 * application before the command is decided. `''` stands for a field the NGO left empty.
 */
export type SealedIdentity = {
  fullName: string;
  phone: string;
  place: string;
  dateOfBirth: string;
};
export type SealedPersonalData = SealedIdentity & {
  /** One per threat of the submission, in the order of the threat facts. */
  threatNarratives: string[];
};

/** Private: the submission's personal data, sealed. */
export type PersonalDataSealedData = {
  caseId: string;
  /** The key store's id of the case's wrapped data key. */
  dataKeyId: string;
  idempotencyKey: string;
  sealed: SealedPersonalData;
};
export type PersonalDataSealed = DomainEvent<'PersonalDataSealed', PersonalDataSealedData>;

/** Private: the NGO replaced the personal data (sealed again under the same data key). */
export type PersonalDataUpdatedData = { caseId: string; sealed: SealedIdentity };
export type PersonalDataUpdated = DomainEvent<'PersonalDataUpdated', PersonalDataUpdatedData>;

/**
 * Private: consent as given, the record an NGO answers for: what, how, when, and the principal
 * who recorded it. Appended with the submission and with every consent update.
 */
export type ConsentRecordedData = {
  caseId: string;
  consent: Consent;
  recordedBy: string;
  recordedAt: string;
};
export type ConsentRecorded = DomainEvent<'ConsentRecorded', ConsentRecordedData>;

/** Public: aman.intake.v1.CaseFactsUpdated, the whole fact set as it now stands. */
export type CaseFactsUpdatedData = CaseFactsData & {
  caseId: string;
  organisationId: string;
  updatedAt: string;
};
export type CaseFactsUpdated = DomainEvent<'CaseFactsUpdated', CaseFactsUpdatedData>;

/** Public: aman.intake.v1.ThreatReported. */
export type ThreatReportedData = {
  caseId: string;
  organisationId: string;
  threat: ThreatFact;
  reportedAt: string;
};
export type ThreatReported = DomainEvent<'ThreatReported', ThreatReportedData>;

/** Private: a reported threat's narrative, sealed, and the key that makes the report idempotent. */
export type ThreatNarrativeSealedData = {
  caseId: string;
  idempotencyKey: string;
  /** Its index among the case's threats (the sealed value's field). */
  index: number;
  narrative: string;
};
export type ThreatNarrativeSealed = DomainEvent<'ThreatNarrativeSealed', ThreatNarrativeSealedData>;

/** Public: aman.intake.v1.ConsentUpdated. */
export type ConsentUpdatedData = {
  caseId: string;
  organisationId: string;
  consent: ConsentGrant[];
  narrowed: boolean;
  updatedAt: string;
};
export type ConsentUpdated = DomainEvent<'ConsentUpdated', ConsentUpdatedData>;

/** Public: aman.intake.v1.CaseWithdrawn. */
export type CaseWithdrawnData = {
  caseId: string;
  organisationId: string;
  reason: WithdrawalReason;
  withdrawnAt: string;
};
export type CaseWithdrawn = DomainEvent<'CaseWithdrawn', CaseWithdrawnData>;

/** Public: aman.intake.v1.CaseErased. The data key is destroyed before this is appended. */
export type CaseErasedData = { caseId: string; organisationId: string; erasedAt: string };
export type CaseErased = DomainEvent<'CaseErased', CaseErasedData>;

/** Public: aman.intake.v1.PacketReleased, a provider read a case's packet (the access audit). */
export type PacketReleasedData = {
  caseId: string;
  referralId: string;
  recipientOrganisationId: string;
  fieldGroups: FieldGroup[];
  releasedAt: string;
};
export type PacketReleased = DomainEvent<'PacketReleased', PacketReleasedData>;

/** Private: a packet was asked for and refused; the access audit keeps refusals too. */
export type PacketRefusedData = {
  caseId: string;
  referralId: string;
  recipientOrganisationId: string;
  recipientType: RecipientType;
  reason: 'no_consent' | 'withdrawn' | 'erased';
  refusedAt: string;
};
export type PacketRefused = DomainEvent<'PacketRefused', PacketRefusedData>;

/**
 * Private: the blind index found this case to be a likely duplicate of another organisation's
 * case. `holder`: this case came first and its NGO is told; `submitter`: this case came second
 * and its NGO is told nothing (its answer was the same as for a new person).
 */
export type DuplicateSuspectedData = {
  caseId: string;
  matchId: string;
  role: 'holder' | 'submitter';
  detectedAt: string;
};
export type DuplicateSuspected = DomainEvent<'DuplicateSuspected', DuplicateSuspectedData>;

/** Private: a step of a match as this case's NGO sees it. */
export type DuplicateMatchChangedData = {
  caseId: string;
  matchId: string;
  /** link_proposed: one side asked for the link; linked: both agreed; dismissed: either said no. */
  status: 'link_proposed' | 'linked' | 'dismissed';
  /** Which NGO made this step. */
  by: 'this_organisation' | 'other_organisation';
  /** Only once linked. */
  linkedCaseId?: string;
  changedAt: string;
};
export type DuplicateMatchChanged = DomainEvent<'DuplicateMatchChanged', DuplicateMatchChangedData>;

export type CaseEvent =
  | CaseSubmitted
  | PersonalDataSealed
  | PersonalDataUpdated
  | ConsentRecorded
  | CaseFactsUpdated
  | ThreatReported
  | ThreatNarrativeSealed
  | ConsentUpdated
  | CaseWithdrawn
  | CaseErased
  | PacketReleased
  | PacketRefused
  | DuplicateSuspected
  | DuplicateMatchChanged;

/** Event types that leave intake, each as its protobuf message. */
export const publicCaseEventTypes = [
  'CaseSubmitted',
  'CaseFactsUpdated',
  'ThreatReported',
  'ConsentUpdated',
  'CaseWithdrawn',
  'CaseErased',
  'PacketReleased',
] as const;
