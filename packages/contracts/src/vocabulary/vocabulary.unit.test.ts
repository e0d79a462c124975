import { describe, expect, it } from '@jest/globals';

import * as accountability from '../gen/aman/accountability/v1/accountability.ts';
import * as common from '../gen/aman/common/v1/common.ts';
import * as vocabulary from './index.ts';

/** The names of a ts-proto enum, without the unspecified and unrecognised values. */
function names(values: Record<string, string | number>): string[] {
  return Object.keys(values).filter(
    (name) =>
      Number.isNaN(Number(name)) && name !== 'UNRECOGNIZED' && !name.endsWith('_UNSPECIFIED'),
  );
}

describe('the shared vocabularies', () => {
  it.each([
    ['PROFILES', common.Profile],
    ['GENDERS', common.Gender],
    ['NEEDS', common.Need],
    ['RECIPIENT_TYPES', common.RecipientType],
    ['FIELD_GROUPS', common.FieldGroup],
    ['THREAT_KINDS', common.ThreatKind],
    ['RISK_LEVELS', common.RiskLevel],
    ['DEADLINE_CLASSES', common.DeadlineClass],
    ['ACTS', accountability.Act],
    ['PERPETRATOR_CATEGORIES', accountability.PerpetratorCategory],
  ] as const)('%s are the protobuf enum names, in order', (list, values) => {
    expect(vocabulary[list]).toEqual(names(values));
  });
});
