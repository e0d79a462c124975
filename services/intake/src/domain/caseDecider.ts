import type { Decider } from '@aman/eventstore';
import {
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from '@aman/errors';

import type { CaseCommand, CaseFacts, ReleasePacket, SubmitCase } from './commands.ts';
import { consentedFieldGroups } from './consent.ts';
import type { CaseEvent, PersonalDataSealedData, SealedPersonalData } from './events.ts';
import {
  epochDay,
  requireBoolean,
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireText,
  requireValues,
  requireTimestamp,
} from '@aman/errors';
import {
  FIELD_GROUPS,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  THREAT_KINDS,
} from './vocabulary.ts';

/** One stream per case. */
export function caseStream(caseId: string): string {
  return `case-${caseId}`;
}

export type CaseState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly caseId: string;
      readonly organisationId: string;
      readonly facts: CaseFacts;
      readonly submittedAt: string;
      /** Appended together with CaseSubmitted, so undefined only between the two events. */
      readonly personalData: PersonalDataSealedData | undefined;
    };

/** The same words whether the case is missing or its consent excludes the recipient: a
 * recipient outside the consent does not even learn that the case exists. */
const NO_PACKET = 'no packet for this case and recipient type';

/** ISO 3166-2: the country's alpha-2 code, a hyphen, one to three letters or digits. */
const PROVINCE = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;

/** `@aman/crypto`'s `v1.<nonce>.<ciphertext>.<tag>`, loosely: a guard against plaintext. */
const SEALED = /^v[1-9][0-9]*(\.[A-Za-z0-9_-]*){2,}$/;

/** Threat dates may run a day ahead of the submission's UTC date: the NGO's day can be later. */
const DATE_SLACK_DAYS = 1;

function initialState(): CaseState {
  return { exists: false };
}

function decide(command: CaseCommand, state: CaseState): CaseEvent[] {
  switch (command.type) {
    case 'SubmitCase':
      return submitCase(command.data, state);
    case 'ReleasePacket':
      return releasePacket(command.data, state);
  }
}

function submitCase(command: SubmitCase['data'], state: CaseState): CaseEvent[] {
  const submittedAt = validateSubmission(command);
  const { caseId, organisationId, idempotencyKey, facts, dataKeyId, sealed } = command;
  if (state.exists) {
    requireSameCase(state.caseId, caseId);
    // The case id is derived from the organisation and the key, so another key (or organisation)
    // reaching this stream is a bug upstream, not a retry.
    if (
      state.organisationId !== organisationId ||
      state.personalData?.idempotencyKey !== idempotencyKey
    ) {
      throw new IllegalStateError(
        'the case exists already, submitted with another idempotency key',
      );
    }
    // A retry: the first submission stands, its sealed values and data key with it. Sealed
    // values differ on every try (fresh nonces), so only the facts can be compared.
    if (factsKey(state.facts) !== factsKey(facts)) {
      throw new IdempotencyConflictError(
        'this idempotency key was already used to submit a case with other facts',
      );
    }
    return [];
  }
  return [
    {
      type: 'CaseSubmitted',
      data: {
        caseId,
        organisationId,
        profile: facts.profile,
        gender: facts.gender,
        province: facts.province,
        outsideCapital: facts.outsideCapital,
        familyExposed: facts.familyExposed,
        threats: facts.threats.map(({ kind, occurredOn, byArmedOrStateActor }) => ({
          kind,
          occurredOn,
          byArmedOrStateActor,
        })),
        needs: [...facts.needs],
        consent: facts.consent.map((grant) => ({
          recipientTypes: [...grant.recipientTypes],
          fieldGroups: [...grant.fieldGroups],
        })),
        submittedAt,
      },
    },
    {
      type: 'PersonalDataSealed',
      data: {
        caseId,
        dataKeyId,
        idempotencyKey,
        sealed: {
          fullName: sealed.fullName,
          phone: sealed.phone,
          place: sealed.place,
          threatNarratives: [...sealed.threatNarratives],
        },
      },
    },
  ];
}

function releasePacket(command: ReleasePacket['data'], state: CaseState): CaseEvent[] {
  requireIdentifier(command.caseId, 'caseId');
  requireIdentifier(command.referralId, 'referralId');
  requireIdentifier(command.recipientOrganisationId, 'recipientOrganisationId');
  requireOneOf(command.recipientType, RECIPIENT_TYPES, 'recipientType');
  const releasedAt = requireTimestamp(command.releasedAt, 'releasedAt');
  if (!state.exists) throw new NotFoundError(NO_PACKET);
  requireSameCase(state.caseId, command.caseId);
  // No consent, no referral: a recipient type the consent does not name gets nothing.
  const groups = consentedFieldGroups(state.facts.consent, command.recipientType);
  if (groups.length === 0) throw new NotFoundError(NO_PACKET);
  // Every release is recorded, a repeated fetch too: each read of personal data is audited.
  return [
    {
      type: 'PacketReleased',
      data: {
        caseId: command.caseId,
        referralId: command.referralId,
        recipientOrganisationId: command.recipientOrganisationId,
        fieldGroups: groups,
        releasedAt,
      },
    },
  ];
}

function evolve(state: CaseState, event: CaseEvent): CaseState {
  switch (event.type) {
    case 'CaseSubmitted': {
      const { caseId, organisationId, submittedAt, ...facts } = event.data;
      return { exists: true, caseId, organisationId, facts, submittedAt, personalData: undefined };
    }
    case 'PersonalDataSealed':
      return state.exists ? { ...state, personalData: event.data } : state;
    case 'PacketReleased':
      return state;
  }
}

export const caseDecider: Decider<CaseState, CaseCommand, CaseEvent> = {
  decide,
  evolve,
  initialState,
};

function requireSameCase(stateCaseId: string, commandCaseId: string): void {
  if (stateCaseId !== commandCaseId) {
    throw new IllegalStateError("the command's case id is not its stream's case");
  }
}

/** Checks the submission and returns its time in UTC. */
function validateSubmission(command: SubmitCase['data']): string {
  requireIdentifier(command.caseId, 'caseId');
  requireIdentifier(command.organisationId, 'organisationId');
  requireText(command.idempotencyKey, 'idempotencyKey');
  requireIdentifier(command.dataKeyId, 'dataKeyId');
  const submittedAt = requireTimestamp(command.submittedAt, 'submittedAt');
  const latestThreatDay = epochDay(submittedAt.slice(0, 10)) + DATE_SLACK_DAYS;
  validateFacts(command.facts, latestThreatDay);
  validateSealed(command.sealed, command.facts.threats.length);
  return submittedAt;
}

function validateFacts(facts: CaseFacts, latestThreatDay: number): void {
  requireOneOf(facts.profile, PROFILES, 'facts.profile');
  requireOneOf(facts.gender, GENDERS, 'facts.gender');
  if (typeof facts.province !== 'string' || !PROVINCE.test(facts.province)) {
    throw new ValidationError('facts.province must be an ISO 3166-2 code such as AF-KAB');
  }
  requireBoolean(facts.outsideCapital, 'facts.outsideCapital');
  requireBoolean(facts.familyExposed, 'facts.familyExposed');
  requireList(facts.threats, 'facts.threats');
  facts.threats.forEach((threat, index) => {
    const field = `facts.threats[${index}]`;
    requireOneOf(threat.kind, THREAT_KINDS, `${field}.kind`);
    if (epochDay(requireDate(threat.occurredOn, `${field}.occurredOn`)) > latestThreatDay) {
      throw new ValidationError(`${field}.occurredOn is after the submission`);
    }
    requireBoolean(threat.byArmedOrStateActor, `${field}.byArmedOrStateActor`);
  });
  requireValues(facts.needs, NEEDS, 'facts.needs', { nonEmpty: true });
  requireList(facts.consent, 'facts.consent');
  facts.consent.forEach((grant, index) => {
    const field = `facts.consent[${index}]`;
    requireValues(grant.recipientTypes, RECIPIENT_TYPES, `${field}.recipientTypes`, {
      nonEmpty: true,
    });
    requireValues(grant.fieldGroups, FIELD_GROUPS, `${field}.fieldGroups`, { nonEmpty: true });
  });
}

function validateSealed(sealed: Readonly<SealedPersonalData>, threats: number): void {
  requireSealed(sealed.fullName, 'sealed.fullName');
  requireSealed(sealed.phone, 'sealed.phone');
  requireSealed(sealed.place, 'sealed.place');
  const narratives = requireList(sealed.threatNarratives, 'sealed.threatNarratives');
  if (narratives.length !== threats) {
    throw new ValidationError('sealed.threatNarratives must hold one narrative per threat');
  }
  narratives.forEach((narrative, index) => {
    requireSealed(narrative, `sealed.threatNarratives[${index}]`);
  });
}

/** Sealed, or empty for a field the NGO left out. Plaintext must never reach an event. */
function requireSealed(value: unknown, field: string): void {
  if (typeof value !== 'string' || (value !== '' && !SEALED.test(value))) {
    throw new ValidationError(`${field} must be a sealed value`);
  }
}

/** The facts in a fixed shape and order, for comparing a retry with the first submission. */
function factsKey(facts: CaseFacts): string {
  return JSON.stringify([
    facts.profile,
    facts.gender,
    facts.province,
    facts.outsideCapital,
    facts.familyExposed,
    facts.threats.map((threat) => [threat.kind, threat.occurredOn, threat.byArmedOrStateActor]),
    facts.needs,
    facts.consent.map((grant) => [grant.recipientTypes, grant.fieldGroups]),
  ]);
}
