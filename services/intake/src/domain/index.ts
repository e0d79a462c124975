/**
 * Intake's rules: the Case aggregate (stream `case-<caseId>`) and the access audit (`access.ts`).
 * Pure: the application seals the personal fields before a command reaches it, and opens them
 * after a packet is released.
 */
export {
  accessOf,
  accessStream,
  recordFieldGroups,
  type Access,
  type CaseRecordRead,
  type CaseRecordReadData,
} from './access.ts';
export {
  caseDecider,
  caseStream,
  visible,
  type CaseState,
  type CaseStatus,
  type DuplicateMatch,
} from './caseDecider.ts';
export type * from './commands.ts';
export { consentNarrowed, consentedFieldGroups } from './consent.ts';
export { publicCaseEventTypes } from './events.ts';
export type * from './events.ts';
export { sealedFieldName, sealedPacketFor, type SealedReferralPacket } from './packet.ts';
export * from './vocabulary.ts';
