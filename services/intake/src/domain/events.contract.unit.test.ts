/*
 * Pins intake's vocabularies and public events to proto/ (the domain code itself never imports
 * the generated contracts): every vocabulary value is a protobuf enum name, and a public event's
 * data survives protobuf JSON both ways, so it is exactly the message's JSON form.
 */
import { describe, expect, it } from '@jest/globals';

import { common, intake } from '@aman/contracts';

import {
  caseDecider,
  FIELD_GROUPS,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  THREAT_KINDS,
  type CaseEvent,
  type SubmitCase,
} from './index.ts';

/** Protobuf JSON leaves default values out (false, 0, '', empty lists). */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => !(field === false || field === '' || field === 0))
      .filter(([, field]) => !(Array.isArray(field) && field.length === 0))
      .map(([name, field]) => [name, withoutDefaults(field)]),
  );
}

describe('intake domain against proto/', () => {
  it('uses protobuf enum names for every vocabulary value', () => {
    const vocabularies: [readonly string[], (name: string) => number][] = [
      [PROFILES, common.profileFromJSON],
      [GENDERS, common.genderFromJSON],
      [NEEDS, common.needFromJSON],
      [RECIPIENT_TYPES, common.recipientTypeFromJSON],
      [FIELD_GROUPS, common.fieldGroupFromJSON],
      [THREAT_KINDS, common.threatKindFromJSON],
    ];
    for (const [names, fromJSON] of vocabularies) {
      // UNRECOGNIZED is -1, *_UNSPECIFIED is 0: neither belongs in a domain vocabulary.
      for (const name of names) expect([name, fromJSON(name) > 0]).toEqual([name, true]);
    }
  });

  it('writes CaseSubmitted and PacketReleased as their protobuf JSON', () => {
    const submit: SubmitCase = {
      type: 'SubmitCase',
      data: {
        caseId: 'c-1',
        organisationId: 'org-ngo',
        idempotencyKey: 'key-1',
        facts: {
          profile: 'PROFILE_WOMEN_RIGHTS_DEFENDER',
          gender: 'GENDER_NON_BINARY',
          province: 'AF-HER',
          outsideCapital: true,
          familyExposed: false,
          threats: [
            {
              kind: 'THREAT_KIND_HOUSE_SEARCH',
              occurredOn: '2025-02-01',
              byArmedOrStateActor: true,
            },
            {
              kind: 'THREAT_KIND_ONLINE_HARASSMENT',
              occurredOn: '2025-02-02',
              byArmedOrStateActor: false,
            },
          ],
          needs: ['NEED_INTERNAL_RELOCATION'],
          consent: [
            {
              recipientTypes: ['RECIPIENT_TYPE_SHELTER_NETWORK'],
              fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_LOCATION'],
            },
          ],
        },
        dataKeyId: 'dk-1',
        sealed: { fullName: '', phone: '', place: '', threatNarratives: ['', ''] },
        submittedAt: '2025-03-01T10:00:00Z',
      },
    };
    const decided = caseDecider.decide(submit, caseDecider.initialState()) as CaseEvent[];
    const released = caseDecider.decide(
      {
        type: 'ReleasePacket',
        data: {
          caseId: 'c-1',
          referralId: 'ref-1',
          recipientOrganisationId: 'org-shelter',
          recipientType: 'RECIPIENT_TYPE_SHELTER_NETWORK',
          releasedAt: '2025-03-02T08:00:00.5+01:00',
        },
      },
      decided.reduce(caseDecider.evolve, caseDecider.initialState()),
    ) as CaseEvent[];

    const caseSubmitted = decided.find((event) => event.type === 'CaseSubmitted')!;
    expect(intake.CaseSubmitted.toJSON(intake.CaseSubmitted.fromJSON(caseSubmitted.data))).toEqual(
      withoutDefaults(caseSubmitted.data),
    );
    const packetReleased = released[0]!;
    expect(packetReleased.type).toBe('PacketReleased');
    expect(
      intake.PacketReleased.toJSON(intake.PacketReleased.fromJSON(packetReleased.data)),
    ).toEqual(withoutDefaults(packetReleased.data));
  });
});
