import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

import { AmanError } from '@aman/errors';

export { SpanKind };

export interface Telemetry {
  shutdown(): Promise<void>;
}

const EXPORTER_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];

/**
 * Starts the OpenTelemetry Node SDK, configured by the standard OTEL_* variables alone. With no
 * OTLP endpoint and no exporter named, nothing is exported (the SDK would otherwise try
 * localhost:4318), but trace context still flows: ids reach logs, events and outgoing calls.
 * Spans are made by service-kit's gRPC wrappers, the event-store and consumer wiring, and the
 * gateway's fastify plugin, so the SDK needs no module patching (ESM-safe).
 */
export function startTelemetry(serviceName: string): Telemetry {
  const configured =
    EXPORTER_VARIABLES.some((name) => (process.env[name] ?? '') !== '') ||
    (process.env['OTEL_TRACES_EXPORTER'] ?? '') !== '';
  // Metrics go where the traces go (aman.* gauges, rpc and http durations); none without it.
  process.env['OTEL_METRICS_EXPORTER'] ??= configured ? 'otlp' : 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  process.env['OTEL_SERVICE_NAME'] ??= serviceName;
  const sdk = new NodeSDK({
    serviceName: process.env['OTEL_SERVICE_NAME'],
    instrumentations: [],
    // No exporter: a tracer provider with a no-op processor still gives every span real ids, so
    // trace context reaches events, calls and log lines; nothing leaves the process.
    ...(configured ? {} : { spanProcessors: [new tracing.NoopSpanProcessor()] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Aman's tracer: a proxy until the SDK starts, so it may be taken at load. */
export const tracer = trace.getTracer('aman');

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The context to continue (e.g. the trace stored with an event); default: the active one. */
  readonly parent?: Context;
  readonly links?: readonly Link[];
}

/**
 * Runs `work` in a new active span, ending it with the outcome. Deliberate AmanErrors of the
 * caller's making (4xx) leave the span unset; anything else marks it as an error. Attributes are
 * ids, codes and counts: never personal data.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
      ...(options.links === undefined ? {} : { links: [...options.links] }),
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    if (AmanError.is(error)) {
      span.setAttribute('aman.error.code', error.code);
      if (error.httpStatus >= 500)
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'unexpected error' });
    }
    throw error;
  } finally {
    span.end();
  }
}

/** The W3C traceparent of the active span, to store with an event or send on a call. */
export function currentTraceparent(active: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier['traceparent'];
}

/** The context a stored or received traceparent stands for (the root context when absent). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * A span link to the span a stored traceparent names: how deferred work (a timer that fires, a
 * redelivery) points back to the trace that scheduled it. None when nothing was stored.
 */
export function linkTo(traceparent: string | undefined): Link[] {
  const scheduledBy = trace.getSpanContext(contextFromTraceparent(traceparent));
  return scheduledBy === undefined ? [] : [{ context: scheduledBy }];
}

/** Trace and span ids of the active span, for log lines. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
