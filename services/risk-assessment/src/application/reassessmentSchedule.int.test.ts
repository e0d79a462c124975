import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { SqliteEventStore, type StoredEvent } from '@aman/eventstore';
import { CONTEXTS, type ConsumedEvent, type Principal } from '@aman/service-kit';
import { SqliteTimerStore } from '@aman/timers';

import {
  assessmentDecider,
  assessmentStream,
  type AssessmentEvent,
  type CaseFacts,
} from '../domain/index.ts';
import { Assessments } from './assessments.ts';
import {
  REASSESSMENT_DUE,
  ReassessmentSchedule,
  reassessmentTimerId,
} from './reassessmentSchedule.ts';

const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const facts: CaseFacts = {
  profile: 'PROFILE_ACTIVIST',
  gender: 'GENDER_WOMAN',
  outsideCapital: true,
  familyExposed: false,
  vulnerabilities: { minority: false, disability: false, publicVisibility: false },
  capacities: { supportNetwork: false, relocationOptions: false, digitalSecurity: false },
  threats: [],
};

/** A stored RiskAssessed as the schedule consumes it from aman.risk.v1. */
function consumed(event: StoredEvent): ConsumedEvent {
  return {
    id: event.id,
    source: CONTEXTS.risk.source,
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
    occurredAt: event.occurredAt,
    traceparent: undefined,
  };
}

describe('the re-assessment schedule, on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-risk-schedule-'));
  let store: SqliteEventStore;
  let timers: SqliteTimerStore;
  let assessments: Assessments;
  let schedule: ReassessmentSchedule;

  beforeAll(() => {
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    timers = new SqliteTimerStore({ path: join(dir, 'timers.db') });
    assessments = new Assessments({ store, decider: assessmentDecider });
    schedule = new ReassessmentSchedule({ timers, assessments });
  });

  afterAll(async () => {
    await timers.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const assessed = async (caseId: string) =>
    (await store.readStream<AssessmentEvent>(assessmentStream(caseId))).filter(
      (event) => event.type === 'RiskAssessed',
    );

  it('keeps one timer per case, the newest assessment’s, with ids and numbers only', async () => {
    await assessments.assessOnRequest(ngo, 'c-sched', facts);
    const [first] = await assessed('c-sched');
    await schedule.onRiskAssessed(consumed(first!));
    await schedule.onRiskAssessed(consumed(first!)); // redelivered: the same timer
    const later = new Date(Date.now() + 400 * 86_400_000);
    expect(await timers.due(later, 100)).toEqual([reassessmentTimerId('c-sched', 1)]);

    await assessments.override(ngo, {
      caseId: 'c-sched',
      level: 'RISK_LEVEL_CRITICAL',
      justification: 'Canary text that must not reach a timer',
      idempotencyKey: 'ovr-1',
      expectedSequence: 1,
    });
    const [, second] = await assessed('c-sched');
    await schedule.onRiskAssessed(consumed(second!));
    expect(await timers.due(later, 100)).toEqual([reassessmentTimerId('c-sched', 2)]);
  });

  it('re-assesses once however often the timer fires (a runner that died after the effect)', async () => {
    await assessments.assessOnRequest(ngo, 'c-fire', facts);
    const firing = {
      timer: {
        id: reassessmentTimerId('c-fire', 1),
        kind: REASSESSMENT_DUE,
        dueAt: new Date().toISOString(),
        payload: { caseId: 'c-fire', sequence: 1 },
      },
      attempt: 1,
    };
    await schedule.fire(firing);
    await schedule.fire({ ...firing, attempt: 2 });
    await Promise.all([
      schedule.fire({ ...firing, attempt: 3 }),
      schedule.fire({ ...firing, attempt: 4 }),
    ]);
    expect((await assessed('c-fire')).map((event) => event.data.trigger)).toEqual([
      'ASSESSMENT_TRIGGER_SUBMISSION',
      'ASSESSMENT_TRIGGER_SCHEDULE',
    ]);
    // A timer of another kind is not this schedule's.
    await schedule.fire({ ...firing, timer: { ...firing.timer, kind: 'referral.deadline' } });
    expect(await assessed('c-fire')).toHaveLength(2);
  });
});
