// Generated messages and services, one namespace per protobuf package.
export * as accountability from './gen/aman/accountability/v1/accountability.ts';
export * as common from './gen/aman/common/v1/common.ts';
export * as eventing from './gen/aman/eventing/v1/eventing.ts';
export * as evidence from './gen/aman/evidence/v1/evidence.ts';
export * as intake from './gen/aman/intake/v1/intake.ts';
export * as operations from './gen/aman/operations/v1/operations.ts';
export * as projections from './gen/aman/projections/v1/projections.ts';
export * as referral from './gen/aman/referral/v1/referral.ts';
export * as risk from './gen/aman/risk/v1/risk.ts';
