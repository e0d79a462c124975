import { describe, expect, it } from '@jest/globals';

import * as accountability from '../gen/aman/accountability/v1/accountability.ts';
import * as common from '../gen/aman/common/v1/common.ts';
import * as vocabulary from './index.ts';

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
    ['THREAT_SOURCES', common.ThreatSource],
    ['THREAT_OBJECTIVES', common.ThreatObjective],
    ['FEASIBILITIES', common.Feasibility],
    ['ACTS', accountability.Act],
    ['PERPETRATOR_CATEGORIES', accountability.PerpetratorCategory],
  ] as const)('%s are the protobuf enum names, in order', (list, values) => {
    expect(vocabulary[list]).toEqual(vocabulary.enumNames(values));
  });
});
