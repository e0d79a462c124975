import {
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
  epochDay,
  requireBoolean,
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireText,
  requireTimestamp,
  requireValues,
} from '@aman/errors';
import type { Decider } from '@aman/eventstore';

import type {
  CaseCommand,
  CaseFacts,
  EraseCase,
  FlagDuplicate,
  RecordMatchChange,
  ReleasePacket,
  ReportThreat,
  RespondToDuplicate,
  SubmitCase,
  UpdateCase,
  UpdateConsent,
  WithdrawCase,
} from './commands.ts';
import { consentNarrowed, consentedFieldGroups } from './consent.ts';
import type { CaseEvent, CaseFactsData, PersonalDataSealedData, SealedIdentity } from './events.ts';
import {
  CONSENT_METHODS,
  DUPLICATE_RESPONSES,
  FEASIBILITIES,
  FIELD_GROUPS,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  THREAT_KINDS,
  THREAT_OBJECTIVES,
  THREAT_SOURCES,
  WITHDRAWAL_REASONS,
  type Consent,
  type DuplicateMatchStatus,
  type ThreatFact,
} from './vocabulary.ts';

/** One stream per case. */
export function caseStream(caseId: string): string {
  return `case-${caseId}`;
}

export type CaseStatus = 'open' | 'withdrawn' | 'erased';

/** A likely duplicate as this case's NGO may know it. */
export type DuplicateMatch = {
  readonly matchId: string;
  readonly role: 'holder' | 'submitter';
  readonly status: DuplicateMatchStatus;
  /** Who proposed the link, while one is proposed. */
  readonly proposedBy: 'this_organisation' | 'other_organisation' | undefined;
  readonly detectedAt: string;
  readonly linkedCaseId: string | undefined;
};

export type CaseState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly caseId: string;
      readonly organisationId: string;
      readonly status: CaseStatus;
      readonly facts: CaseFacts;
      readonly consent: Consent;
      readonly submittedAt: string;
      /** What a retry of the submission must match. */
      readonly submission: string;
      /** Appended together with CaseSubmitted, so undefined only between the two events. */
      readonly personalData: PersonalDataSealedData | undefined;
      /** The idempotency keys of reported threats, with their facts, for retries. */
      readonly reportedThreats: ReadonlyMap<string, string>;
      readonly duplicates: ReadonlyMap<string, DuplicateMatch>;
    };

type ExistingCase = Extract<CaseState, { exists: true }>;

/** The same words whether the case is missing or its consent excludes the recipient: a
 * recipient outside the consent does not even learn that the case exists. */
const NO_PACKET = 'no packet for this case and recipient type';
/** The same words for a missing case and another organisation's case. */
const NO_CASE = 'no such case';

/** ISO 3166-2: the country's alpha-2 code, a hyphen, one to three letters or digits. */
const PROVINCE = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;

/** `@aman/crypto`'s `v1.<nonce>.<ciphertext>.<tag>`, loosely: a guard against plaintext. */
const SEALED = /^v[1-9][0-9]*(\.[A-Za-z0-9_-]*){2,}$/;

/** Threat dates may run a day ahead of the command's UTC date: the NGO's day can be later. */
const DATE_SLACK_DAYS = 1;

/** Bounds that keep one case's stream reasonable. */
const MAX_THREATS = 200;
const MAX_GRANTS = 20;
const MAX_NAMED_PROVIDERS = 50;

function initialState(): CaseState {
  return { exists: false };
}

function decide(command: CaseCommand, state: CaseState): CaseEvent[] {
  switch (command.type) {
    case 'SubmitCase':
      return submitCase(command.data, state);
    case 'UpdateCase':
      return updateCase(command.data, state);
    case 'UpdateConsent':
      return updateConsent(command.data, state);
    case 'ReportThreat':
      return reportThreat(command.data, state);
    case 'WithdrawCase':
      return withdrawCase(command.data, state);
    case 'EraseCase':
      return eraseCase(command.data, state);
    case 'ReleasePacket':
      return releasePacket(command.data, state);
    case 'FlagDuplicate':
      return flagDuplicate(command.data, state);
    case 'RespondToDuplicate':
      return respondToDuplicate(command.data, state);
    case 'RecordMatchChange':
      return recordMatchChange(command.data, state);
  }
}

function submitCase(command: SubmitCase['data'], state: CaseState): CaseEvent[] {
  requireIdentifier(command.caseId, 'caseId');
  requireIdentifier(command.organisationId, 'organisationId');
  requireIdentifier(command.principalId, 'principalId');
  requireText(command.idempotencyKey, 'idempotencyKey');
  requireIdentifier(command.dataKeyId, 'dataKeyId');
  const submittedAt = requireTimestamp(command.submittedAt, 'submittedAt');
  validateFacts(command.facts, 'facts');
  validateThreats(command.facts.threats, submittedAt, 'facts.threats');
  const consent = validateConsent(command.consent, submittedAt);
  validateIdentity(command.sealed, 'sealed');
  const narratives = requireList(command.sealed.threatNarratives, 'sealed.threatNarratives');
  if (narratives.length !== command.facts.threats.length) {
    throw new ValidationError('sealed.threatNarratives must hold one narrative per threat');
  }
  narratives.forEach((narrative, index) => {
    requireSealed(narrative, `sealed.threatNarratives[${index}]`);
  });
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
    if (state.submission !== submissionKey(facts, facts.threats, consent.grants)) {
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
        ...factsData(facts),
        threats: facts.threats.map(threatData),
        consent: consent.grants,
        submittedAt,
      },
    },
    {
      type: 'PersonalDataSealed',
      data: {
        caseId,
        dataKeyId,
        idempotencyKey,
        sealed: { ...identityData(sealed), threatNarratives: [...sealed.threatNarratives] },
      },
    },
    {
      type: 'ConsentRecorded',
      data: { caseId, consent, recordedBy: command.principalId, recordedAt: submittedAt },
    },
  ];
}

function updateCase(command: UpdateCase['data'], state: CaseState): CaseEvent[] {
  const current = ownOpenCase(command, state);
  const updatedAt = requireTimestamp(command.updatedAt, 'updatedAt');
  validateFacts(command.facts, 'facts');
  if (command.sealed !== undefined) validateIdentity(command.sealed, 'sealed');
  const events: CaseEvent[] = [
    {
      type: 'CaseFactsUpdated',
      data: {
        caseId: current.caseId,
        organisationId: current.organisationId,
        ...factsData(command.facts),
        updatedAt,
      },
    },
  ];
  if (command.sealed !== undefined) {
    events.push({
      type: 'PersonalDataUpdated',
      data: { caseId: current.caseId, sealed: identityData(command.sealed) },
    });
  }
  return events;
}

function updateConsent(command: UpdateConsent['data'], state: CaseState): CaseEvent[] {
  const current = ownOpenCase(command, state);
  const updatedAt = requireTimestamp(command.updatedAt, 'updatedAt');
  const consent = validateConsent(command.consent, updatedAt);
  return [
    {
      type: 'ConsentRecorded',
      data: {
        caseId: current.caseId,
        consent,
        recordedBy: command.principalId,
        recordedAt: updatedAt,
      },
    },
    {
      type: 'ConsentUpdated',
      data: {
        caseId: current.caseId,
        organisationId: current.organisationId,
        consent: consent.grants,
        narrowed: consentNarrowed(current.consent.grants, consent.grants),
        updatedAt,
      },
    },
  ];
}

function reportThreat(command: ReportThreat['data'], state: CaseState): CaseEvent[] {
  const current = ownOpenCase(command, state);
  requireText(command.idempotencyKey, 'idempotencyKey');
  const reportedAt = requireTimestamp(command.reportedAt, 'reportedAt');
  validateThreats([command.threat], reportedAt, 'threat');
  requireSealed(command.narrative, 'narrative');
  const threat = threatData(command.threat);
  const earlier = current.reportedThreats.get(command.idempotencyKey);
  if (earlier !== undefined) {
    if (earlier !== JSON.stringify(threat)) {
      throw new IdempotencyConflictError(
        'this idempotency key was already used to report another threat',
      );
    }
    return [];
  }
  if (current.facts.threats.length >= MAX_THREATS) {
    throw new ValidationError(`a case holds at most ${MAX_THREATS} threats`);
  }
  return [
    {
      type: 'ThreatReported',
      data: {
        caseId: current.caseId,
        organisationId: current.organisationId,
        threat,
        reportedAt,
      },
    },
    {
      type: 'ThreatNarrativeSealed',
      data: {
        caseId: current.caseId,
        idempotencyKey: command.idempotencyKey,
        index: current.facts.threats.length,
        narrative: command.narrative,
      },
    },
  ];
}

function withdrawCase(command: WithdrawCase['data'], state: CaseState): CaseEvent[] {
  const current = ownCase(command, state);
  requireOneOf(command.reason, WITHDRAWAL_REASONS, 'reason');
  const withdrawnAt = requireTimestamp(command.withdrawnAt, 'withdrawnAt');
  if (current.status === 'withdrawn') return [];
  if (current.status === 'erased') throw new IllegalStateError('the case is erased');
  return [
    {
      type: 'CaseWithdrawn',
      data: {
        caseId: current.caseId,
        organisationId: current.organisationId,
        reason: command.reason,
        withdrawnAt,
      },
    },
  ];
}

function eraseCase(command: EraseCase['data'], state: CaseState): CaseEvent[] {
  const current = ownCase(command, state);
  const erasedAt = requireTimestamp(command.erasedAt, 'erasedAt');
  if (current.status === 'erased') return [];
  return [
    {
      type: 'CaseErased',
      data: { caseId: current.caseId, organisationId: current.organisationId, erasedAt },
    },
  ];
}

function releasePacket(command: ReleasePacket['data'], state: CaseState): CaseEvent[] {
  requireIdentifier(command.caseId, 'caseId');
  requireIdentifier(command.referralId, 'referralId');
  requireIdentifier(command.recipientOrganisationId, 'recipientOrganisationId');
  requireOneOf(command.recipientType, RECIPIENT_TYPES, 'recipientType');
  const at = requireTimestamp(command.releasedAt, 'releasedAt');
  if (!state.exists) throw new NotFoundError(NO_PACKET);
  requireSameCase(state.caseId, command.caseId);
  const audit = {
    caseId: command.caseId,
    referralId: command.referralId,
    recipientOrganisationId: command.recipientOrganisationId,
  };
  const refused = (reason: 'no_consent' | 'withdrawn' | 'erased'): CaseEvent[] => [
    {
      type: 'PacketRefused',
      data: { ...audit, recipientType: command.recipientType, reason, refusedAt: at },
    },
  ];
  if (state.status !== 'open') return refused(state.status);
  // No consent, no referral: a recipient the consent does not cover gets nothing.
  const groups = consentedFieldGroups(state.consent.grants, {
    type: command.recipientType,
    organisationId: command.recipientOrganisationId,
  });
  if (groups.length === 0) return refused('no_consent');
  // Every release is recorded, a repeated fetch too: each read of personal data is audited.
  return [{ type: 'PacketReleased', data: { ...audit, fieldGroups: groups, releasedAt: at } }];
}

function flagDuplicate(command: FlagDuplicate['data'], state: CaseState): CaseEvent[] {
  requireIdentifier(command.matchId, 'matchId');
  requireOneOf(command.role, ['holder', 'submitter'] as const, 'role');
  const detectedAt = requireTimestamp(command.detectedAt, 'detectedAt');
  if (!state.exists) throw new NotFoundError(NO_CASE);
  requireSameCase(state.caseId, command.caseId);
  if (state.duplicates.has(command.matchId)) return [];
  return [
    {
      type: 'DuplicateSuspected',
      data: { caseId: state.caseId, matchId: command.matchId, role: command.role, detectedAt },
    },
  ];
}

function respondToDuplicate(command: RespondToDuplicate['data'], state: CaseState): CaseEvent[] {
  const current = ownCase(command, state);
  requireIdentifier(command.matchId, 'matchId');
  requireIdentifier(command.otherCaseId, 'otherCaseId');
  requireOneOf(command.response, DUPLICATE_RESPONSES, 'response');
  const changedAt = requireTimestamp(command.respondedAt, 'respondedAt');
  const match = current.duplicates.get(command.matchId);
  // A submitter's NGO does not know of the match until the holder's NGO proposes a link.
  if (match === undefined || !visible(match)) throw new NotFoundError('no such duplicate match');
  const changed = (
    status: 'link_proposed' | 'linked' | 'dismissed',
    linkedCaseId?: string,
  ): CaseEvent[] => [
    {
      type: 'DuplicateMatchChanged',
      data: {
        caseId: current.caseId,
        matchId: match.matchId,
        status,
        by: 'this_organisation',
        ...(linkedCaseId === undefined ? {} : { linkedCaseId }),
        changedAt,
      },
    },
  ];
  const link = command.response === 'DUPLICATE_RESPONSE_LINK';
  switch (match.status) {
    case 'DUPLICATE_MATCH_STATUS_SUSPECTED':
      return link ? changed('link_proposed') : changed('dismissed');
    case 'DUPLICATE_MATCH_STATUS_LINK_PROPOSED':
      if (!link) return changed('dismissed');
      // Asking twice is a retry; agreeing to the other NGO's proposal links the cases.
      return match.proposedBy === 'this_organisation' ? [] : changed('linked', command.otherCaseId);
    case 'DUPLICATE_MATCH_STATUS_LINKED':
      if (link) return [];
      throw new IllegalStateError('the cases are linked already');
    case 'DUPLICATE_MATCH_STATUS_DISMISSED':
      if (!link) return [];
      throw new IllegalStateError('the match was dismissed');
  }
}

function recordMatchChange(command: RecordMatchChange['data'], state: CaseState): CaseEvent[] {
  requireIdentifier(command.matchId, 'matchId');
  const changedAt = requireTimestamp(command.changedAt, 'changedAt');
  if (!state.exists) throw new NotFoundError(NO_CASE);
  requireSameCase(state.caseId, command.caseId);
  const match = state.duplicates.get(command.matchId);
  if (match === undefined) throw new NotFoundError('no such duplicate match');
  const target: Record<RecordMatchChange['data']['status'], DuplicateMatchStatus> = {
    link_proposed: 'DUPLICATE_MATCH_STATUS_LINK_PROPOSED',
    linked: 'DUPLICATE_MATCH_STATUS_LINKED',
    dismissed: 'DUPLICATE_MATCH_STATUS_DISMISSED',
  };
  if (match.status === target[command.status]) return [];
  if (command.status === 'linked') requireIdentifier(command.linkedCaseId, 'linkedCaseId');
  return [
    {
      type: 'DuplicateMatchChanged',
      data: {
        caseId: state.caseId,
        matchId: command.matchId,
        status: command.status,
        by: 'other_organisation',
        ...(command.status === 'linked' && command.linkedCaseId !== undefined
          ? { linkedCaseId: command.linkedCaseId }
          : {}),
        changedAt,
      },
    },
  ];
}

/** Whether this case's NGO may see the match. */
export function visible(match: DuplicateMatch): boolean {
  return match.role === 'holder' || match.status !== 'DUPLICATE_MATCH_STATUS_SUSPECTED';
}

function evolve(state: CaseState, event: CaseEvent): CaseState {
  if (event.type === 'CaseSubmitted') {
    const { caseId, organisationId, submittedAt, consent, ...facts } = event.data;
    return {
      exists: true,
      caseId,
      organisationId,
      status: 'open',
      facts,
      // The method and time arrive with ConsentRecorded, right after.
      consent: { grants: consent, method: 'CONSENT_METHOD_IN_PERSON', obtainedAt: submittedAt },
      submittedAt,
      submission: submissionKey(facts, facts.threats, consent),
      personalData: undefined,
      reportedThreats: new Map(),
      duplicates: new Map(),
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'PersonalDataSealed':
      return { ...state, personalData: event.data };
    case 'PersonalDataUpdated': {
      const { personalData } = state;
      if (personalData === undefined) return state;
      const sealed = { ...personalData.sealed, ...event.data.sealed };
      return { ...state, personalData: { ...personalData, sealed } };
    }
    case 'ConsentRecorded':
      return { ...state, consent: event.data.consent };
    case 'CaseFactsUpdated':
      return { ...state, facts: { ...factsData(event.data), threats: state.facts.threats } };
    case 'ThreatReported': {
      const threats = [...state.facts.threats, event.data.threat];
      return { ...state, facts: { ...state.facts, threats } };
    }
    case 'ThreatNarrativeSealed': {
      const reportedThreats = new Map(state.reportedThreats);
      const threat = state.facts.threats[event.data.index];
      if (threat !== undefined) {
        reportedThreats.set(event.data.idempotencyKey, JSON.stringify(threatData(threat)));
      }
      const { personalData } = state;
      if (personalData === undefined) return { ...state, reportedThreats };
      const threatNarratives = [...personalData.sealed.threatNarratives];
      threatNarratives[event.data.index] = event.data.narrative;
      return {
        ...state,
        reportedThreats,
        personalData: { ...personalData, sealed: { ...personalData.sealed, threatNarratives } },
      };
    }
    case 'CaseWithdrawn':
      return state.status === 'erased' ? state : { ...state, status: 'withdrawn' };
    case 'CaseErased':
      return { ...state, status: 'erased' };
    case 'DuplicateSuspected': {
      const duplicates = new Map(state.duplicates);
      duplicates.set(event.data.matchId, {
        matchId: event.data.matchId,
        role: event.data.role,
        status: 'DUPLICATE_MATCH_STATUS_SUSPECTED',
        proposedBy: undefined,
        detectedAt: event.data.detectedAt,
        linkedCaseId: undefined,
      });
      return { ...state, duplicates };
    }
    case 'DuplicateMatchChanged': {
      const match = state.duplicates.get(event.data.matchId);
      if (match === undefined) return state;
      const duplicates = new Map(state.duplicates);
      const status: Record<typeof event.data.status, DuplicateMatchStatus> = {
        link_proposed: 'DUPLICATE_MATCH_STATUS_LINK_PROPOSED',
        linked: 'DUPLICATE_MATCH_STATUS_LINKED',
        dismissed: 'DUPLICATE_MATCH_STATUS_DISMISSED',
      };
      duplicates.set(match.matchId, {
        ...match,
        status: status[event.data.status],
        proposedBy: event.data.status === 'link_proposed' ? event.data.by : undefined,
        linkedCaseId: event.data.linkedCaseId,
      });
      return { ...state, duplicates };
    }
    // ConsentRecorded, appended with ConsentUpdated, carries the consent.
    case 'ConsentUpdated':
    case 'PacketReleased':
    case 'PacketRefused':
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

/** The case, when it is this organisation's; another's reads as missing. */
function ownCase(
  command: {
    readonly caseId: string;
    readonly organisationId: string;
    readonly principalId: string;
  },
  state: CaseState,
): ExistingCase {
  requireIdentifier(command.caseId, 'caseId');
  requireIdentifier(command.organisationId, 'organisationId');
  requireIdentifier(command.principalId, 'principalId');
  if (!state.exists || state.organisationId !== command.organisationId) {
    throw new NotFoundError(NO_CASE);
  }
  requireSameCase(state.caseId, command.caseId);
  return state;
}

function ownOpenCase(
  command: {
    readonly caseId: string;
    readonly organisationId: string;
    readonly principalId: string;
  },
  state: CaseState,
): ExistingCase {
  const current = ownCase(command, state);
  if (current.status !== 'open') throw new IllegalStateError(`the case is ${current.status}`);
  return current;
}

function validateFacts(facts: Readonly<CaseFactsData>, field: string): void {
  requireOneOf(facts.profile, PROFILES, `${field}.profile`);
  requireOneOf(facts.gender, GENDERS, `${field}.gender`);
  if (typeof facts.province !== 'string' || !PROVINCE.test(facts.province)) {
    throw new ValidationError(`${field}.province must be an ISO 3166-2 code such as AF-KAB`);
  }
  requireBoolean(facts.outsideCapital, `${field}.outsideCapital`);
  requireBoolean(facts.familyExposed, `${field}.familyExposed`);
  requireValues(facts.needs, NEEDS, `${field}.needs`, { nonEmpty: true });
  // Typed, but from the wire: checked as if anything could be missing.
  const given = facts as Partial<CaseFactsData>;
  const vulnerabilities: Partial<CaseFactsData['vulnerabilities']> = given.vulnerabilities ?? {};
  requireBoolean(vulnerabilities.minority, `${field}.vulnerabilities.minority`);
  requireBoolean(vulnerabilities.disability, `${field}.vulnerabilities.disability`);
  requireBoolean(vulnerabilities.publicVisibility, `${field}.vulnerabilities.publicVisibility`);
  const capacities: Partial<CaseFactsData['capacities']> = given.capacities ?? {};
  requireBoolean(capacities.supportNetwork, `${field}.capacities.supportNetwork`);
  requireBoolean(capacities.relocationOptions, `${field}.capacities.relocationOptions`);
  requireBoolean(capacities.digitalSecurity, `${field}.capacities.digitalSecurity`);
}

function validateThreats(threats: readonly ThreatFact[], at: string, field: string): void {
  const latestDay = epochDay(at.slice(0, 10)) + DATE_SLACK_DAYS;
  const list = requireList(threats, field);
  if (list.length > MAX_THREATS) throw new ValidationError(`${field} holds at most ${MAX_THREATS}`);
  threats.forEach((threat, index) => {
    const name = threats.length === 1 && field === 'threat' ? field : `${field}[${index}]`;
    requireOneOf(threat.kind, THREAT_KINDS, `${name}.kind`);
    if (epochDay(requireDate(threat.occurredOn, `${name}.occurredOn`)) > latestDay) {
      throw new ValidationError(`${name}.occurredOn is in the future`);
    }
    requireOneOf(threat.source, THREAT_SOURCES, `${name}.source`);
    requireOneOf(threat.objective, THREAT_OBJECTIVES, `${name}.objective`);
    requireOneOf(threat.feasibility, FEASIBILITIES, `${name}.feasibility`);
    requireBoolean(threat.declared, `${name}.declared`);
  });
}

/** Checks the consent and returns it with its time in UTC, no later than the command. */
function validateConsent(consent: Consent, at: string): Consent {
  const grants = requireList((consent as Partial<Consent> | undefined)?.grants, 'consent.grants');
  if (grants.length > MAX_GRANTS) {
    throw new ValidationError(`consent.grants holds at most ${MAX_GRANTS} grants`);
  }
  consent.grants.forEach((grant, index) => {
    const field = `consent.grants[${index}]`;
    requireValues(grant.recipientTypes, RECIPIENT_TYPES, `${field}.recipientTypes`, {
      nonEmpty: false,
    });
    const providers = requireList(grant.providerIds, `${field}.providerIds`);
    if (providers.length > MAX_NAMED_PROVIDERS) {
      throw new ValidationError(`${field}.providerIds holds at most ${MAX_NAMED_PROVIDERS}`);
    }
    providers.forEach((id, i) => requireIdentifier(id, `${field}.providerIds[${i}]`));
    if (grant.recipientTypes.length === 0 && providers.length === 0) {
      throw new ValidationError(`${field} must name recipient types or providers`);
    }
    requireValues(grant.fieldGroups, FIELD_GROUPS, `${field}.fieldGroups`, { nonEmpty: true });
  });
  requireOneOf(consent.method, CONSENT_METHODS, 'consent.method');
  const obtainedAt = requireTimestamp(consent.obtainedAt, 'consent.obtainedAt');
  if (Date.parse(obtainedAt) > Date.parse(at) + 5 * 60_000) {
    throw new ValidationError('consent.obtainedAt is in the future');
  }
  return {
    grants: consent.grants.map((grant) => ({
      recipientTypes: [...grant.recipientTypes],
      fieldGroups: [...grant.fieldGroups],
      providerIds: [...grant.providerIds],
    })),
    method: consent.method,
    obtainedAt,
  };
}

function validateIdentity(sealed: Readonly<SealedIdentity>, field: string): void {
  requireSealed((sealed as Partial<SealedIdentity> | undefined)?.fullName, `${field}.fullName`);
  requireSealed(sealed.phone, `${field}.phone`);
  requireSealed(sealed.place, `${field}.place`);
  requireSealed(sealed.dateOfBirth, `${field}.dateOfBirth`);
}

/** Sealed, or empty for a field the NGO left out. Plaintext must never reach an event. */
function requireSealed(value: unknown, field: string): void {
  if (typeof value !== 'string' || (value !== '' && !SEALED.test(value))) {
    throw new ValidationError(`${field} must be a sealed value`);
  }
}

function factsData(facts: Readonly<CaseFactsData>): CaseFactsData {
  return {
    profile: facts.profile,
    gender: facts.gender,
    province: facts.province,
    outsideCapital: facts.outsideCapital,
    familyExposed: facts.familyExposed,
    needs: [...facts.needs],
    vulnerabilities: {
      minority: facts.vulnerabilities.minority,
      disability: facts.vulnerabilities.disability,
      publicVisibility: facts.vulnerabilities.publicVisibility,
    },
    capacities: {
      supportNetwork: facts.capacities.supportNetwork,
      relocationOptions: facts.capacities.relocationOptions,
      digitalSecurity: facts.capacities.digitalSecurity,
    },
  };
}

function threatData(threat: ThreatFact): ThreatFact {
  return {
    kind: threat.kind,
    occurredOn: threat.occurredOn,
    source: threat.source,
    objective: threat.objective,
    feasibility: threat.feasibility,
    declared: threat.declared,
  };
}

function identityData(sealed: Readonly<SealedIdentity>): SealedIdentity {
  return {
    fullName: sealed.fullName,
    phone: sealed.phone,
    place: sealed.place,
    dateOfBirth: sealed.dateOfBirth,
  };
}

/** A submission's facts, threats and grants in a fixed shape, for comparing a retry with it. */
function submissionKey(
  facts: Readonly<CaseFactsData>,
  threats: readonly ThreatFact[],
  grants: Consent['grants'],
): string {
  // Fixed key order: what the store gives back may order keys otherwise (canonical JSON).
  const grantsData = grants.map((grant) => ({
    recipientTypes: grant.recipientTypes,
    fieldGroups: grant.fieldGroups,
    providerIds: grant.providerIds,
  }));
  return JSON.stringify([factsData(facts), threats.map(threatData), grantsData]);
}
