// Open-loop load: submissions at a fixed arrival rate, whatever the platform's answers, then the
// submission → signed webhook latency of each (the receiver notes the webhook's arrival).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { referralsOf, submitCase } from './submissions.ts';
import type { WebhookReceiver } from './webhookReceiver.ts';

export interface ArrivalRun {
  readonly rate: number;
  readonly seconds: number;
  readonly submitted: number;
  /** Submissions the gateway did not accept with a 201. */
  readonly refused: number;
  /** Accepted submissions whose webhook did not arrive within the drain limit. */
  readonly undelivered: number;
  /** Submission → 201, in ms, per accepted submission. */
  readonly acceptedMs: readonly number[];
  /** Submission → verified webhook, in ms, per delivered submission. */
  readonly endToEndMs: readonly number[];
}

export async function openLoop(options: {
  readonly api: string;
  readonly ngoKey: string;
  readonly receiver: WebhookReceiver;
  readonly rate: number;
  readonly seconds: number;
  /** How long the webhooks may take to arrive after the last submission was answered. */
  readonly drainSeconds: number;
}): Promise<ArrivalRun> {
  const { api, ngoKey, rate, seconds } = options;
  const total = Math.round(rate * seconds);
  const sent: Promise<{ caseId: string | undefined; startedAt: number; acceptedAt: number }>[] = [];
  const deliveredBefore = options.receiver.arrivals.size;
  const begin = performance.now();
  for (let index = 0; index < total; index += 1) {
    const due = begin + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const startedAt = performance.now();
    sent.push(
      submitCase(api, ngoKey).then(
        (caseId) => ({ caseId, startedAt, acceptedAt: performance.now() }),
        () => ({ caseId: undefined, startedAt, acceptedAt: performance.now() }),
      ),
    );
  }
  const results = await Promise.all(sent);
  const accepted = results.filter((result) => result.caseId !== undefined);

  // The webhooks arrive; only then is each case's referral asked for, so that the lookups do not
  // load the platform while the last webhooks are on their way.
  const drainUntil = performance.now() + options.drainSeconds * 1000;
  while (
    options.receiver.arrivals.size - deliveredBefore < accepted.length &&
    performance.now() < drainUntil
  ) {
    await sleep(50);
  }
  const endToEndMs: number[] = [];
  let undelivered = 0;
  for (const { caseId, startedAt } of accepted) {
    const referralIds = caseId === undefined ? [] : await referralsOf(api, ngoKey, caseId);
    const arrivals = referralIds.flatMap((id) => options.receiver.arrivals.get(id) ?? []);
    if (arrivals.length === 0) undelivered += 1;
    else endToEndMs.push(Math.min(...arrivals) - startedAt);
  }
  return {
    rate,
    seconds,
    submitted: total,
    refused: total - accepted.length,
    undelivered,
    acceptedMs: accepted.map((result) => result.acceptedAt - result.startedAt),
    endToEndMs,
  };
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}
