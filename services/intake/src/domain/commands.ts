import type { SealedPersonalData } from './events.ts';
import type {
  ConsentGrant,
  Gender,
  Need,
  Profile,
  RecipientType,
  ThreatFact,
} from './vocabulary.ts';

/** What an NGO states about a case, without the personal part (which arrives sealed). */
export type CaseFacts = {
  readonly profile: Profile;
  readonly gender: Gender;
  readonly province: string;
  readonly outsideCapital: boolean;
  readonly familyExposed: boolean;
  readonly threats: readonly ThreatFact[];
  readonly needs: readonly Need[];
  readonly consent: readonly ConsentGrant[];
};

export type SubmitCase = {
  readonly type: 'SubmitCase';
  readonly data: {
    /** Derived by the application from the organisation and the idempotency key. */
    readonly caseId: string;
    readonly organisationId: string;
    readonly idempotencyKey: string;
    readonly facts: CaseFacts;
    readonly dataKeyId: string;
    readonly sealed: Readonly<SealedPersonalData>;
    /** ISO-8601 with an offset; stored in UTC. */
    readonly submittedAt: string;
  };
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

export type CaseCommand = SubmitCase | ReleasePacket;
