import type { JsonObject } from '@aman/eventstore';

/** An event as a read model sees it: its stored type and its data in protobuf JSON form. */
export type ViewEvent = {
  readonly type: string;
  readonly data: JsonObject;
};

/** The events the NGO's case view is folded from, across four contexts. */
export const CASE_VIEW_EVENTS = [
  'CaseSubmitted',
  'CaseFactsUpdated',
  'ThreatReported',
  'ConsentUpdated',
  'CaseWithdrawn',
  'CaseErased',
  'RiskAssessed',
  'ReferralRouted',
  'ReferralStatusChanged',
  'ReferralSeen',
  'ReferralEscalated',
  'ReferralDeadlinesChanged',
  'ReferralProgrammeChanged',
  'IncidentRecorded',
] as const;

/** The events the provider's inbox is folded from (referral only). */
export const INBOX_EVENTS = ['ReferralRouted', 'ReferralStatusChanged'] as const;

/** A string field, '' when absent: protobuf JSON leaves default values out. */
export function textOf(data: JsonObject, field: string): string {
  const value = data[field];
  return typeof value === 'string' ? value : '';
}

/** A repeated string field, [] when absent. */
export function textsOf(data: JsonObject, field: string): string[] {
  const value = data[field];
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
}

/**
 * A timestamp field as ISO 8601 UTC with milliseconds ('' when absent or not a time), so that
 * times compare as strings whatever offset or precision a producer wrote.
 */
export function instantOf(data: JsonObject, field: string): string {
  const value = textOf(data, field);
  if (value === '') return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
}
