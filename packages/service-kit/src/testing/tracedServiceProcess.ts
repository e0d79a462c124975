/**
 * One service's share of a small traced journey, for the `pnpm trace` test. It starts telemetry
 * as every service does (startTelemetry: the OTEL_* variables choose the exporter) and makes its
 * spans with fixed times, then prints the trace ids the test needs as JSON and exits.
 * Its own process because the SDK's HTTP exporter loads `http` with a dynamic import that jest's
 * module sandbox refuses.
 * Usage: tracedServiceProcess.ts gateway <base ms> <canary>
 *        tracedServiceProcess.ts referral <base ms> <canary> <send call traceparent> <root traceparent>
 * The canary is put in attributes that must never be printed.
 */
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';

import { contextFromTraceparent, currentTraceparent, startTelemetry } from '../telemetry.ts';

const [service, baseArg, canary = '', sendCall, root] = process.argv.slice(2);
const base = Number(baseArg);
const telemetry = startTelemetry(service ?? '?');
const tracer = trace.getTracer('trace-test');
let answer: Record<string, string | undefined>;

if (service === 'gateway') {
  const request = tracer.startSpan(
    'POST /referrals',
    {
      kind: SpanKind.SERVER,
      startTime: base,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/referrals',
        'url.path': `/referrals?name=${encodeURIComponent(canary)}`,
        'aman.defender.name': canary,
      },
    },
    ROOT_CONTEXT,
  );
  const inRequest = trace.setSpan(ROOT_CONTEXT, request);
  // Made first, starts later: the tree orders by start time, not by arrival.
  tracer.startSpan('publish referral-events', { startTime: base + 36 }, inRequest).end(base + 39);
  const call = tracer.startSpan(
    'aman.referral.Referral/Send',
    {
      kind: SpanKind.CLIENT,
      startTime: base + 5,
      attributes: { 'rpc.service': 'aman.referral.Referral', 'rpc.method': 'Send' },
    },
    inRequest,
  );
  call.end(base + 35);
  request.setAttribute('http.response.status_code', 201);
  request.end(base + 40);
  const other = tracer.startSpan('GET /cases', { startTime: base + 500 }, ROOT_CONTEXT);
  other.end(base + 502);
  answer = {
    root: currentTraceparent(inRequest),
    sendCall: currentTraceparent(trace.setSpan(ROOT_CONTEXT, call)),
    unrelated: other.spanContext().traceId,
  };
} else {
  tracer
    .startSpan(
      'eventstore.append',
      {
        kind: SpanKind.CLIENT,
        startTime: base + 10,
        attributes: {
          'db.system.name': 'sqlite',
          'aman.stream': 'referral-ref-1',
          'aman.referral.id': 'ref-1',
          'network.peer.address': canary,
        },
      },
      contextFromTraceparent(sendCall),
    )
    .end(base + 30);
  // Deferred work: a trace of its own, linked back to the journey that scheduled it.
  const scheduledBy = trace.getSpanContext(contextFromTraceparent(root));
  const timer = tracer.startSpan(
    'timer referral-deadline',
    {
      startTime: base + 1000,
      ...(scheduledBy === undefined ? {} : { links: [{ context: scheduledBy }] }),
    },
    ROOT_CONTEXT,
  );
  timer.end(base + 1003.5);
  answer = { deferred: timer.spanContext().traceId };
}

await telemetry.shutdown(); // flushes the batch to the receiver
process.stdout.write(`${JSON.stringify(answer)}\n`);
