import { IllegalStateError, NotFoundError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { optionalSetOf, requireCodes, requireCount } from './provider.ts';
import { requireIdentifier, requireOneOf, requireSetOf, requireTimestamp } from './validation.ts';
import { GENDERS, NEEDS, PROFILES, PROGRAMME_STATUSES, RISK_LEVELS } from './vocabulary.ts';
import type { Gender, Need, Profile, ProgrammeStatus, RiskLevel } from './vocabulary.ts';

/** One programme a provider runs (an admission programme, a grant fund): `programme-<id>`. */
export function programmeStream(programmeId: string): string {
  return `programme-${programmeId}`;
}

/** Whom a programme takes; an empty list means anyone. As aman.referral.v1.Eligibility JSON. */
export type ProgrammeCriteria = {
  readonly profiles: Profile[];
  readonly riskLevels: RiskLevel[];
  readonly provinces: string[];
  readonly genders: Gender[];
};

/** Public: aman.referral.v1.ProgrammeDefined, once per criteria version. */
export type ProgrammeDefinedData = {
  readonly programmeId: string;
  readonly providerOrganisationId: string;
  readonly name: string;
  readonly services: Need[];
  readonly criteria: ProgrammeCriteria;
  readonly criteriaVersion: number;
  readonly quota: number;
  readonly definedAt: string;
};
export type ProgrammeDefined = DomainEvent<'ProgrammeDefined', ProgrammeDefinedData>;

/** Public: aman.referral.v1.ProgrammeStatusChanged. */
export type ProgrammeStatusChangedData = {
  readonly programmeId: string;
  readonly providerOrganisationId: string;
  readonly status: ProgrammeStatus;
  /** quota_reached when acceptances filled it; '' when an administrator set it. */
  readonly reason: string;
  readonly changedAt: string;
};
export type ProgrammeStatusChanged = DomainEvent<
  'ProgrammeStatusChanged',
  ProgrammeStatusChangedData
>;

/** Private: one acceptance took a place of the quota. */
export type ProgrammePlaceTakenData = {
  readonly programmeId: string;
  readonly referralId: string;
  readonly takenAt: string;
};
export type ProgrammePlaceTaken = DomainEvent<'ProgrammePlaceTaken', ProgrammePlaceTakenData>;

export type ProgrammeEvent = ProgrammeDefined | ProgrammeStatusChanged | ProgrammePlaceTaken;

export type DefineProgramme = {
  readonly type: 'DefineProgramme';
  readonly data: {
    readonly programmeId: string;
    readonly providerOrganisationId: string;
    readonly name: string;
    readonly services: readonly Need[];
    readonly criteria: {
      readonly profiles?: readonly Profile[];
      readonly riskLevels?: readonly RiskLevel[];
      readonly provinces?: readonly string[];
      readonly genders?: readonly Gender[];
    };
    readonly quota: number;
    readonly at: string;
  };
};

export type SetProgrammeStatus = {
  readonly type: 'SetProgrammeStatus';
  readonly data: { readonly status: ProgrammeStatus; readonly at: string };
};

/** A referral to the programme was accepted: it takes a place, once. */
export type TakePlace = {
  readonly type: 'TakePlace';
  readonly data: { readonly referralId: string; readonly at: string };
};

export type ProgrammeCommand = DefineProgramme | SetProgrammeStatus | TakePlace;

export type ProgrammeState =
  | { readonly status: 'UNDEFINED' }
  | {
      readonly status: ProgrammeStatus;
      readonly programme: ProgrammeDefinedData;
      readonly placesTaken: readonly string[];
    };

const QUOTA_REACHED = 'quota_reached';
const MAX_NAME_LENGTH = 200;

function isOneLine(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

function defineProgramme(command: DefineProgramme, state: ProgrammeState): ProgrammeEvent[] {
  const { data } = command;
  const name = typeof data.name === 'string' ? data.name.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !isOneLine(name)) {
    throw new ValidationError('name must be one line of 1 to 200 characters');
  }
  const criteria: ProgrammeCriteria = {
    profiles: optionalSetOf(data.criteria.profiles, PROFILES, 'criteria.profiles'),
    riskLevels: optionalSetOf(data.criteria.riskLevels, RISK_LEVELS, 'criteria.riskLevels'),
    provinces: requireCodes(
      data.criteria.provinces,
      /^[A-Z]{2}-[A-Z0-9]{1,3}$/,
      'criteria.provinces',
      'ISO 3166-2 province codes',
    ),
    genders: optionalSetOf(data.criteria.genders, GENDERS, 'criteria.genders'),
  };
  const defined = {
    programmeId: requireIdentifier(data.programmeId, 'programmeId'),
    providerOrganisationId: requireIdentifier(
      data.providerOrganisationId,
      'providerOrganisationId',
    ),
    name,
    services: requireSetOf(data.services, NEEDS, 'services'),
    criteria,
    quota: requireCount(data.quota, 'quota'),
  };
  const at = requireTimestamp(data.at, 'at');
  if (state.status === 'UNDEFINED') {
    return [
      { type: 'ProgrammeDefined', data: { ...defined, criteriaVersion: 1, definedAt: at } },
      {
        type: 'ProgrammeStatusChanged',
        data: {
          programmeId: defined.programmeId,
          providerOrganisationId: defined.providerOrganisationId,
          status: 'PROGRAMME_STATUS_OPEN',
          reason: '',
          changedAt: at,
        },
      },
    ];
  }
  const current = state.programme;
  if (current.providerOrganisationId !== defined.providerOrganisationId) {
    throw new IllegalStateError('this programme id belongs to another provider');
  }
  const { criteriaVersion } = current;
  const was = {
    programmeId: current.programmeId,
    providerOrganisationId: current.providerOrganisationId,
    name: current.name,
    services: current.services,
    criteria: current.criteria,
    quota: current.quota,
  };
  if (canonical(was) === canonical(defined)) return [];
  const events: ProgrammeEvent[] = [
    {
      type: 'ProgrammeDefined',
      data: { ...defined, criteriaVersion: criteriaVersion + 1, definedAt: at },
    },
  ];
  // A larger quota reopens a programme its quota had filled; a smaller one can fill it.
  const full = defined.quota > 0 && state.placesTaken.length >= defined.quota;
  if (full && state.status === 'PROGRAMME_STATUS_OPEN') {
    events.push(statusChanged(current, 'PROGRAMME_STATUS_FULL', QUOTA_REACHED, at));
  } else if (!full && state.status === 'PROGRAMME_STATUS_FULL') {
    events.push(statusChanged(current, 'PROGRAMME_STATUS_OPEN', '', at));
  }
  return events;
}

/** JSON with object keys in order, so that a stored definition compares by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : inner,
  );
}

function setStatus(command: SetProgrammeStatus, state: ProgrammeState): ProgrammeEvent[] {
  const status = requireOneOf(command.data.status, PROGRAMME_STATUSES, 'status');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'UNDEFINED') throw new NotFoundError('programme not found');
  if (state.status === status) return [];
  if (state.status === 'PROGRAMME_STATUS_CLOSED') {
    throw new IllegalStateError('a closed programme stays closed; define a new one');
  }
  const { quota } = state.programme;
  if (status === 'PROGRAMME_STATUS_OPEN' && quota > 0 && state.placesTaken.length >= quota) {
    throw new IllegalStateError('the programme’s quota is taken; raise it to reopen');
  }
  return [statusChanged(state.programme, status, '', at)];
}

function takePlace(command: TakePlace, state: ProgrammeState): ProgrammeEvent[] {
  const referralId = requireIdentifier(command.data.referralId, 'referralId');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'UNDEFINED') throw new NotFoundError('programme not found');
  if (state.placesTaken.includes(referralId)) return [];
  const events: ProgrammeEvent[] = [
    {
      type: 'ProgrammePlaceTaken',
      data: { programmeId: state.programme.programmeId, referralId, takenAt: at },
    },
  ];
  const { quota } = state.programme;
  if (
    state.status === 'PROGRAMME_STATUS_OPEN' &&
    quota > 0 &&
    state.placesTaken.length + 1 >= quota
  ) {
    events.push(statusChanged(state.programme, 'PROGRAMME_STATUS_FULL', QUOTA_REACHED, at));
  }
  return events;
}

function statusChanged(
  programme: ProgrammeDefinedData,
  status: ProgrammeStatus,
  reason: string,
  at: string,
): ProgrammeStatusChanged {
  return {
    type: 'ProgrammeStatusChanged',
    data: {
      programmeId: programme.programmeId,
      providerOrganisationId: programme.providerOrganisationId,
      status,
      reason,
      changedAt: at,
    },
  };
}

export const programmeDecider: Decider<ProgrammeState, ProgrammeCommand, ProgrammeEvent> = {
  initialState: () => ({ status: 'UNDEFINED' }),
  decide: (command, state) => {
    switch (command.type) {
      case 'DefineProgramme':
        return defineProgramme(command, state);
      case 'SetProgrammeStatus':
        return setStatus(command, state);
      case 'TakePlace':
        return takePlace(command, state);
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'ProgrammeDefined':
        return state.status === 'UNDEFINED'
          ? { status: 'PROGRAMME_STATUS_OPEN', programme: event.data, placesTaken: [] }
          : { ...state, programme: event.data };
      case 'ProgrammeStatusChanged':
        return state.status === 'UNDEFINED' ? state : { ...state, status: event.data.status };
      case 'ProgrammePlaceTaken':
        return state.status === 'UNDEFINED'
          ? state
          : { ...state, placesTaken: [...state.placesTaken, event.data.referralId] };
    }
  },
};
