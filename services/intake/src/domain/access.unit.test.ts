import { describe, expect, it } from '@jest/globals';

import type { StoredEvent } from '@aman/eventstore';

import { accessOf, recordFieldGroups } from './index.ts';

function stored(type: string, data: Record<string, unknown>): StoredEvent {
  return {
    id: 'e-1',
    stream: 's',
    version: 1,
    position: 1,
    schemaVersion: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    recordedAt: '2026-01-01T00:00:00.000Z',
    metadata: { actor: { organisationId: 'org-p', principalId: 'key_p' }, correlationId: 'c-1' },
    previousHash: '',
    hash: '',
    type,
    data,
  } as unknown as StoredEvent;
}

describe('the access audit', () => {
  const packet = { caseId: 'c-1', referralId: 'r-1', recipientOrganisationId: 'org-p' };

  it('reads a released packet as a read by the provider key that fetched it', () => {
    expect(
      accessOf(
        stored('PacketReleased', {
          ...packet,
          fieldGroups: ['FIELD_GROUP_IDENTITY'],
          releasedAt: '2026-01-02T10:00:00.5+01:00',
        }),
      ),
    ).toEqual({
      caseId: 'c-1',
      organisationId: 'org-p',
      organisationType: 'provider',
      keyId: 'key_p',
      kind: 'packet',
      outcome: 'read',
      fieldGroups: ['FIELD_GROUP_IDENTITY'],
      referralId: 'r-1',
      at: '2026-01-02T09:00:00.500Z',
    });
  });

  it('reads a refused packet as a refusal that opened nothing', () => {
    expect(
      accessOf(
        stored('PacketRefused', {
          ...packet,
          recipientType: 'RECIPIENT_TYPE_EMBASSY',
          reason: 'no_consent',
          refusedAt: '2026-01-02T09:00:00Z',
        }),
      ),
    ).toMatchObject({ outcome: 'refused', fieldGroups: [], keyId: 'key_p' });
  });

  it('reads an NGO’s record read from its own data, and nothing from other events', () => {
    expect(
      accessOf(
        stored('CaseRecordRead', {
          caseId: 'c-1',
          organisationId: 'org-n',
          organisationType: 'ngo',
          keyId: 'key_n',
          fieldGroups: recordFieldGroups(true),
          readAt: '2026-01-02T09:00:00.000Z',
        }),
      ),
    ).toMatchObject({
      kind: 'record',
      keyId: 'key_n',
      referralId: '',
      fieldGroups: [
        'FIELD_GROUP_IDENTITY',
        'FIELD_GROUP_CONTACT',
        'FIELD_GROUP_LOCATION',
        'FIELD_GROUP_THREATS',
        'FIELD_GROUP_CIRCUMSTANCES',
      ],
    });
    expect(recordFieldGroups(false)).toEqual([]);
    expect(accessOf(stored('CaseSubmitted', { caseId: 'c-1' }))).toBeUndefined();
    expect(accessOf(stored('PersonalDataSealed', { caseId: 'c-1' }))).toBeUndefined();
  });
});
