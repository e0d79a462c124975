import type { DomainEvent } from '@aman/eventstore';

import type { ConsentGrant, FieldGroup, Gender, Need, Profile, ThreatFact } from './vocabulary.ts';

/** Public, on aman.intake.v1: the protobuf JSON of aman.intake.v1.CaseSubmitted. No personal data. */
export type CaseSubmittedData = {
  caseId: string;
  organisationId: string;
  profile: Profile;
  gender: Gender;
  /** ISO 3166-2 subdivision code, e.g. AF-KAB. */
  province: string;
  outsideCapital: boolean;
  familyExposed: boolean;
  threats: ThreatFact[];
  needs: Need[];
  consent: ConsentGrant[];
  /** ISO-8601 UTC with milliseconds, as protobuf JSON writes a Timestamp. */
  submittedAt: string;
};
export type CaseSubmitted = DomainEvent<'CaseSubmitted', CaseSubmittedData>;

/**
 * The personal fields, each sealed with the case's data key (`@aman/crypto` `seal`) by the
 * application before the command is decided. `''` stands for a field the NGO left empty.
 */
export type SealedPersonalData = {
  fullName: string;
  phone: string;
  place: string;
  /** One per threat, in the order of the threat facts. */
  threatNarratives: string[];
};

/** Private to intake: it never leaves the context, not even sealed. */
export type PersonalDataSealedData = {
  caseId: string;
  /** The key store's id of the case's wrapped data key. */
  dataKeyId: string;
  idempotencyKey: string;
  sealed: SealedPersonalData;
};
export type PersonalDataSealed = DomainEvent<'PersonalDataSealed', PersonalDataSealedData>;

/** Public, on aman.intake.v1: a provider read a case's packet (aman.intake.v1.PacketReleased). */
export type PacketReleasedData = {
  caseId: string;
  referralId: string;
  recipientOrganisationId: string;
  fieldGroups: FieldGroup[];
  releasedAt: string;
};
export type PacketReleased = DomainEvent<'PacketReleased', PacketReleasedData>;

export type CaseEvent = CaseSubmitted | PersonalDataSealed | PacketReleased;

/** Event types that leave intake, each as its protobuf message. */
export const publicCaseEventTypes = ['CaseSubmitted', 'PacketReleased'] as const;
