/**
 * Intake's rules: the Case aggregate (stream `case-<caseId>`). Pure: the application seals the
 * personal fields before a command reaches it, and opens them after a packet is released.
 */
export { caseDecider, caseStream, type CaseState } from './caseDecider.ts';
export type { CaseCommand, CaseFacts, ReleasePacket, SubmitCase } from './commands.ts';
export { consentedFieldGroups } from './consent.ts';
export {
  publicCaseEventTypes,
  type CaseEvent,
  type CaseSubmitted,
  type CaseSubmittedData,
  type PacketReleased,
  type PacketReleasedData,
  type PersonalDataSealed,
  type PersonalDataSealedData,
  type SealedPersonalData,
} from './events.ts';
export { sealedFieldName, sealedPacketFor, type SealedReferralPacket } from './packet.ts';
export {
  FIELD_GROUPS,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  THREAT_KINDS,
  type ConsentGrant,
  type FieldGroup,
  type Gender,
  type Need,
  type Profile,
  type RecipientType,
  type ThreatFact,
  type ThreatKind,
} from './vocabulary.ts';
