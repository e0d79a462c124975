/**
 * Durable timers: scheduled once by id, fired by any number of runners, each attempt exclusive to
 * one of them, the effect made once by the handler (docs/adr/0005-durable-timers.md).
 *
 * ```ts
 * const timers = await MongoTimerStore.open({ client, database }); // or new SqliteTimerStore({ path })
 * await timers.schedule({
 *   id: `reassess:${assessmentId}:${round}`,       // deterministic: a retried schedule is a no-op
 *   kind: 'risk.reassessment-due',
 *   dueAt: '2027-01-15T09:00:00.000Z',
 *   payload: { assessmentId, round },              // ids and numbers, never personal data
 * });
 * const runner = new TimerRunner({
 *   store: timers,
 *   // May run again for the same timer (attempt 2, 3, ...): idempotent, e.g. the decider ignores
 *   // a round it has already handled, or the events carry firingEventId(timer.id, i).
 *   handle: ({ timer }) => dueForReassessment(timer.payload),
 *   onProblem: (problem) => logger.warn(problem, 'timer problem'),
 * });
 * runner.start();
 * // on shutdown: await runner.stop(); await timers.close();
 * ```
 */
export {
  MAX_PAYLOAD_BYTES,
  firingEventId,
  type ClaimOptions,
  type DeadTimer,
  type Timer,
  type TimerClaim,
  type TimerStore,
} from './timers.ts';
export {
  TimerRunner,
  type TimerFiring,
  type TimerProblem,
  type TimerRunnerOptions,
} from './runner.ts';
export { SqliteTimerStore } from './sqlite/sqliteTimerStore.ts';
export { MongoTimerStore, type MongoTimerStoreOptions } from './mongodb/mongoTimerStore.ts';
