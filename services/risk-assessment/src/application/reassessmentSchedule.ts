import { CONTEXTS, idFrom, type ConsumedEvent } from '@aman/service-kit';
import type { TimerFiring, TimerStore } from '@aman/timers';

import type { AssessmentState } from '../domain/index.ts';
import type { Assessments } from './assessments.ts';

export const REASSESSMENT_DUE = 'risk.reassessment-due';

/** The timer assessment `sequence` of a case sets: deterministic, so scheduling is idempotent. */
export function reassessmentTimerId(caseId: string, sequence: number): string {
  return `reassess:${idFrom('risk-reassessment', caseId, String(sequence))}`;
}

/**
 * When each case is assessed again. Every RiskAssessed names its next re-assessment; this reads
 * them back from the context's own published events (so a crash between the append and the
 * schedule loses nothing: the event is delivered again) and keeps one durable timer per case,
 * the newest assessment's. A timer that fires late, twice, or for a superseded assessment is
 * harmless: the decider re-assesses only when the assessment that set it is still the latest.
 */
export class ReassessmentSchedule {
  readonly #timers: TimerStore;
  readonly #assessments: Assessments;

  constructor(deps: { readonly timers: TimerStore; readonly assessments: Assessments }) {
    this.#timers = deps.timers;
    this.#assessments = deps.assessments;
  }

  /** A RiskAssessed consumed from aman.risk.v1: schedule its re-assessment, drop the previous. */
  async onRiskAssessed(event: ConsumedEvent): Promise<void> {
    if (event.source !== CONTEXTS.risk.source || event.type !== 'RiskAssessed') return;
    const { caseId, sequence, nextReassessmentAt } = event.data;
    if (typeof caseId !== 'string' || typeof sequence !== 'number') return;
    if (typeof nextReassessmentAt !== 'string') return;
    await this.#timers.schedule({
      id: reassessmentTimerId(caseId, sequence),
      kind: REASSESSMENT_DUE,
      dueAt: nextReassessmentAt,
      // Ids and numbers only: timer payloads are stored in the clear.
      payload: { caseId, sequence },
    });
    if (sequence > 1) await this.#timers.cancel(reassessmentTimerId(caseId, sequence - 1));
    // The case may have stopped (withdrawn, erased) while this event was on its way back: the
    // stop cancelled the timers it knew of, not this one. Read after scheduling, so a stop that
    // lands after the read cancels this timer itself (it is the latest assessment's).
    if ((await this.#assessments.state(caseId)).stopped !== undefined) {
      await this.#timers.cancel(reassessmentTimerId(caseId, sequence));
    }
  }

  /** A withdrawn or erased case: its pending re-assessment is cancelled. */
  async onCaseState(state: AssessmentState | undefined): Promise<void> {
    if (state?.stopped === undefined || state.latest === undefined) return;
    const { caseId, sequence } = state.latest;
    await this.#timers.cancel(reassessmentTimerId(caseId, sequence));
  }

  /** The TimerRunner's handler. */
  async fire({ timer }: TimerFiring): Promise<void> {
    if (timer.kind !== REASSESSMENT_DUE) return;
    const { caseId, sequence } = timer.payload;
    if (typeof caseId !== 'string' || typeof sequence !== 'number') return;
    await this.#assessments.reassessDue(caseId, sequence);
  }
}
