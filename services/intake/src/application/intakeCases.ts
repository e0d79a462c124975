import {
  generateDataKey,
  open,
  rewrapDataKey,
  seal,
  unwrapDataKey,
  wrapDataKey,
} from '@aman/crypto';
import {
  AmanError,
  ErasedError,
  ForbiddenError,
  IntegrityError,
  NotFoundError,
  UnauthenticatedError,
  requireDate,
} from '@aman/errors';
import { handleCommand, loadState, type CommandResult, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import type { DataKeyVault } from '../adapters/dataKeyVault.ts';
import type { MasterKeyring } from '../adapters/masterKeys.ts';
import {
  caseDecider,
  caseStream,
  recordFieldGroups,
  sealedFieldName,
  sealedPacketFor,
  visible,
  type CaseCommand,
  type CaseEvent,
  type CaseFacts,
  type CaseFactsData,
  type CaseState,
  type Consent,
  type DuplicateMatch,
  type DuplicateResponse,
  type RecipientType,
  type SealedIdentity,
  type ThreatFact,
  type WithdrawalReason,
} from '../domain/index.ts';
import type { AccessLog } from './accessLog.ts';
import type { DuplicateMatcher } from './duplicates.ts';

/** The personal identity of a case, in plaintext only for the length of a call. */
export type Identity = {
  readonly fullName: string;
  readonly phone: string;
  readonly place: string;
  readonly dateOfBirth: string;
};

/** The personal part of a submission. */
export type PersonalData = Identity & { readonly threatNarratives: readonly string[] };

export interface Triage {
  readonly assess: (
    caseId: string,
    facts: CaseFacts,
    principal: Principal,
  ) => Promise<string | undefined>;
}

export interface SubmittedCase {
  readonly caseId: string;
  /** The risk level, or undefined when risk assessment did not answer in time (pending). */
  readonly riskLevel: string | undefined;
}

export interface OpenedPacket {
  readonly caseId: string;
  readonly fieldGroups: readonly string[];
  readonly profile: string;
  readonly province: string;
  readonly fullName: string | undefined;
  readonly phone: string | undefined;
  readonly place: string | undefined;
  readonly threatNarratives: readonly string[];
  readonly needs: readonly string[];
  readonly familyExposed: boolean | undefined;
}

/** An NGO's own case, opened; `identity` undefined once erased. */
export interface CaseView {
  readonly state: Extract<CaseState, { exists: true }>;
  readonly identity: Identity | undefined;
  readonly threatNarratives: readonly string[] | undefined;
  readonly duplicates: readonly DuplicateMatch[];
  readonly version: number;
}

function ngo(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'ngo') throw new ForbiddenError('only an NGO manages cases');
  return principal;
}

/** What a sealed value of an erased case reads as: never an error, never the ciphertext. */
export const ERASED = 'erased';

/**
 * What happens when an NGO submits and manages a case and when a provider's packet is fetched.
 * The personal fields are sealed under the case's own data key before anything is stored; the
 * wrapped key goes to the vault first, so a crash can leave an orphan key but never an event
 * nobody can read. Erasure destroys the key: everything sealed under it, wherever it was copied,
 * is unreadable from then on (crypto-shredding).
 */
export class IntakeCases {
  readonly #store: EventStore;
  readonly #vault: DataKeyVault;
  readonly #keys: MasterKeyring;
  readonly #triage: Triage;
  readonly #duplicates: DuplicateMatcher | undefined;
  readonly #access: Pick<AccessLog, 'recordRead'>;

  constructor(options: {
    readonly store: EventStore;
    readonly vault: DataKeyVault;
    readonly keys: MasterKeyring;
    readonly triage: Triage;
    /** Where the NGO's reads of its own records are audited. */
    readonly access: Pick<AccessLog, 'recordRead'>;
    readonly duplicates?: DuplicateMatcher;
  }) {
    this.#store = options.store;
    this.#vault = options.vault;
    this.#keys = options.keys;
    this.#triage = options.triage;
    this.#duplicates = options.duplicates;
    this.#access = options.access;
  }

  async submit(
    principal: Principal | undefined,
    idempotencyKey: string,
    facts: CaseFacts,
    consent: Consent,
    personal: PersonalData,
  ): Promise<SubmittedCase> {
    const submitter = ngo(principal);
    checkIdentity(personal);
    const caseId = idFrom('case', submitter.organisationId, idempotencyKey);
    const dataKeyId = `dk_${caseId}`;
    const existing = await this.#store.streamVersion(caseStream(caseId));
    const command = (sealed: CaseCommand & { type: 'SubmitCase' }): CaseCommand => sealed;
    const data = {
      caseId,
      organisationId: submitter.organisationId,
      principalId: submitter.keyId,
      idempotencyKey,
      facts,
      consent,
      dataKeyId,
      submittedAt: new Date().toISOString(),
    };
    if (existing === undefined) {
      const dataKey = generateDataKey();
      await this.#vault.put(dataKeyId, wrapDataKey(dataKey, this.#keys.current, caseId));
      const sealField = (value: string, field: string): string =>
        value === '' ? '' : seal(value, dataKey, { caseId, field });
      await handleCommand(
        this.#store,
        caseStream(caseId),
        caseDecider,
        command({
          type: 'SubmitCase',
          data: {
            ...data,
            sealed: {
              ...sealIdentity(personal, sealField),
              threatNarratives: personal.threatNarratives.map((text, index) =>
                sealField(text, sealedFieldName.threatNarrative(index)),
              ),
            },
          },
        }),
        {
          metadata: eventMetadata({ actor: actorOf(submitter), correlationId: caseId, dataKeyId }),
        },
      );
      dataKey.fill(0);
      // Blind index tokens are written now, for every new case alike; matching runs later, in
      // the background, so the submitter's answer and its timing say nothing about a match.
      await this.#duplicates?.index(caseId, submitter, personal);
    } else {
      // A retry: the decider checks the key belongs to this case and decides nothing.
      const empty = { fullName: '', phone: '', place: '', dateOfBirth: '' };
      await this.#decide(submitter, caseId, {
        type: 'SubmitCase',
        data: { ...data, sealed: { ...empty, threatNarratives: facts.threats.map(() => '') } },
      });
    }
    let riskLevel: string | undefined;
    try {
      riskLevel = await this.#triage.assess(caseId, facts, submitter);
    } catch (error) {
      // The case is accepted whatever happens here: risk assessment will assess it when it
      // consumes the submission, and the NGO's view shows the level then.
      if (!AmanError.is(error, 'AMAN_ERR_UNAVAILABLE')) throw error;
    }
    return { caseId, riskLevel };
  }

  /** The NGO's own case, audited, then opened for this call (or marked erased). */
  async get(principal: Principal | undefined, caseId: string): Promise<CaseView> {
    const owner = ngo(principal);
    const { state, version } = await loadState(this.#store, caseStream(caseId), caseDecider);
    if (!state.exists || state.organisationId !== owner.organisationId) {
      throw new NotFoundError('no such case');
    }
    const sealed = state.personalData?.sealed;
    const readable = state.status !== 'erased' && sealed !== undefined;
    await this.#access.recordRead(owner, caseId, recordFieldGroups(readable));
    const opener = readable ? await this.#opener(state) : undefined;
    return {
      state,
      version: version ?? 0,
      identity:
        opener === undefined || sealed === undefined
          ? undefined
          : {
              fullName: opener(sealed.fullName, sealedFieldName.fullName),
              phone: opener(sealed.phone, sealedFieldName.phone),
              place: opener(sealed.place, sealedFieldName.place),
              dateOfBirth: opener(sealed.dateOfBirth, sealedFieldName.dateOfBirth),
            },
      threatNarratives:
        opener === undefined || sealed === undefined
          ? undefined
          : sealed.threatNarratives.map((text, index) =>
              opener(text, sealedFieldName.threatNarrative(index)),
            ),
      duplicates: [...state.duplicates.values()].filter(visible),
    };
  }

  async update(
    principal: Principal | undefined,
    caseId: string,
    expectedVersion: number,
    facts: CaseFactsData,
    identity: Identity | undefined,
  ): Promise<number> {
    const owner = ngo(principal);
    if (identity !== undefined) checkIdentity(identity);
    const sealed = identity === undefined ? undefined : await this.#sealIdentity(caseId, identity);
    const result = await this.#decide(
      owner,
      caseId,
      {
        type: 'UpdateCase',
        data: {
          ...this.#by(owner, caseId),
          facts,
          sealed,
          updatedAt: new Date().toISOString(),
        },
      },
      expectedVersion,
    );
    return result.version ?? expectedVersion;
  }

  async updateConsent(
    principal: Principal | undefined,
    caseId: string,
    consent: Consent,
  ): Promise<boolean> {
    const owner = ngo(principal);
    const result = await this.#decide(owner, caseId, {
      type: 'UpdateConsent',
      data: { ...this.#by(owner, caseId), consent, updatedAt: new Date().toISOString() },
    });
    const updated = result.events.find((event) => event.type === 'ConsentUpdated');
    return updated?.type === 'ConsentUpdated' && updated.data.narrowed;
  }

  async reportThreat(
    principal: Principal | undefined,
    caseId: string,
    idempotencyKey: string,
    threat: ThreatFact,
    narrative: string,
  ): Promise<number> {
    const owner = ngo(principal);
    const { state } = await loadState(this.#store, caseStream(caseId), caseDecider);
    let sealed = '';
    if (state.exists && state.organisationId === owner.organisationId && narrative !== '') {
      const key = await this.#dataKey(state);
      if (key !== undefined) {
        const field = sealedFieldName.threatNarrative(state.facts.threats.length);
        sealed = seal(narrative, key, { caseId, field });
        key.fill(0);
      }
    }
    const result = await this.#decide(owner, caseId, {
      type: 'ReportThreat',
      data: {
        ...this.#by(owner, caseId),
        idempotencyKey,
        threat,
        narrative: sealed,
        reportedAt: new Date().toISOString(),
      },
    });
    return result.version ?? 0;
  }

  async withdraw(
    principal: Principal | undefined,
    caseId: string,
    reason: WithdrawalReason,
  ): Promise<void> {
    const owner = ngo(principal);
    await this.#decide(owner, caseId, {
      type: 'WithdrawCase',
      data: { ...this.#by(owner, caseId), reason, withdrawnAt: new Date().toISOString() },
    });
  }

  /**
   * Crypto-shredding. The key is destroyed first, then the event says so: a crash between the
   * two leaves a case whose data is already unreadable, and a retry appends the event.
   */
  async erase(principal: Principal | undefined, caseId: string): Promise<void> {
    const owner = ngo(principal);
    const { state } = await loadState(this.#store, caseStream(caseId), caseDecider);
    if (!state.exists || state.organisationId !== owner.organisationId) {
      throw new NotFoundError('no such case');
    }
    if (state.personalData !== undefined) await this.#vault.destroy(state.personalData.dataKeyId);
    await this.#duplicates?.forget(caseId);
    await this.#decide(owner, caseId, {
      type: 'EraseCase',
      data: { ...this.#by(owner, caseId), erasedAt: new Date().toISOString() },
    });
  }

  async respondToDuplicate(
    principal: Principal | undefined,
    caseId: string,
    matchId: string,
    response: DuplicateResponse,
  ): Promise<DuplicateMatch['status']> {
    const owner = ngo(principal);
    const match = await this.#duplicates?.match(matchId);
    const other =
      match === undefined
        ? undefined
        : match.holderCaseId === caseId
          ? match.submitterCaseId
          : match.submitterCaseId === caseId
            ? match.holderCaseId
            : undefined;
    // One answer for a match that does not exist and for one of another NGO's case: telling
    // them apart would confirm that a match id is real.
    const unknown = new NotFoundError('no such duplicate match');
    if (other === undefined) throw unknown;
    const result = await this.#decide(owner, caseId, {
      type: 'RespondToDuplicate',
      data: {
        ...this.#by(owner, caseId),
        matchId,
        otherCaseId: other,
        response,
        respondedAt: new Date().toISOString(),
      },
    }).catch((error: unknown) => {
      throw AmanError.is(error, 'AMAN_ERR_NOT_FOUND') ? unknown : error;
    });
    const changed = result.events.find((event) => event.type === 'DuplicateMatchChanged');
    if (changed?.type === 'DuplicateMatchChanged') {
      // The other case learns of this step; it names this case only once both agreed.
      await handleCommand(
        this.#store,
        caseStream(other),
        caseDecider,
        {
          type: 'RecordMatchChange',
          data: {
            caseId: other,
            matchId,
            status: changed.data.status,
            linkedCaseId: changed.data.status === 'linked' ? caseId : undefined,
            changedAt: changed.data.changedAt,
          },
        },
        { metadata: eventMetadata({ actor: actorOf(owner), correlationId: other }) },
      );
    }
    if (!result.state.exists) throw new NotFoundError('no such case');
    const now = result.state.duplicates.get(matchId);
    if (now === undefined) throw new NotFoundError('no such duplicate match');
    return now.status;
  }

  /**
   * The packet of a referral for the provider it is addressed to (the referral service checked
   * that; intake checks the consent): audited, refusals too, then opened for this call only.
   */
  async releasePacket(
    principal: Principal | undefined,
    request: {
      readonly caseId: string;
      readonly referralId: string;
      readonly recipientType: RecipientType;
    },
  ): Promise<OpenedPacket> {
    if (principal?.organisationType !== 'provider') throw new NotFoundError('no such packet');
    const result = await this.#decide(principal, request.caseId, {
      type: 'ReleasePacket',
      data: {
        caseId: request.caseId,
        referralId: request.referralId,
        recipientOrganisationId: principal.organisationId,
        recipientType: request.recipientType,
        releasedAt: new Date().toISOString(),
      },
    });
    const released = result.events.find((event) => event.type === 'PacketReleased');
    // Referral asks only for the provider a referral is addressed to: that provider may learn
    // that the case was erased (it was told so by webhook), and should delete what it holds.
    if (result.state.exists && result.state.status === 'erased') {
      throw new ErasedError('the case was erased');
    }
    if (released?.type !== 'PacketReleased' || !result.state.exists) {
      throw new NotFoundError('no such packet');
    }
    const sealed = sealedPacketFor(result.state, released.data.fieldGroups);
    const opener = await this.#opener(result.state);
    if (opener === undefined) throw new NotFoundError('no such packet');
    const opened = (value: string | undefined, field: string): string | undefined =>
      value === undefined ? undefined : opener(value, field);
    return {
      caseId: sealed.caseId,
      fieldGroups: sealed.fieldGroups,
      profile: sealed.profile,
      province: sealed.province,
      fullName: opened(sealed.fullName, sealedFieldName.fullName),
      phone: opened(sealed.phone, sealedFieldName.phone),
      place: opened(sealed.place, sealedFieldName.place),
      threatNarratives: sealed.threatNarratives.map((text, index) =>
        opener(text, sealedFieldName.threatNarrative(index)),
      ),
      needs: sealed.needs,
      familyExposed: sealed.familyExposed,
    };
  }

  /** Opens the case's sealed values for one call; undefined once the key is destroyed. */
  async #opener(
    state: Extract<CaseState, { exists: true }>,
  ): Promise<((value: string, field: string) => string) | undefined> {
    if (state.status === 'erased') return undefined;
    const key = await this.#dataKey(state);
    if (key === undefined) return undefined;
    const caseId = state.caseId;
    return (value, field) => (value === '' ? '' : open(value, key, { caseId, field }));
  }

  async #dataKey(state: Extract<CaseState, { exists: true }>): Promise<Uint8Array | undefined> {
    const dataKeyId = state.personalData?.dataKeyId;
    if (dataKeyId === undefined) return undefined;
    const wrapped = await this.#vault.get(dataKeyId);
    if (wrapped === 'destroyed') return undefined;
    if (wrapped === undefined) throw new IntegrityError('a case has no data key in the vault');
    return unwrapDataKey(wrapped, this.#keys.byId, state.caseId);
  }

  async #sealIdentity(caseId: string, identity: Identity): Promise<SealedIdentity | undefined> {
    const { state } = await loadState(this.#store, caseStream(caseId), caseDecider);
    if (!state.exists) return undefined;
    const key = await this.#dataKey(state);
    if (key === undefined) return undefined;
    try {
      return sealIdentity(identity, (value, field) =>
        value === '' ? '' : seal(value, key, { caseId, field }),
      );
    } finally {
      key.fill(0);
    }
  }

  #by(principal: Principal, caseId: string) {
    return { caseId, organisationId: principal.organisationId, principalId: principal.keyId };
  }

  #decide(
    principal: Principal,
    caseId: string,
    command: CaseCommand,
    expectedVersion?: number,
  ): Promise<CommandResult<CaseState, CaseEvent>> {
    return handleCommand(this.#store, caseStream(caseId), caseDecider, command, {
      metadata: eventMetadata({ actor: actorOf(principal), correlationId: caseId }),
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
    });
  }
}

/**
 * What can be checked of personal data before it is sealed (the domain only sees ciphertext):
 * a date of birth is a calendar date, or absent. Names and phones are the NGO's words.
 */
function checkIdentity(identity: Identity): void {
  if (identity.dateOfBirth !== '') requireDate(identity.dateOfBirth, 'defender.dateOfBirth');
}

function sealIdentity(
  identity: Identity,
  sealField: (value: string, field: string) => string,
): SealedIdentity {
  return {
    fullName: sealField(identity.fullName, sealedFieldName.fullName),
    phone: sealField(identity.phone, sealedFieldName.phone),
    place: sealField(identity.place, sealedFieldName.place),
    dateOfBirth: sealField(identity.dateOfBirth, sealedFieldName.dateOfBirth),
  };
}

/**
 * Master-key rotation's rewrap: every live data key not wrapped by the current master key is
 * wrapped again under it. Sealed values are untouched and keep opening. Returns how many were
 * rewrapped; run it again to check that none remain (then the retired keys can go).
 */
export async function rewrapDataKeys(vault: DataKeyVault, keys: MasterKeyring): Promise<number> {
  let rewrapped = 0;
  for await (const [dataKeyId, wrapped] of vault.entries()) {
    if (wrapped.masterKeyId === keys.current.id) continue;
    const caseId = dataKeyId.replace(/^dk_/, '');
    await vault.put(dataKeyId, rewrapDataKey(wrapped, keys.byId, keys.current, caseId));
    rewrapped += 1;
  }
  return rewrapped;
}

/** Flags a likely duplicate on both cases: the holder's NGO sees it, the submitter's does not. */
export async function flagDuplicate(
  store: EventStore,
  match: {
    readonly matchId: string;
    readonly holderCaseId: string;
    readonly submitterCaseId: string;
  },
  detectedAt: string,
): Promise<void> {
  const actor = { organisationId: 'aman', principalId: 'intake-duplicate-matcher' };
  for (const [caseId, role] of [
    [match.holderCaseId, 'holder'],
    [match.submitterCaseId, 'submitter'],
  ] as const) {
    await handleCommand(
      store,
      caseStream(caseId),
      caseDecider,
      { type: 'FlagDuplicate', data: { caseId, matchId: match.matchId, role, detectedAt } },
      { metadata: eventMetadata({ actor, correlationId: caseId }) },
    );
  }
}
