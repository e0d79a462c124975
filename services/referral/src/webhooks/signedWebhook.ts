import { Webhook } from 'standardwebhooks';

import { ValidationError } from '@aman/errors';
import type { JsonObject } from '@aman/eventstore';

export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** A request body and the Standard Webhooks headers that sign it. Send `body` byte for byte. */
export type SignedWebhook = {
  readonly body: string;
  readonly headers: WebhookHeaders;
};

export type WebhookMessage = {
  /** The same for every attempt at one message (the consumer's idempotency key). */
  readonly id: string;
  /** This attempt's time: a retry signs again with a new one. */
  readonly timestamp: Date;
  readonly payload: JsonObject;
};

// The signed content is `id.timestamp.body`: an id with a `.` could shift the boundaries.
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Signs one delivery attempt with each of the endpoint's `whsec_` secrets (HMAC-SHA256, `v1`),
 * space-separated in one `webhook-signature` header: while a secret is rotated the old and the
 * new one are both given, and a receiver that knows either verifies.
 */
export function signedWebhook(
  secrets: string | readonly string[],
  message: WebhookMessage,
): SignedWebhook {
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  if (keys.length === 0) throw new ValidationError('a webhook is signed with at least one secret');
  if (!MESSAGE_ID.test(message.id)) {
    throw new ValidationError('webhook id must be 1 to 128 letters, digits, _ or -');
  }
  if (Number.isNaN(message.timestamp.getTime())) {
    throw new ValidationError('webhook timestamp must be a valid time');
  }
  const body = JSON.stringify(message.payload);
  return {
    body,
    headers: {
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
      'webhook-signature': keys
        .map((secret) => webhookFor(secret).sign(message.id, message.timestamp, body))
        .join(' '),
    },
  };
}

function webhookFor(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    // The library's message is dropped: nothing about a secret goes into an error.
    throw new ValidationError('webhook secret must be whsec_ followed by base64');
  }
}
