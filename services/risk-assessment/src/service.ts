import { risk } from '@aman/contracts';
import {
  runTimers,
  type Logger,
  type Platform,
  type ServiceIdentity,
  type StartedService,
} from '@aman/service-kit';
import type { TimerStore } from '@aman/timers';

import { RISK_SERVICE, riskServer } from './adapters/grpcServer.ts';
import { Assessments } from './application/assessments.ts';
import { ReassessmentSchedule } from './application/reassessmentSchedule.ts';
import { createAssessmentDecider, type AssessmentPolicy } from './domain/index.ts';

export type RiskAssessmentDeps = {
  readonly platform: Platform;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
  readonly policy: AssessmentPolicy;
  /** Where re-assessments wait; closed by the caller after `stop`. */
  readonly timers: TimerStore;
  /** Timer polling, for tests (default 1 s). */
  readonly timerPollMs?: number;
};

/**
 * Risk-assessment wired: its store published on aman.risk.v1, intake's and accountability's
 * events re-assessing cases, its own RiskAssessed events read back to keep each case's
 * re-assessment timer, a runner firing due timers, and the gRPC service.
 */
export async function startRiskAssessment(deps: RiskAssessmentDeps): Promise<StartedService> {
  const { platform, logger, timers } = deps;
  const store = await platform.eventStore();
  await platform.publish('risk', store);
  const assessments = new Assessments({
    store,
    decider: createAssessmentDecider({ policy: deps.policy }),
  });
  const schedule = new ReassessmentSchedule({ timers, assessments });
  // A submission whose synchronous triage timed out is assessed here; new facts, threats and
  // incidents re-assess; a withdrawn or erased case stops being assessed.
  await platform.subscribe('assessments', ['intake', 'accountability'], async (event) => {
    const state = await assessments.onEvent(event);
    await schedule.onCaseState(state);
  });
  await platform.subscribe('reassessment-schedule', ['risk'], (event) =>
    schedule.onRiskAssessed(event),
  );
  const runner = runTimers({
    store: timers,
    handle: (firing) => schedule.fire(firing),
    logger,
    what: 'reassessment',
    ...(deps.timerPollMs === undefined ? {} : { pollMs: deps.timerPollMs }),
  });
  return {
    grpc: [
      {
        name: RISK_SERVICE,
        definition: risk.RiskAssessmentServiceService,
        implementation: riskServer({ assessments, identity: deps.identity, logger }),
      },
    ],
    stop: () => runner.stop(),
  };
}
