import {
  generateDataKey,
  open,
  seal,
  unwrapDataKey,
  wrapDataKey,
  type MasterKey,
} from '@aman/crypto';
import { AmanError, ForbiddenError, NotFoundError, UnauthenticatedError } from '@aman/errors';
import { handleCommand, type CommandResult, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import type { DataKeyVault } from '../adapters/dataKeyVault.ts';
import {
  caseDecider,
  caseStream,
  sealedFieldName,
  sealedPacketFor,
  type CaseCommand,
  type CaseEvent,
  type CaseState,
  type CaseFacts,
  type RecipientType,
  type SealedPersonalData,
} from '../domain/index.ts';

/** The personal part of a submission, in plaintext only for the length of this call. */
export type PersonalData = {
  readonly fullName: string;
  readonly phone: string;
  readonly place: string;
  readonly threatNarratives: readonly string[];
};

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

function ngo(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'ngo') throw new ForbiddenError('only an NGO submits cases');
  return principal;
}

/**
 * What happens when an NGO submits a case and when a provider's packet is fetched. The personal
 * fields are sealed under the case's own data key before anything is stored; the wrapped key goes
 * to the vault first, so a crash can leave an orphan key but never an event nobody can read.
 */
export class IntakeCases {
  readonly #store: EventStore;
  readonly #vault: DataKeyVault;
  readonly #master: MasterKey;
  readonly #triage: Triage;

  constructor(options: {
    readonly store: EventStore;
    readonly vault: DataKeyVault;
    readonly master: MasterKey;
    readonly triage: Triage;
  }) {
    this.#store = options.store;
    this.#vault = options.vault;
    this.#master = options.master;
    this.#triage = options.triage;
  }

  async submit(
    principal: Principal | undefined,
    idempotencyKey: string,
    facts: CaseFacts,
    personal: PersonalData,
  ): Promise<SubmittedCase> {
    const submitter = ngo(principal);
    const caseId = idFrom('case', submitter.organisationId, idempotencyKey);
    const dataKeyId = `dk_${caseId}`;
    const existing = await this.#store.streamVersion(caseStream(caseId));
    if (existing === undefined) {
      const dataKey = generateDataKey();
      await this.#vault.put(dataKeyId, wrapDataKey(dataKey, this.#master, caseId));
      const sealField = (value: string, field: string): string =>
        value === '' ? '' : seal(value, dataKey, { caseId, field });
      const sealed: SealedPersonalData = {
        fullName: sealField(personal.fullName, sealedFieldName.fullName),
        phone: sealField(personal.phone, sealedFieldName.phone),
        place: sealField(personal.place, sealedFieldName.place),
        threatNarratives: personal.threatNarratives.map((text, index) =>
          sealField(text, sealedFieldName.threatNarrative(index)),
        ),
      };
      await handleCommand(
        this.#store,
        caseStream(caseId),
        caseDecider,
        {
          type: 'SubmitCase',
          data: {
            caseId,
            organisationId: submitter.organisationId,
            idempotencyKey,
            facts,
            dataKeyId,
            sealed,
            submittedAt: new Date().toISOString(),
          },
        },
        {
          metadata: eventMetadata({ actor: actorOf(submitter), correlationId: caseId, dataKeyId }),
        },
      );
    } else {
      // A retry: the decider checks the key belongs to this case and decides nothing.
      await this.#decide(submitter, caseId, {
        type: 'SubmitCase',
        data: {
          caseId,
          organisationId: submitter.organisationId,
          idempotencyKey,
          facts,
          dataKeyId,
          // Never stored: a retry decides nothing (or is refused for another key).
          sealed: {
            fullName: '',
            phone: '',
            place: '',
            threatNarratives: facts.threats.map(() => ''),
          },
          submittedAt: new Date().toISOString(),
        },
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

  /**
   * The packet of a referral for the provider it is addressed to (the referral service checked
   * that; intake checks the consent): audited, then opened for this call only.
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
    if (released?.type !== 'PacketReleased') throw new NotFoundError('no such packet');
    const sealed = sealedPacketFor(result.state, released.data.fieldGroups);
    const wrapped = await this.#vault.get(sealed.dataKeyId);
    if (wrapped === undefined) throw new NotFoundError('no such packet');
    const dataKey = unwrapDataKey(
      wrapped,
      new Map([[this.#master.id, this.#master.key]]),
      request.caseId,
    );
    const opened = (value: string | undefined, field: string): string | undefined =>
      value === undefined || value === ''
        ? value
        : open(value, dataKey, { caseId: request.caseId, field });
    return {
      caseId: sealed.caseId,
      fieldGroups: sealed.fieldGroups,
      profile: sealed.profile,
      province: sealed.province,
      fullName: opened(sealed.fullName, sealedFieldName.fullName),
      phone: opened(sealed.phone, sealedFieldName.phone),
      place: opened(sealed.place, sealedFieldName.place),
      threatNarratives: sealed.threatNarratives.map(
        (text, index) => opened(text, sealedFieldName.threatNarrative(index)) ?? '',
      ),
      needs: sealed.needs,
      familyExposed: sealed.familyExposed,
    };
  }

  #decide(
    principal: Principal,
    caseId: string,
    command: CaseCommand,
  ): Promise<CommandResult<CaseState, CaseEvent>> {
    return handleCommand(this.#store, caseStream(caseId), caseDecider, command, {
      metadata: eventMetadata({ actor: actorOf(principal), correlationId: caseId }),
    });
  }
}
