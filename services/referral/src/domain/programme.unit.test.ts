import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { programmeDecider, programmeStream } from './programme.ts';
import type {
  DefineProgramme,
  ProgrammeDefined,
  ProgrammeEvent,
  ProgrammePlaceTaken,
  ProgrammeStatusChanged,
} from './programme.ts';
import type { ProgrammeStatus } from './vocabulary.ts';

const AT = '2025-03-01T10:00:00.000Z';

const define: DefineProgramme = {
  type: 'DefineProgramme',
  data: {
    programmeId: 'de-bap-2022',
    providerOrganisationId: 'org-embassy',
    name: 'Federal admission programme',
    services: ['NEED_RELOCATION_ABROAD'],
    criteria: {
      profiles: ['PROFILE_WOMEN_RIGHTS_DEFENDER', 'PROFILE_JOURNALIST'],
      riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
      provinces: [],
      genders: [],
    },
    quota: 2,
    at: AT,
  },
};

const defined: ProgrammeDefined = {
  type: 'ProgrammeDefined',
  data: {
    programmeId: 'de-bap-2022',
    providerOrganisationId: 'org-embassy',
    name: 'Federal admission programme',
    services: ['NEED_RELOCATION_ABROAD'],
    criteria: {
      profiles: ['PROFILE_JOURNALIST', 'PROFILE_WOMEN_RIGHTS_DEFENDER'],
      riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
      provinces: [],
      genders: [],
    },
    criteriaVersion: 1,
    quota: 2,
    definedAt: AT,
  },
};

const status = (to: ProgrammeStatus, reason = '', changedAt = AT): ProgrammeStatusChanged => ({
  type: 'ProgrammeStatusChanged',
  data: {
    programmeId: 'de-bap-2022',
    providerOrganisationId: 'org-embassy',
    status: to,
    reason,
    changedAt,
  },
});

const taken = (referralId: string): ProgrammePlaceTaken => ({
  type: 'ProgrammePlaceTaken',
  data: { programmeId: 'de-bap-2022', referralId, takenAt: AT },
});

const open: ProgrammeEvent[] = [defined, status('PROGRAMME_STATUS_OPEN')];
const take = (referralId: string) => ({ type: 'TakePlace', data: { referralId, at: AT } }) as const;
const set = (to: ProgrammeStatus) =>
  ({ type: 'SetProgrammeStatus', data: { status: to, at: AT } }) as const;

describe('programmes', () => {
  const spec = DeciderSpecification.for(programmeDecider);

  it('keeps each programme in its own stream', () => {
    expect(programmeStream('de-bap-2022')).toBe('programme-de-bap-2022');
  });

  it('defines a programme at criteria version 1, open', () => {
    spec.given([]).when(define).then(open);
  });

  it('decides nothing for the same definition again', () => {
    spec.given(open).when(define).thenNothingHappened();
  });

  it('makes a new criteria version when the criteria change', () => {
    const narrower = {
      ...define,
      data: {
        ...define.data,
        criteria: { ...define.data.criteria, provinces: ['AF-KAB'] },
        at: '2025-04-01T10:00:00Z',
      },
    };
    spec
      .given(open)
      .when(narrower)
      .then({
        ...defined,
        data: {
          ...defined.data,
          criteria: { ...defined.data.criteria, provinces: ['AF-KAB'] },
          criteriaVersion: 2,
          definedAt: '2025-04-01T10:00:00.000Z',
        },
      });
  });

  it('refuses a programme id of another provider', () => {
    spec
      .given(open)
      .when({ ...define, data: { ...define.data, providerOrganisationId: 'org-other' } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('counts each acceptance once and fills at its quota', () => {
    spec.given(open).when(take('ref-1')).then(taken('ref-1'));
    spec
      .given([...open, taken('ref-1')])
      .when(take('ref-1'))
      .thenNothingHappened();
    spec
      .given([...open, taken('ref-1')])
      .when(take('ref-2'))
      .then([taken('ref-2'), status('PROGRAMME_STATUS_FULL', 'quota_reached')]);
  });

  it('never fills a programme without a quota', () => {
    const unlimited = [
      { ...defined, data: { ...defined.data, quota: 0 } },
      status('PROGRAMME_STATUS_OPEN'),
    ];
    spec
      .given([...unlimited, taken('ref-1'), taken('ref-2')])
      .when(take('ref-3'))
      .then(taken('ref-3'));
  });

  it('reopens a full programme whose quota is raised', () => {
    const full = [
      ...open,
      taken('ref-1'),
      taken('ref-2'),
      status('PROGRAMME_STATUS_FULL', 'quota_reached'),
    ];
    spec
      .given(full)
      .when({ ...define, data: { ...define.data, quota: 3 } })
      .then([
        { ...defined, data: { ...defined.data, quota: 3, criteriaVersion: 2 } },
        status('PROGRAMME_STATUS_OPEN'),
      ]);
    spec.given(full).when(set('PROGRAMME_STATUS_OPEN')).thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('suspends, reopens and closes for good', () => {
    spec
      .given(open)
      .when(set('PROGRAMME_STATUS_SUSPENDED'))
      .then(status('PROGRAMME_STATUS_SUSPENDED'));
    spec
      .given([...open, status('PROGRAMME_STATUS_SUSPENDED')])
      .when(set('PROGRAMME_STATUS_OPEN'))
      .then(status('PROGRAMME_STATUS_OPEN'));
    spec.given(open).when(set('PROGRAMME_STATUS_CLOSED')).then(status('PROGRAMME_STATUS_CLOSED'));
    spec
      .given([...open, status('PROGRAMME_STATUS_CLOSED')])
      .when(set('PROGRAMME_STATUS_OPEN'))
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec.given(open).when(set('PROGRAMME_STATUS_OPEN')).thenNothingHappened();
  });

  it('refuses what does not exist or is not valid', () => {
    spec.given([]).when(set('PROGRAMME_STATUS_CLOSED')).thenThrows('AMAN_ERR_NOT_FOUND');
    spec.given([]).when(take('ref-1')).thenThrows('AMAN_ERR_NOT_FOUND');
    spec
      .given([])
      .when({ ...define, data: { ...define.data, quota: -1 } })
      .thenThrows('AMAN_ERR_VALIDATION');
    spec
      .given([])
      .when({ ...define, data: { ...define.data, name: 'two\nlines' } })
      .thenThrows('AMAN_ERR_VALIDATION');
    spec
      .given(open)
      .when(set('PROGRAMME_STATUS_PAUSED' as never))
      .thenThrows('AMAN_ERR_VALIDATION');
  });
});
