import type { CaseFactsData, SealedIdentity, SealedPersonalData } from './events.ts';
import type {
  Consent,
  DuplicateResponse,
  RecipientType,
  ThreatFact,
  WithdrawalReason,
} from './vocabulary.ts';

/** What an NGO states about a case, without the personal part (which arrives sealed). */
export type CaseFacts = Readonly<CaseFactsData> & { readonly threats: readonly ThreatFact[] };

/** Who acts: every command of an NGO names its organisation and the principal acting for it. */
type ByNgo = {
  readonly caseId: string;
  readonly organisationId: string;
  readonly principalId: string;
};

export type SubmitCase = {
  readonly type: 'SubmitCase';
  readonly data: ByNgo & {
    /** Derived by the application from the organisation and the idempotency key. */
    readonly idempotencyKey: string;
    readonly facts: CaseFacts;
    readonly consent: Consent;
    readonly dataKeyId: string;
    readonly sealed: Readonly<SealedPersonalData>;
    /** ISO-8601 with an offset; stored in UTC. */
    readonly submittedAt: string;
  };
};

export type UpdateCase = {
  readonly type: 'UpdateCase';
  readonly data: ByNgo & {
    readonly facts: Readonly<CaseFactsData>;
    /** When present, replaces the personal data. */
    readonly sealed: Readonly<SealedIdentity> | undefined;
    readonly updatedAt: string;
  };
};

export type UpdateConsent = {
  readonly type: 'UpdateConsent';
  readonly data: ByNgo & { readonly consent: Consent; readonly updatedAt: string };
};

export type ReportThreat = {
  readonly type: 'ReportThreat';
  readonly data: ByNgo & {
    readonly idempotencyKey: string;
    readonly threat: ThreatFact;
    /** Sealed for the field of the threat's index, or '' (the application seals it). */
    readonly narrative: string;
    readonly reportedAt: string;
  };
};

export type WithdrawCase = {
  readonly type: 'WithdrawCase';
  readonly data: ByNgo & { readonly reason: WithdrawalReason; readonly withdrawnAt: string };
};

/** Decided after the data key is destroyed: the event records what already happened. */
export type EraseCase = {
  readonly type: 'EraseCase';
  readonly data: ByNgo & { readonly erasedAt: string };
};

/** A provider fetches the packet of a referral addressed to it. */
export type ReleasePacket = {
  readonly type: 'ReleasePacket';
  readonly data: {
    readonly caseId: string;
    readonly referralId: string;
    readonly recipientOrganisationId: string;
    readonly recipientType: RecipientType;
    readonly releasedAt: string;
  };
};

/** The blind index matched this case with another organisation's (the application's finding). */
export type FlagDuplicate = {
  readonly type: 'FlagDuplicate';
  readonly data: {
    readonly caseId: string;
    readonly matchId: string;
    readonly role: 'holder' | 'submitter';
    readonly detectedAt: string;
  };
};

/** This case's NGO answers a match it can see. */
export type RespondToDuplicate = {
  readonly type: 'RespondToDuplicate';
  readonly data: ByNgo & {
    readonly matchId: string;
    /** From the application's match registry; revealed in the state only once linked. */
    readonly otherCaseId: string;
    readonly response: DuplicateResponse;
    readonly respondedAt: string;
  };
};

/** The other NGO's answer reaches this case. */
export type RecordMatchChange = {
  readonly type: 'RecordMatchChange';
  readonly data: {
    readonly caseId: string;
    readonly matchId: string;
    readonly status: 'link_proposed' | 'linked' | 'dismissed';
    readonly linkedCaseId: string | undefined;
    readonly changedAt: string;
  };
};

export type CaseCommand =
  | SubmitCase
  | UpdateCase
  | UpdateConsent
  | ReportThreat
  | WithdrawCase
  | EraseCase
  | ReleasePacket
  | FlagDuplicate
  | RespondToDuplicate
  | RecordMatchChange;
