// The provider's endpoint: verifies each webhook's signature (standardwebhooks) and notes when
// the first notification about each referral arrived.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

import { Webhook } from 'standardwebhooks';

export interface WebhookReceiver {
  readonly url: string;
  /** Referral id → arrival time (performance.now()) of its first verified notification. */
  readonly arrivals: Map<string, number>;
  /** Deliveries whose signature did not verify (must stay 0). */
  readonly refused: () => number;
  /** Verifies with this secret from now on (each platform registers its own provider). */
  useSecret(secret: string): void;
  close(): Promise<void>;
}

export function startWebhookReceiver(port: number): Promise<WebhookReceiver> {
  const arrivals = new Map<string, number>();
  let verifier: Webhook | undefined;
  let refused = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrived = performance.now();
      try {
        if (verifier === undefined) throw new Error('no secret yet');
        const payload = verifier.verify(
          Buffer.concat(chunks).toString(),
          request.headers as IncomingHttpHeaders & Record<string, string>,
        ) as { data?: { referralId?: string } };
        const referralId = payload.data?.referralId;
        if (referralId !== undefined && !arrivals.has(referralId)) {
          arrivals.set(referralId, arrived);
        }
        response.writeHead(204).end();
      } catch {
        refused += 1;
        response.writeHead(400).end();
      }
    });
  });
  return new Promise((ready) => {
    server.listen(port, '127.0.0.1', () => {
      ready({
        url: `http://127.0.0.1:${port}/webhooks/aman`,
        arrivals,
        refused: () => refused,
        useSecret: (secret) => {
          verifier = new Webhook(secret);
        },
        close: () =>
          new Promise((closed) =>
            server.close(() => {
              closed();
            }),
          ),
      });
    });
  });
}
