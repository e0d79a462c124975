/** A step of a case or referral with the time it happened. */
export type Stage = { name: string; at: string };

/**
 * The referral lifecycle (`routed → delivered → acknowledged → accepted | declined`, then
 * `accepted → completed`): how far each status is along it. A referral only moves forward, so
 * its status is its furthest one, whatever order the events arrive in and even when two steps
 * carry the same millisecond.
 */
const REFERRAL_PROGRESS: Readonly<Record<string, number>> = {
  REFERRAL_STATUS_ROUTED: 1,
  REFERRAL_STATUS_DELIVERED: 2,
  REFERRAL_STATUS_ACKNOWLEDGED: 3,
  // Between acknowledgement and decision; the NGO's answer goes back to acknowledged, which the
  // view does not show as a step back (the stages list has both, with their times).
  REFERRAL_STATUS_INFO_REQUESTED: 3.5,
  REFERRAL_STATUS_ACCEPTED: 4,
  REFERRAL_STATUS_DECLINED: 4,
  REFERRAL_STATUS_IN_PROGRESS: 4.5,
  REFERRAL_STATUS_COMPLETED: 5,
  REFERRAL_STATUS_CLOSED: 5,
  // Final, and reachable from every status that is not: a deadline passed, or the case no longer
  // allows the referral.
  REFERRAL_STATUS_EXPIRED: 6,
  REFERRAL_STATUS_REVOKED: 6,
};

export const ROUTED = 'REFERRAL_STATUS_ROUTED';

/** Every referral status, in lifecycle order. */
export const REFERRAL_STATUSES: readonly string[] = Object.keys(REFERRAL_PROGRESS);

/** The further along of two referral statuses; an unknown one never replaces a known one. */
export function furtherStatus(current: string, candidate: string): string {
  return (REFERRAL_PROGRESS[candidate] ?? 0) > (REFERRAL_PROGRESS[current] ?? 0)
    ? candidate
    : current;
}

/** The stage a referral status stands for: REFERRAL_STATUS_ACCEPTED → accepted. */
export function stageName(status: string): string {
  return status.replace(/^REFERRAL_STATUS_/, '').toLowerCase();
}

/** Stages at the same instant in the order they happen. */
const STAGE_ORDER = [
  'submitted',
  'triaged',
  're-assessed',
  'routed',
  'delivered',
  'seen',
  'acknowledged',
  'info_requested',
  'accepted',
  'declined',
  'in_progress',
  'completed',
  'closed',
  'deadlines-tightened',
  'escalated',
  'expired',
  'programme-full',
  'programme-suspended',
  'programme-closed',
  'revoked',
  'threat-reported',
  'case-updated',
  'consent-updated',
  'withdrawn',
  'erased',
];

function rank(name: string): number {
  const index = STAGE_ORDER.indexOf(name);
  return index === -1 ? STAGE_ORDER.length : index;
}

/** Stages in time order, ties in lifecycle order: the same list whatever the arrival order. */
export function inOrder(stages: readonly Stage[]): Stage[] {
  return [...stages].sort(
    (a, b) =>
      a.at.localeCompare(b.at) || rank(a.name) - rank(b.name) || a.name.localeCompare(b.name),
  );
}

/** Adds a stage once: the same stage at the same time again changes nothing. */
export function withStage(stages: readonly Stage[], stage: Stage): Stage[] {
  if (stages.some((known) => known.name === stage.name && known.at === stage.at)) {
    return [...stages];
  }
  return inOrder([...stages, stage]);
}
