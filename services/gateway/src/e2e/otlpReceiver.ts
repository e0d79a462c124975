import { createServer, type Server } from 'node:http';

/** One span as the test needs it: which process sent it, in which trace. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly name: string;
  readonly attributes: string;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId?: string; name?: string; attributes?: unknown[] }[] }[];
  }[];
}

/**
 * A loopback OTLP/HTTP receiver (JSON encoding: OTEL_EXPORTER_OTLP_PROTOCOL=http/json) that keeps
 * every span it is sent, and the raw bodies, so a test can look for a canary in them.
 */
export async function startOtlpReceiver(): Promise<{
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  readonly raw: string[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const raw: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      raw.push(body);
      if (request.url === '/v1/traces') {
        try {
          const parsed = JSON.parse(body) as OtlpJson;
          for (const resource of parsed.resourceSpans ?? []) {
            const service =
              resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value
                ?.stringValue ?? '?';
            for (const scope of resource.scopeSpans ?? []) {
              for (const span of scope.spans ?? []) {
                spans.push({
                  service,
                  traceId: span.traceId ?? '',
                  name: span.name ?? '',
                  attributes: JSON.stringify(span.attributes ?? []),
                });
              }
            }
          }
        } catch {
          // not JSON: kept in raw
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ready) =>
    server.listen(0, '127.0.0.1', () => {
      ready();
    }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    raw,
    close: () =>
      new Promise((done) =>
        server.close(() => {
          done();
        }),
      ),
  };
}
