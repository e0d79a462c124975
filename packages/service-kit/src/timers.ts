import { ROOT_CONTEXT, type Attributes } from '@opentelemetry/api';

import { TimerRunner, type TimerFiring, type TimerStore } from '@aman/timers';

import type { Logger } from './logger.ts';
import { SpanKind, currentTraceparent, inSpan, linkTo } from './telemetry.ts';

/**
 * The store with the active trace stamped on every timer it schedules, so that the firing can
 * link back to the request or event that scheduled it. An explicit traceparent is kept.
 */
export function tracedTimerStore(store: TimerStore): TimerStore {
  return {
    schedule: (timer) => {
      const traceparent = timer.traceparent ?? currentTraceparent();
      return store.schedule(traceparent === undefined ? timer : { ...timer, traceparent });
    },
    cancel: (id) => store.cancel(id),
    due: (now, limit) => store.due(now, limit),
    claim: (id, options) => store.claim(id, options),
    complete: (claim) => store.complete(claim),
    release: (claim, retry) => store.release(claim, retry),
    bury: (claim, reason) => store.bury(claim, reason),
    deadTimers: () => store.deadTimers(),
    close: () => store.close(),
  };
}

/** Timer payload keys that name a case, referral or provider: ids, never personal data. */
const PAYLOAD_IDS: readonly (readonly [string, string])[] = [
  ['caseId', 'aman.case.id'],
  ['referralId', 'aman.referral.id'],
  ['providerOrganisationId', 'aman.provider.id'],
];

function firingAttributes({ timer, attempt }: TimerFiring): Attributes {
  const attributes: Attributes = { 'aman.timer.kind': timer.kind, 'aman.timer.attempt': attempt };
  for (const [key, attribute] of PAYLOAD_IDS) {
    const value = timer.payload[key];
    if (typeof value === 'string') attributes[attribute] = value;
  }
  return attributes;
}

export interface TimersOptions {
  readonly store: TimerStore;
  readonly handle: (firing: TimerFiring) => Promise<void>;
  readonly logger: Logger;
  /** What the timers are for, in the log line of a problem (e.g. 'referral deadline'). */
  readonly what: string;
  /** Timer polling, for tests (default 1 s). */
  readonly pollMs?: number;
  /** Handlers at once (default 1): see TimerRunnerOptions.concurrency. */
  readonly concurrency?: number;
}

/**
 * Starts a TimerRunner whose every firing is a trace of its own (work deferred past the request
 * that scheduled it), with a span link back to that request's trace: a journey's telemetry is its
 * root trace plus the traces linked from it. Problems are logged by id, kind and code alone.
 * Stop the runner on shutdown.
 */
export function runTimers(options: TimersOptions): TimerRunner {
  const runner = new TimerRunner({
    store: options.store,
    handle: (firing) =>
      inSpan(
        `timer ${firing.timer.kind}`,
        {
          kind: SpanKind.INTERNAL,
          parent: ROOT_CONTEXT,
          links: linkTo(firing.timer.traceparent),
          attributes: firingAttributes(firing),
        },
        () => options.handle(firing),
      ),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    onProblem: (problem) => {
      if (problem.stage === 'store')
        options.logger.error({ err: problem.error }, `${options.what} timers`);
      else options.logger.warn(problem, `${options.what} timer failed to run`);
    },
  });
  runner.start();
  return runner;
}
