import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

import { Webhook } from 'standardwebhooks';

/** A webhook the receiver verified, with its raw body (to look for a canary in). */
export interface ReceivedWebhook {
  readonly path: string;
  readonly id: string;
  readonly signatures: number;
  readonly payload: {
    readonly type: string;
    readonly data: Readonly<Record<string, string>>;
  };
  readonly body: string;
  /** The trace the delivery was sent in (W3C traceparent), as the provider's side would join it. */
  readonly traceparent: string;
}

/**
 * Providers' webhook endpoints on loopback, one path each, as an integrator would build them from
 * the documentation: every request is verified with the `standardwebhooks` library against the
 * path's secret (refused with 401 otherwise); a path marked failing answers 503 after verifying.
 */
export async function startWebhookReceiver(port: number): Promise<{
  readonly url: (path: string) => string;
  /** The secret of a path (a provider's endpoint), as the admin CLI printed it. */
  readonly secrets: Map<string, string>;
  /** Paths that answer 503, as a provider whose receiver is down. */
  readonly failing: Set<string>;
  readonly received: ReceivedWebhook[];
  /** Every request, verified or not, by path. */
  readonly attempts: string[];
  close(): Promise<void>;
}> {
  const secrets = new Map<string, string>();
  const failing = new Set<string>();
  const received: ReceivedWebhook[] = [];
  const attempts: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      attempts.push(path);
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = secrets.get(path);
      const headers = request.headers as IncomingHttpHeaders & Record<string, string>;
      let payload: ReceivedWebhook['payload'];
      try {
        if (secret === undefined) throw new Error('no secret for this path');
        payload = new Webhook(secret).verify(body, headers) as ReceivedWebhook['payload'];
      } catch {
        response.writeHead(401).end();
        return;
      }
      if (failing.has(path)) {
        response.writeHead(503).end();
        return;
      }
      received.push({
        path,
        id: headers['webhook-id'] ?? '',
        signatures: (headers['webhook-signature'] ?? '').split(' ').length,
        payload,
        body,
        traceparent: headers['traceparent'] ?? '',
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((ready) => server.listen(port, '127.0.0.1', ready));
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    secrets,
    failing,
    received,
    attempts,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => {
          done();
        });
      }),
  };
}
