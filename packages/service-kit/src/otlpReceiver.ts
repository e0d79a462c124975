import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An attribute value as OTLP carries it, flattened (arrays joined with commas). */
export type ReceivedAttributeValue = string | number | boolean;

/** One span as it came in: which process sent it, where it sits in its trace, when it ran. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a trace's root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
  readonly error: boolean;
  readonly attributes: Readonly<Record<string, ReceivedAttributeValue>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

// The OTLP/JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// ids in hex, 64-bit integers as decimal strings (numbers accepted too).
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  links?: { traceId?: string; spanId?: string }[];
  status?: { code?: number };
}
interface OtlpTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

const STATUS_CODE_ERROR = 2;

function valueOf(value: OtlpAnyValue | undefined): ReceivedAttributeValue | undefined {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) {
    return (value.arrayValue.values ?? []).map((item) => String(valueOf(item) ?? '')).join(',');
  }
  return undefined;
}

function attributesOf(
  list: readonly OtlpKeyValue[] | undefined,
): Record<string, ReceivedAttributeValue> {
  const attributes: Record<string, ReceivedAttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const flat = valueOf(value);
    if (flat !== undefined) attributes[key] = flat;
  }
  return attributes;
}

function nanos(value: string | number | undefined): bigint {
  try {
    return BigInt(value ?? 0);
  } catch {
    return 0n;
  }
}

/** The spans in an OTLP/JSON ExportTraceServiceRequest. Throws if `body` is not JSON. */
export function spansOfOtlpJson(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as OtlpTraceRequest;
  const spans: ReceivedSpan[] = [];
  for (const resource of request.resourceSpans ?? []) {
    const service = attributesOf(resource.resource?.attributes)['service.name'];
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const parentSpanId = span.parentSpanId ?? '';
        spans.push({
          service: typeof service === 'string' && service !== '' ? service : '?',
          traceId: span.traceId ?? '',
          spanId: span.spanId ?? '',
          ...(parentSpanId === '' ? {} : { parentSpanId }),
          name: span.name ?? '',
          startNanos: nanos(span.startTimeUnixNano),
          endNanos: nanos(span.endTimeUnixNano),
          error: span.status?.code === STATUS_CODE_ERROR,
          attributes: attributesOf(span.attributes),
          links: (span.links ?? []).map((link) => ({
            traceId: link.traceId ?? '',
            spanId: link.spanId ?? '',
          })),
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiverOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Keep every request body as sent, by path (the redaction proof looks for canaries in them). */
  readonly keepBodies?: boolean;
  /** Called with the spans of each accepted request. */
  readonly onSpans?: (spans: readonly ReceivedSpan[]) => void;
  /** Called when a trace export is refused (e.g. protobuf), with the reason. */
  readonly onRefused?: (reason: string) => void;
}

export interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Every body sent, with its path (/v1/traces, /v1/metrics, …), when `keepBodies`. */
  readonly bodies: { readonly path: string; readonly body: string }[];
  close(): Promise<void>;
}

export const OTLP_JSON_ONLY =
  'only OTLP/JSON is read here: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json on the exporting side';

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      done(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', failed);
  });
}

/**
 * A loopback OTLP/HTTP receiver that keeps every span sent to POST /v1/traces. It reads the JSON
 * encoding alone (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): the services' SDK has no protobuf
 * decoder to lend. Other signals (/v1/metrics, /v1/logs) are accepted, and kept with `keepBodies` alone.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: { path: string; body: string }[] = [];
  const answer = (response: ServerResponse, status: number, body: object): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((request, response) => {
    void bodyOf(request).then(
      (body) => {
        if (options.keepBodies === true) bodies.push({ path: request.url ?? '', body });
        if (request.method !== 'POST' || request.url !== '/v1/traces') {
          answer(response, 200, {});
          return;
        }
        const type = request.headers['content-type'] ?? '';
        if (!type.includes('json')) {
          options.onRefused?.(OTLP_JSON_ONLY);
          answer(response, 415, { message: OTLP_JSON_ONLY });
          return;
        }
        let received: ReceivedSpan[];
        try {
          received = spansOfOtlpJson(body);
        } catch {
          options.onRefused?.('a trace export that is not JSON');
          answer(response, 400, { message: 'not JSON' });
          return;
        }
        spans.push(...received);
        options.onSpans?.(received);
        answer(response, 200, {});
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((ready, failed) => {
    server.once('error', failed);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      ready();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => {
          done();
        });
      }),
  };
}
