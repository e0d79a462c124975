import { metrics, type Attributes, type Histogram } from '@opentelemetry/api';

import type { PipelineStatus } from './pipeline.ts';

/**
 * Aman's metrics, on the OpenTelemetry API: exported over OTLP with the traces when an endpoint
 * is configured (startTelemetry), no-ops otherwise. Labels are names of routes, RPCs, topics,
 * consumers and counters, and status codes: never personal data, never an unbounded id.
 */
/** Asked for when first used: a meter got before the SDK starts stays a no-op (no proxy). */
const meterOf = () => metrics.getMeter('aman');

let rpcDuration: Histogram | undefined;
let httpDuration: Histogram | undefined;
let publishDuration: Histogram | undefined;
let publishDelay: Histogram | undefined;
let webhookDuration: Histogram | undefined;

/** One gRPC call served (semantic conventions: rpc.server.duration, in ms). */
export function recordRpc(service: string, method: string, code: number, ms: number): void {
  rpcDuration ??= meterOf().createHistogram('rpc.server.duration', {
    unit: 'ms',
    description: 'time to serve one gRPC call',
  });
  rpcDuration.record(ms, {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'rpc.grpc.status_code': code,
  });
}

/** One HTTP request served, by route template (http.server.request.duration, in s). */
export function recordHttp(method: string, route: string, status: number, seconds: number): void {
  httpDuration ??= meterOf().createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'time to serve one HTTP request',
  });
  httpDuration.record(seconds, {
    'http.request.method': method,
    'http.route': route,
    'http.response.status_code': status,
  });
}

/**
 * One batch the relay published: how long the broker took to acknowledge it, and for each record
 * how long after its event occurred it was acknowledged (what a consumer waits for the relay).
 */
export function recordPublish(topic: string, batchMs: number, delaysMs: readonly number[]): void {
  const meter = meterOf();
  publishDuration ??= meter.createHistogram('aman.relay.publish.duration', {
    unit: 'ms',
    description: 'time for the broker to acknowledge one batch the relay published',
  });
  publishDelay ??= meter.createHistogram('aman.relay.publish.delay', {
    unit: 'ms',
    description: 'time from an event occurring to the broker acknowledging it',
  });
  const labels = { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
  publishDuration.record(batchMs, labels);
  for (const delay of delaysMs) publishDelay.record(Math.max(0, delay), labels);
}

/**
 * One webhook attempt: its time and outcome, by status code (none when no answer came: refused,
 * timed out, blocked). Attempts and failures are this histogram's counts by outcome.
 */
export function recordWebhookAttempt(status: number | undefined, ms: number): void {
  webhookDuration ??= meterOf().createHistogram('aman.webhook.duration', {
    unit: 'ms',
    description: 'time for one webhook attempt, from sending to the answer or the failure',
  });
  const delivered = status !== undefined && status >= 200 && status < 300;
  webhookDuration.record(ms, {
    'aman.webhook.outcome': delivered ? 'delivered' : 'failed',
    ...(status === undefined ? {} : { 'http.response.status_code': status }),
  });
}

/**
 * The pipeline as gauges, read from `status()` when the metrics are collected: the store's head,
 * each relay's backlog, each consumer's lag and dead letters per topic, and the service's own
 * counters (referral: webhook attempts and dead letters).
 */
export function observePipeline(status: () => Promise<PipelineStatus>): void {
  const meter = meterOf();
  const head = meter.createObservableGauge('aman.store.head_position', {
    description: 'the global position of the last event in the service’s store',
  });
  const backlog = meter.createObservableGauge('aman.relay.backlog', {
    description: 'events stored but not yet published to Kafka',
  });
  const lag = meter.createObservableGauge('aman.consumer.lag', {
    description: 'events a consumer group has not processed yet, per partition in Kafka',
  });
  const deadLetters = meter.createObservableGauge('aman.consumer.dead_letters', {
    description: 'records a consumer gave up on',
  });
  const counters = meter.createObservableGauge('aman.service.counter', {
    description: 'a service’s own counts, by name',
  });
  meter.addBatchObservableCallback(
    async (observer) => {
      const now = await status();
      const service: Attributes = { 'aman.service': now.service };
      if (now.headPosition !== undefined) observer.observe(head, now.headPosition, service);
      for (const relay of now.relays) {
        observer.observe(backlog, relay.backlog, {
          ...service,
          'messaging.destination.name': relay.topic,
        });
      }
      for (const consumer of now.consumers) {
        for (const topic of consumer.topics) {
          const labels = {
            ...service,
            'messaging.consumer.group.name': consumer.name,
            'messaging.destination.name': topic.topic,
          };
          observer.observe(deadLetters, topic.deadLetters, labels);
          // Per partition where there are partitions (Kafka); the embedded log is one.
          if (topic.mode === 'distributed' && topic.partitions.length > 0) {
            for (const partition of topic.partitions) {
              observer.observe(lag, partition.lag, {
                ...labels,
                'messaging.destination.partition.id': String(partition.partition),
              });
            }
          } else {
            observer.observe(lag, topic.lag, labels);
          }
        }
      }
      for (const counter of now.counters) {
        observer.observe(counters, counter.value, { ...service, 'aman.counter': counter.name });
      }
    },
    [head, backlog, lag, deadLetters, counters],
  );
}
