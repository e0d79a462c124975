import { env } from '@aman/service-kit';

import { DEFAULT_RESPONSE_POLICY, type ResponsePolicy } from '../domain/index.ts';

/** Days each type of intervention gives the authority to respond, read once at start-up. */
export const accountabilityConfigSpec = {
  complaintDays: env.integer(
    'AMAN_RESPONSE_DAYS_COMPLAINT',
    'days an authority has to respond to a complaint',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_COMPLAINT,
    1,
  ),
  earlyWarningDays: env.integer(
    'AMAN_RESPONSE_DAYS_EARLY_WARNING',
    'days an authority has to respond to an early warning',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_EARLY_WARNING,
    1,
  ),
  demandForInvestigationDays: env.integer(
    'AMAN_RESPONSE_DAYS_DEMAND_FOR_INVESTIGATION',
    'days an authority has to respond to a demand for investigation',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_DEMAND_FOR_INVESTIGATION,
    1,
  ),
  requestForProtectionDays: env.integer(
    'AMAN_RESPONSE_DAYS_REQUEST_FOR_PROTECTION',
    'days an authority has to respond to a request for protection',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_REQUEST_FOR_PROTECTION,
    1,
  ),
  petitionDays: env.integer(
    'AMAN_RESPONSE_DAYS_PETITION',
    'days an authority has to respond to a petition to overturn a decision',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_PETITION_TO_OVERTURN_DECISION,
    1,
  ),
  otherDays: env.integer(
    'AMAN_RESPONSE_DAYS_OTHER',
    'days an authority has to respond to any other intervention',
    DEFAULT_RESPONSE_POLICY.INTERVENTION_TYPE_OTHER,
    1,
  ),
};

export type AccountabilityConfig = {
  [K in keyof typeof accountabilityConfigSpec]: number;
};

export function responsePolicyOf(config: AccountabilityConfig): ResponsePolicy {
  return {
    INTERVENTION_TYPE_COMPLAINT: config.complaintDays,
    INTERVENTION_TYPE_EARLY_WARNING: config.earlyWarningDays,
    INTERVENTION_TYPE_DEMAND_FOR_INVESTIGATION: config.demandForInvestigationDays,
    INTERVENTION_TYPE_REQUEST_FOR_PROTECTION: config.requestForProtectionDays,
    INTERVENTION_TYPE_PETITION_TO_OVERTURN_DECISION: config.petitionDays,
    INTERVENTION_TYPE_OTHER: config.otherDays,
  };
}
