import { SpanKind, currentTraceparent, inSpan } from '@aman/service-kit';

import type { WebhookSender } from '../application/webhookDelivery.ts';

/** How long one attempt may take, answer included. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Sends webhooks with Node's fetch: never following a redirect (a 3xx is a failed attempt, not
 * a hop to wherever it points), within a timeout, carrying the trace so the provider's side can
 * join it. Resolves with the status; the answer's body is not read.
 */
export function httpWebhookSender(timeoutMs = WEBHOOK_TIMEOUT_MS): WebhookSender {
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
          const response = await fetch(url, {
            method: 'POST',
            redirect: 'manual',
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), context.signal]),
            headers: {
              ...webhook.headers,
              'content-type': 'application/json',
              ...(traceparent === undefined ? {} : { traceparent }),
            },
            body: webhook.body,
          });
          span.setAttribute('http.response.status_code', response.status);
          await response.body?.cancel();
          return response.status;
        },
      ),
  };
}
