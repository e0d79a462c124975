import { IdempotencyConflictError, IllegalStateError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import {
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireTimestamp,
} from '@aman/errors';
import { sameExcept } from './sameExcept.ts';
import {
  ACTS,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  SOURCE_RELIABILITIES,
  SOURCE_TYPES,
  VERIFICATION_STATUSES,
} from './vocabulary.ts';
import type {
  Act,
  Gender,
  PerpetratorCategory,
  Profile,
  SourceReliability,
  SourceType,
  VerificationStatus,
} from './vocabulary.ts';

/** One incident ("who did what to whom", HURIDOCS): `incident-<incidentId>`. */
export function incidentStream(incidentId: string): string {
  return `incident-${incidentId}`;
}

/** A victim: a case (by id), or an anonymous profile. Never a name. */
export type Victim =
  | { readonly caseId: string }
  | {
      readonly anonymous: {
        readonly profile: Profile;
        readonly gender: Gender;
        readonly province: string;
      };
    };

/** One act of the incident, against one victim, by one category of perpetrator. */
export type IncidentAct = {
  readonly act: Act;
  readonly victim: Victim;
  readonly perpetratorCategory: PerpetratorCategory;
};

/** Where the account comes from, and how far that source is believed: not how far it is verified. */
export type IncidentSource = { readonly type: SourceType; readonly reliability: SourceReliability };

/** Private: the incident as documented, with its anonymous victims; it stays in this context. */
export type IncidentDocumentedData = {
  readonly incidentId: string;
  /** YYYY-MM-DD. */
  readonly occurredOn: string;
  /** ISO 3166-2 subdivision code, e.g. AF-KAB. */
  readonly province: string;
  readonly acts: IncidentAct[];
  readonly sources: IncidentSource[];
  readonly verificationStatus: VerificationStatus;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type IncidentDocumented = DomainEvent<'IncidentDocumented', IncidentDocumentedData>;

/**
 * Public: aman.accountability.v1.IncidentRecorded as protobuf JSON, one per case among the
 * victims, so that case's risk is re-assessed. It carries the gravest act against that case.
 */
export type IncidentRecordedData = {
  readonly incidentId: string;
  /** The victim, by case id: no names. */
  readonly caseId: string;
  readonly act: Act;
  /** YYYY-MM-DD. */
  readonly occurredOn: string;
  /** ISO 3166-2 subdivision code, e.g. AF-KAB. */
  readonly province: string;
  readonly perpetratorCategory: PerpetratorCategory;
  readonly sourceType: SourceType;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type IncidentRecorded = DomainEvent<'IncidentRecorded', IncidentRecordedData>;

/** Private: the idempotency key the incident was recorded with, so a retry is recognised. */
export type IdempotencyKeyUsed = DomainEvent<
  'IdempotencyKeyUsed',
  { readonly incidentId: string; readonly idempotencyKey: string }
>;

/** Private: how far the incident is established changed. */
export type IncidentVerificationChanged = DomainEvent<
  'IncidentVerificationChanged',
  {
    readonly incidentId: string;
    readonly verificationStatus: VerificationStatus;
    readonly changedByOrganisationId: string;
    readonly changedAt: string;
  }
>;

export type IncidentEvent =
  IncidentDocumented | IncidentRecorded | IdempotencyKeyUsed | IncidentVerificationChanged;

export type RecordIncident = {
  readonly type: 'RecordIncident';
  readonly data: {
    readonly incidentId: string;
    readonly idempotencyKey: string;
    readonly occurredOn: string;
    readonly province: string;
    readonly acts: readonly IncidentAct[];
    readonly sources: readonly IncidentSource[];
    readonly verificationStatus: VerificationStatus;
    readonly recordedByOrganisationId: string;
    readonly recordedAt: string;
  };
};

export type SetIncidentVerification = {
  readonly type: 'SetIncidentVerification';
  readonly data: {
    readonly incidentId: string;
    readonly verificationStatus: VerificationStatus;
    readonly changedByOrganisationId: string;
    readonly changedAt: string;
  };
};
export type IncidentCommand = RecordIncident | SetIncidentVerification;

export type IncidentState =
  | { readonly status: 'NOT_RECORDED' }
  | {
      readonly status: 'RECORDED';
      readonly incident: IncidentDocumentedData;
      /** Null only between the events of one recording. */
      readonly idempotencyKey: string | null;
    };

// Printable ASCII without spaces, as long as the keys clients commonly send (Stripe: 255).
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const PROVINCE = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;
// The date is where the incident happened: up to UTC+14 is already the next day there.
const LATEST_OFFSET_MS = 14 * 60 * 60 * 1000;
// An event with more acts or sources than this is several events.
const MAX_ACTS = 50;
const MAX_SOURCES = 20;

function recordIncident(command: RecordIncident, state: IncidentState): IncidentEvent[] {
  const { data } = command;
  const idempotencyKey = requireIdempotencyKey(data.idempotencyKey);
  const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
  const incident: IncidentDocumentedData = {
    incidentId: requireIdentifier(data.incidentId, 'incidentId'),
    occurredOn: requireOccurredOn(data.occurredOn, recordedAt),
    province: requireProvince(data.province, 'province'),
    acts: requireActs(data.acts),
    sources: requireSources(data.sources),
    verificationStatus: requireOneOf(
      data.verificationStatus,
      VERIFICATION_STATUSES,
      'verificationStatus',
    ),
    recordedByOrganisationId: requireIdentifier(
      data.recordedByOrganisationId,
      'recordedByOrganisationId',
    ),
    recordedAt,
  };

  if (state.status === 'RECORDED') {
    if (state.idempotencyKey !== idempotencyKey) {
      throw new IllegalStateError('this incident id is already recorded under another request');
    }
    // A retry is recorded at a later time; everything the monitor said must be the same.
    if (sameIncident(state.incident, incident)) return [];
    throw new IdempotencyConflictError(
      'this idempotency key was already used to record a different incident',
    );
  }

  return [
    { type: 'IncidentDocumented', data: incident },
    ...recordedPerCase(incident),
    { type: 'IdempotencyKeyUsed', data: { incidentId: incident.incidentId, idempotencyKey } },
  ];
}

/** Acts from the gravest down: which one a case's IncidentRecorded names. */
const GRAVITY: readonly Act[] = [
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ABDUCTION',
  'ACT_ASSAULT',
  'ACT_ATTACK_ON_FAMILY',
  'ACT_ARBITRARY_DETENTION',
  'ACT_DEATH_THREAT',
  'ACT_HOUSE_RAID',
  'ACT_THREAT',
  'ACT_INTIMIDATION',
  'ACT_SURVEILLANCE',
  'ACT_HARASSMENT',
];

/** One public IncidentRecorded per case among the victims, with the gravest act against it. */
function recordedPerCase(incident: IncidentDocumentedData): IncidentRecorded[] {
  const gravest = new Map<string, IncidentAct>();
  for (const act of incident.acts) {
    if (!('caseId' in act.victim)) continue;
    const known = gravest.get(act.victim.caseId);
    if (known === undefined || GRAVITY.indexOf(act.act) < GRAVITY.indexOf(known.act)) {
      gravest.set(act.victim.caseId, act);
    }
  }
  const sourceType = incident.sources[0]?.type ?? 'SOURCE_TYPE_NGO';
  return [...gravest].map(([caseId, act]) => ({
    type: 'IncidentRecorded',
    data: {
      incidentId: incident.incidentId,
      caseId,
      act: act.act,
      occurredOn: incident.occurredOn,
      province: incident.province,
      perpetratorCategory: act.perpetratorCategory,
      sourceType,
      recordedByOrganisationId: incident.recordedByOrganisationId,
      recordedAt: incident.recordedAt,
    },
  }));
}

function setVerification(command: SetIncidentVerification, state: IncidentState): IncidentEvent[] {
  const { data } = command;
  const verificationStatus = requireOneOf(
    data.verificationStatus,
    VERIFICATION_STATUSES,
    'verificationStatus',
  );
  const changedAt = requireTimestamp(data.changedAt, 'changedAt');
  const changedByOrganisationId = requireIdentifier(
    data.changedByOrganisationId,
    'changedByOrganisationId',
  );
  if (state.status !== 'RECORDED') {
    throw new IllegalStateError('the incident is not recorded');
  }
  if (state.incident.verificationStatus === verificationStatus) return [];
  return [
    {
      type: 'IncidentVerificationChanged',
      data: {
        incidentId: state.incident.incidentId,
        verificationStatus,
        changedByOrganisationId,
        changedAt,
      },
    },
  ];
}

function requireIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError('idempotencyKey must be 1 to 255 printable ASCII characters');
  }
  return value;
}

function requireOccurredOn(value: unknown, recordedAt: string): string {
  const occurredOn = requireDate(value, 'occurredOn');
  const latest = new Date(Date.parse(recordedAt) + LATEST_OFFSET_MS).toISOString().slice(0, 10);
  if (occurredOn > latest) {
    throw new ValidationError('occurredOn must not be after the day the incident is recorded');
  }
  return occurredOn;
}

function requireProvince(value: unknown, field: string): string {
  if (typeof value !== 'string' || !PROVINCE.test(value)) {
    throw new ValidationError(`${field} must be an ISO 3166-2 subdivision code such as AF-KAB`);
  }
  return value;
}

function requireActs(value: readonly IncidentAct[]): IncidentAct[] {
  const list = requireList(value, 'acts') as readonly IncidentAct[];
  if (list.length === 0 || list.length > MAX_ACTS) {
    throw new ValidationError(`acts must list 1 to ${MAX_ACTS} acts`);
  }
  return list.map((given, index) => {
    const field = `acts[${index}]`;
    return {
      act: requireOneOf(given.act, ACTS, `${field}.act`),
      victim: requireVictim(given.victim, `${field}.victim`),
      perpetratorCategory: requireOneOf(
        given.perpetratorCategory,
        PERPETRATOR_CATEGORIES,
        `${field}.perpetratorCategory`,
      ),
    };
  });
}

function requireVictim(value: Victim | undefined, field: string): Victim {
  if (value !== undefined && 'caseId' in value) {
    return { caseId: requireIdentifier(value.caseId, `${field}.caseId`) };
  }
  if (value !== undefined && 'anonymous' in value) {
    const { anonymous } = value;
    return {
      anonymous: {
        profile: requireOneOf(anonymous.profile, PROFILES, `${field}.anonymous.profile`),
        gender: requireOneOf(anonymous.gender, GENDERS, `${field}.anonymous.gender`),
        province: requireProvince(anonymous.province, `${field}.anonymous.province`),
      },
    };
  }
  throw new ValidationError(`${field} must be a case id or an anonymous profile`);
}

function requireSources(value: readonly IncidentSource[]): IncidentSource[] {
  const list = requireList(value, 'sources') as readonly IncidentSource[];
  if (list.length === 0 || list.length > MAX_SOURCES) {
    throw new ValidationError(`sources must list 1 to ${MAX_SOURCES} sources`);
  }
  return list.map((given, index) => ({
    type: requireOneOf(given.type, SOURCE_TYPES, `sources[${index}].type`),
    reliability: requireOneOf(
      given.reliability,
      SOURCE_RELIABILITIES,
      `sources[${index}].reliability`,
    ),
  }));
}

function sameIncident(a: IncidentDocumentedData, b: IncidentDocumentedData): boolean {
  // A retry is recorded later, and the verification may have moved since.
  return sameExcept(a, b, ['recordedAt', 'verificationStatus']);
}

/** A stream recorded before incidents were documented in full: one act against one case. */
function fromRecorded(recorded: IncidentRecordedData): IncidentDocumentedData {
  return {
    incidentId: recorded.incidentId,
    occurredOn: recorded.occurredOn,
    province: recorded.province,
    acts: [
      {
        act: recorded.act,
        victim: { caseId: recorded.caseId },
        perpetratorCategory: recorded.perpetratorCategory,
      },
    ],
    sources: [{ type: recorded.sourceType, reliability: 'SOURCE_RELIABILITY_UNKNOWN' }],
    verificationStatus: 'VERIFICATION_STATUS_UNVERIFIED',
    recordedByOrganisationId: recorded.recordedByOrganisationId,
    recordedAt: recorded.recordedAt,
  };
}

/** Folds an incident's events: also what the monitor's read models use. */
export function evolveIncident(state: IncidentState, event: IncidentEvent): IncidentState {
  switch (event.type) {
    case 'IncidentDocumented':
      return { status: 'RECORDED', incident: event.data, idempotencyKey: null };
    case 'IncidentRecorded':
      return state.status === 'RECORDED'
        ? state
        : { status: 'RECORDED', incident: fromRecorded(event.data), idempotencyKey: null };
    case 'IdempotencyKeyUsed':
      return state.status === 'RECORDED'
        ? { ...state, idempotencyKey: event.data.idempotencyKey }
        : state;
    case 'IncidentVerificationChanged':
      return state.status === 'RECORDED'
        ? {
            ...state,
            incident: { ...state.incident, verificationStatus: event.data.verificationStatus },
          }
        : state;
  }
}

export const incidentDecider: Decider<IncidentState, IncidentCommand, IncidentEvent> = {
  initialState: () => ({ status: 'NOT_RECORDED' }),
  decide: (command, state) =>
    command.type === 'RecordIncident'
      ? recordIncident(command, state)
      : setVerification(command, state),
  evolve: evolveIncident,
};
