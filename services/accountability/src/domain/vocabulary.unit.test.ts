import { describe, expect, it } from '@jest/globals';

import { accountability } from '@aman/contracts';
import { enumNames } from '@aman/contracts/vocabulary';

import * as vocabulary from './vocabulary.ts';

describe('accountability’s vocabularies', () => {
  it.each([
    ['SOURCE_TYPES', accountability.SourceType],
    ['VERIFICATION_STATUSES', accountability.VerificationStatus],
    ['SOURCE_RELIABILITIES', accountability.SourceReliability],
    ['AUTHORITIES', accountability.Authority],
    ['INVESTIGATION_STEPS', accountability.InvestigationStep],
    ['INVESTIGATION_OUTCOMES', accountability.InvestigationOutcome],
    ['INVESTIGATION_STATUSES', accountability.InvestigationStatus],
    ['INTERVENTION_TYPES', accountability.InterventionType],
    ['INTERVENTION_STATUSES', accountability.InterventionStatus],
    ['AUTHORITY_RESPONSES', accountability.AuthorityResponse],
    ['IMPACTS', accountability.Impact],
    ['COMPENSATIONS', accountability.Compensation],
  ] as const)('%s are the protobuf enum names, in order', (list, values) => {
    expect(vocabulary[list]).toEqual(enumNames(values));
  });
});
