import { OutboundClient } from '@aman/outbound';
import { SpanKind, currentTraceparent, inSpan, recordWebhookAttempt } from '@aman/service-kit';

import type { WebhookSender } from '../application/webhookDelivery.ts';

/** How long one attempt may take, answer included. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Sends webhooks through `@aman/outbound`: the URL checked again at every attempt (https, no
 * private or reserved address after resolution, the checked address pinned), no redirect
 * followed (a 3xx is a failed attempt), within a timeout, the answer's body never read. Carries
 * the trace (`traceparent`) so the provider's side can join it. Resolves with the status.
 *
 * A number instead of a client is a client with the default rules and that total timeout
 * (older callers); main.ts passes a client configured from the environment.
 */
export function httpWebhookSender(
  outbound: OutboundClient | number = new OutboundClient({ timeoutMs: WEBHOOK_TIMEOUT_MS }),
): WebhookSender {
  const client =
    typeof outbound === 'number' ? new OutboundClient({ timeoutMs: outbound }) : outbound;
  return {
    send: (url, webhook, context) =>
      inSpan(
        'webhook.deliver',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': 'POST',
            'server.address': new URL(url).hostname,
            'aman.referral.id': context.referralId,
          },
        },
        async (span) => {
          const traceparent = currentTraceparent();
          const started = performance.now();
          try {
            const answer = await client.post(url, {
              signal: context.signal,
              headers: {
                ...webhook.headers,
                'content-type': 'application/json',
                ...(traceparent === undefined ? {} : { traceparent }),
              },
              body: webhook.body,
            });
            span.setAttribute('http.response.status_code', answer.status);
            span.setAttribute('network.peer.address', answer.address);
            recordWebhookAttempt(answer.status, performance.now() - started);
            return answer.status;
          } catch (error) {
            recordWebhookAttempt(undefined, performance.now() - started);
            throw error;
          }
        },
      ),
  };
}
