import { Webhook } from 'standardwebhooks';

import { DEADLINE_CLASSES } from '@aman/contracts/vocabulary';
import { PROTOBUF, SPEC_VERSION, deadLetterTopic } from '@aman/messaging';
import { CONTEXTS, type ContextName } from '@aman/service-kit';

import { jsonSchemasOf, protoDeclarations, type JsonSchema } from './protoJsonSchema.ts';

/**
 * The AsyncAPI 3 document of what leaves the platform as events: the webhooks a provider's
 * receiver gets (and the pull feed carries), and the Kafka topics the services publish. The
 * Kafka part is built from `CONTEXTS`' bindings and the .proto files, so a new event type is in
 * the document as soon as it is bound. The webhook part is written here, against the referral
 * service's notification types; its test builds the notifications with the referral service's
 * own code and checks them against these schemas.
 */

/** The OpenAPI document's version: the two describe one API. */
const VERSION = '1.0.0-pre';

/** Bindings versions of the AsyncAPI bindings used below. */
const KAFKA_BINDING = '0.5.0';
const HTTP_BINDING = '0.3.0';

/** Why a referral was revoked (the referral service's REVOCATION_REASONS; its test compares). */
export const REVOCATION_REASONS = ['consent_withdrawn', 'case_withdrawn', 'case_erased'] as const;

/**
 * The secret the document's examples are signed with: published so that an integrator can check
 * a verifier against them. It signs nothing else.
 */
export const EXAMPLE_SECRET = `whsec_${Buffer.from('aman-asyncapi-example-secret-key').toString('base64')}`;
/** The time the examples were signed at (a verifier checks them with its clock set to it). */
export const EXAMPLE_TIME = new Date('2026-03-02T10:15:00.000Z');

const RECEIVER_GUIDE = `
## For a provider: receiving webhooks

Register an https endpoint with \`PUT /v1/provider/webhook\` (the secret, \`whsec_…\`, is shown once).
The platform then POSTs each notification to it as JSON, signed the
[Standard Webhooks](https://www.standardwebhooks.com/) way. A receiver:

1. **Verifies the signature** before anything else, over the raw body bytes as received (never
   re-serialised JSON), with a [standardwebhooks](https://github.com/standard-webhooks/standard-webhooks)
   library: \`new Webhook(secret).verify(rawBody, headers)\`. The signed content is
   \`webhook-id.webhook-timestamp.body\`, HMAC-SHA256 with the base64 key after \`whsec_\`,
   sent as \`v1,<base64>\`. \`webhook-signature\` may hold several space-separated signatures:
   while a secret is rotated (\`POST /v1/provider/webhook/secret-rotation\`) the old and the new
   one both sign, and a receiver that knows either accepts.
2. **Rejects old or future timestamps**: \`webhook-timestamp\` (Unix seconds, the attempt's time)
   more than 5 minutes from its clock (the library does this), so a captured request cannot be
   replayed later.
3. **Deduplicates by \`webhook-id\`**: delivery is at least once, and every attempt at one
   notification carries the same id (a new timestamp and signature each time).
4. **Answers 2xx fast** (an attempt times out after 5 seconds by default), then works: any 2xx
   is delivered; anything else, a redirect (not followed), a timeout or a refused connection is
   a failed attempt, retried with exponential backoff and jitter (by default 10 s doubling, at
   most 1 h apart, 12 attempts). The answer's body is never read. Notifications
   about one case come to one provider in order; one that keeps failing is dead-lettered and holds
   back that case's later ones (\`GET /v1/provider/dead-letters\`, then redelivery) while other
   cases flow.
5. **Fetches what it needs**: a notification carries ids, a deadline or a reason, and no personal
   data and no case facts. The referral's packet is read with
   \`GET /v1/referrals/{referralId}/packet\` (authenticated, audited, refused once revoked).
6. **Treats \`case.erased\` as delete-everything**: every copy kept of the case (\`caseId\`) and its
   referrals is deleted, and \`referral.revoked\` means stop working on the referral.

Within v1 fields are only added: ignore what you do not know. A provider without an endpoint
reads the same notifications from the pull feed, \`GET /v1/feed\`.

The examples are signed with the published example secret \`${EXAMPLE_SECRET}\` at
${EXAMPLE_TIME.toISOString()}: a verifier whose clock is set to that time accepts them.
`;

const KAFKA_GUIDE = `
## Between the services: Kafka

Each producing context publishes on its own topic. Every record is a CloudEvents 1.0 event in
the Kafka protocol binding's binary mode: the attributes in \`ce_*\` headers, the data the
record's value as the protobuf encoding (\`${PROTOBUF}\`) of the message named by \`ce_type\`,
and the key the case id (\`ce_subject\`; the stream's name for events of no case), so one case's
events keep their order. Consumers deduplicate on \`ce_id\` and apply each stream's events in
\`ce_streamversion\` order. A record that keeps failing goes to the topic's \`.dlt\` topic.

Personal data never travels in the clear: the personal fields of an event are sealed
(ciphertext, one key per case) before it leaves its service, and erasing a case destroys its key.
The payload schemas below give each protobuf message's fields in their JSON form.
`;

type ProviderNotification = {
  readonly type: string;
  readonly title: string;
  readonly description: string;
  readonly data: JsonSchema;
  readonly example: Readonly<Record<string, string>>;
};

const id = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });
const time = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  description,
});
/** A revocation's reason; an erasure's is always `case_erased` (the referral domain's rule). */
const revocationReason: JsonSchema = {
  type: 'string',
  enum: REVOCATION_REASONS.filter((reason) => reason !== 'case_erased'),
};
const erasureReason: JsonSchema = { type: 'string', const: 'case_erased' };

/** The notifications, as the referral service builds them (webhooks/thinNotification.ts). */
function providerNotifications(programmeStatuses: readonly string[]): ProviderNotification[] {
  const referralId = id(
    'The referral: read its packet with GET /v1/referrals/{referralId}/packet.',
  );
  const caseId = id('The case, an opaque id (not personal data): find your copies of it by it.');
  return [
    {
      type: 'referral.routed',
      title: 'A referral was routed to you',
      description:
        'A case was referred to your organisation. Fetch the packet (GET ' +
        '/v1/referrals/{referralId}/packet) and acknowledge before the deadline.',
      data: {
        referralId,
        deadlineClass: { type: 'string', enum: [...DEADLINE_CLASSES] },
        respondBy: time('When the acknowledgement is due.'),
      },
      example: {
        referralId: '0195c1d4-7a2e-7c4b-9f1e-3b8a2d6e4f10',
        deadlineClass: 'DEADLINE_CLASS_URGENT',
        respondBy: '2026-03-02T22:15:00.000Z',
      },
    },
    {
      type: 'referral.revoked',
      title: 'A referral was revoked',
      description:
        'Stop working on the referral: its packet is refused from now on (consent withdrawn, ' +
        'the case withdrawn or erased).',
      data: { referralId, caseId, reason: revocationReason },
      example: {
        referralId: '0195c1d4-7a2e-7c4b-9f1e-3b8a2d6e4f10',
        caseId: '0195c1d0-11aa-7b3c-8d4e-5f6a7b8c9d0e',
        reason: 'consent_withdrawn',
      },
    },
    {
      type: 'case.erased',
      title: 'A case was erased: delete everything you kept of it',
      description:
        'The defender asked for erasure. Delete every copy of the case and of its referrals ' +
        '(the packet, notes, files, backups as they cycle) and keep only the ids.',
      data: { referralId, caseId, reason: erasureReason },
      example: {
        referralId: '0195c1d4-7a2e-7c4b-9f1e-3b8a2d6e4f10',
        caseId: '0195c1d0-11aa-7b3c-8d4e-5f6a7b8c9d0e',
        reason: 'case_erased',
      },
    },
    {
      type: 'referral.programme_changed',
      title: 'The programme of a pending referral stopped taking referrals',
      description:
        'The programme the referral was routed to is full, suspended or closed: decide what ' +
        'becomes of the referral (the NGO was told the same).',
      data: {
        referralId,
        programmeId: id('The programme.'),
        programmeStatus: { type: 'string', enum: [...programmeStatuses] },
      },
      example: {
        referralId: '0195c1d4-7a2e-7c4b-9f1e-3b8a2d6e4f10',
        programmeId: '0195b0aa-0c1d-7e2f-8a3b-4c5d6e7f8091',
        programmeStatus: 'PROGRAMME_STATUS_FULL',
      },
    },
  ];
}

/** The body of a notification: exactly these fields, nothing else. */
function notificationSchema(notification: ProviderNotification): JsonSchema {
  return {
    type: 'object',
    description: notification.description,
    required: ['type', 'timestamp', 'data'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', const: notification.type },
      timestamp: time(
        "When it happened (the event's time, not the delivery attempt's: that is " +
          'webhook-timestamp).',
      ),
      data: {
        type: 'object',
        required: Object.keys(notification.data),
        additionalProperties: false,
        properties: notification.data,
      },
    },
  };
}

const WEBHOOK_HEADERS: JsonSchema = {
  type: 'object',
  description:
    'The Standard Webhooks headers (verify with a standardwebhooks library), with ' +
    '`content-type: application/json` and, when the notification was caused by a traced ' +
    'request, a W3C `traceparent`.',
  required: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  properties: {
    'webhook-id': {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{1,128}$',
      description: 'The same for every attempt at one notification: deduplicate on it.',
    },
    'webhook-timestamp': {
      type: 'string',
      pattern: '^[0-9]+$',
      description: "This attempt's time in Unix seconds: reject it if more than 5 minutes off.",
    },
    'webhook-signature': {
      type: 'string',
      pattern: '^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$',
      description:
        'Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body` ' +
        'with the key `whsec_<base64>`; several while a secret is rotated, any one suffices.',
    },
    'content-type': { type: 'string', const: 'application/json' },
    traceparent: { type: 'string', description: 'W3C trace context.' },
  },
};

/** A notification as it is sent, signed with the example secret at the example time. */
function signedExample(notification: ProviderNotification, webhookId: string): JsonSchema {
  const payload = {
    type: notification.type,
    timestamp: '2026-03-02T10:14:58.000Z',
    data: notification.example,
  };
  const body = JSON.stringify(payload);
  return {
    name: notification.type.replace('.', '-'),
    summary: `${notification.type}, signed with the example secret; the raw body is ${body}`,
    headers: {
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(EXAMPLE_TIME.getTime() / 1000)),
      'webhook-signature': new Webhook(EXAMPLE_SECRET).sign(webhookId, EXAMPLE_TIME, body),
      'content-type': 'application/json',
    },
    payload,
  };
}

const SCHEMA_REF = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** CloudEvents binary mode: the headers of one event type of one context. */
function cloudEventHeaders(source: string, ceType: string): JsonSchema {
  const text = (description: string): JsonSchema => ({ type: 'string', description });
  return {
    type: 'object',
    required: [
      'ce_specversion',
      'ce_id',
      'ce_source',
      'ce_type',
      'ce_subject',
      'ce_time',
      'ce_stream',
      'ce_streamversion',
      'content-type',
    ],
    properties: {
      ce_specversion: { type: 'string', const: SPEC_VERSION },
      ce_id: text('The event id (UUIDv7): consumers deduplicate on it.'),
      ce_source: { type: 'string', const: source },
      ce_type: { type: 'string', const: ceType, description: 'The protobuf message of the data.' },
      ce_subject: text('The case id (the stream for events of no case); also the record key.'),
      ce_time: { type: 'string', format: 'date-time', description: 'When the event occurred.' },
      ce_stream: text('The event stream it was stored in (extension attribute).'),
      ce_streamversion: {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description: "The event's version in its stream (extension attribute).",
      },
      'content-type': { type: 'string', const: PROTOBUF },
      traceparent: text('W3C trace context of the request that caused the event.'),
    },
  };
}

const RECORD_KEY: JsonSchema = {
  type: 'string',
  description: 'The case id (ce_subject): one case, one partition, in order.',
};

function capitalised(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** The AsyncAPI 3.0.0 document, a plain object (serve it as JSON). */
export function asyncApiDocument(): Record<string, unknown> {
  const declarations = protoDeclarations();
  const programmeStatus = declarations.get('aman.referral.v1.ProgrammeStatus');
  const programmeStatuses =
    programmeStatus?.kind === 'enum'
      ? programmeStatus.values.filter((value) => value.number !== 0).map((value) => value.name)
      : [];
  const notifications = providerNotifications(programmeStatuses);

  const contexts = Object.entries(CONTEXTS) as [ContextName, (typeof CONTEXTS)[ContextName]][];
  const DEAD_LETTER = 'aman.eventing.v1.DeadLetter';
  const protoSchemas = jsonSchemasOf(
    [...contexts.flatMap(([, context]) => context.bindings.map((b) => b.ceType)), DEAD_LETTER],
    declarations,
  );

  const channels: Record<string, unknown> = {
    providerWebhook: {
      address: null,
      title: "The provider's webhook endpoint",
      description:
        'The https URL the provider registered (PUT /v1/provider/webhook): each notification is ' +
        'POSTed to it. GET /v1/feed carries the same notifications, flattened, for providers ' +
        'that cannot receive webhooks.',
      servers: [{ $ref: '#/servers/webhook' }],
      messages: Object.fromEntries(
        notifications.map((n) => [n.type, { $ref: `#/components/messages/${n.type}` }]),
      ),
    },
  };
  const operations: Record<string, unknown> = {
    receiveProviderNotification: {
      action: 'receive',
      title: 'Receive a notification',
      summary: 'Verify, deduplicate, answer 2xx, then fetch the packet or delete the case.',
      channel: { $ref: '#/channels/providerWebhook' },
      messages: notifications.map((n) => ({
        $ref: `#/channels/providerWebhook/messages/${n.type}`,
      })),
      bindings: { http: { method: 'POST', bindingVersion: HTTP_BINDING } },
    },
  };

  for (const [name, context] of contexts) {
    const messages = Object.fromEntries(
      context.bindings.map((binding) => [
        binding.eventType,
        {
          name: binding.ceType,
          title: binding.eventType,
          summary: `${binding.eventType}, published by ${context.service} as ${binding.ceType}.`,
          contentType: PROTOBUF,
          headers: cloudEventHeaders(context.source, binding.ceType),
          payload: SCHEMA_REF(binding.ceType),
          bindings: { kafka: { key: RECORD_KEY, bindingVersion: KAFKA_BINDING } },
        },
      ]),
    );
    const refs = Object.keys(messages).map((key) => ({
      $ref: `#/channels/${name}/messages/${key}`,
    }));
    channels[name] = {
      address: context.topic,
      title: `${context.topic}: the ${name} context's events`,
      description: `Published by the ${context.service} service (ce_source ${context.source}).`,
      servers: [{ $ref: '#/servers/kafka' }],
      messages,
      bindings: { kafka: { topic: context.topic, bindingVersion: KAFKA_BINDING } },
    };
    const deadLetters = `${name}DeadLetters`;
    channels[deadLetters] = {
      address: deadLetterTopic(context.topic),
      title: `${deadLetterTopic(context.topic)}: records of ${context.topic} that kept failing`,
      description: 'Parked by a consumer group after its attempts, for an operator.',
      servers: [{ $ref: '#/servers/kafka' }],
      messages: {
        DeadLetter: {
          name: DEAD_LETTER,
          title: 'DeadLetter',
          contentType: PROTOBUF,
          headers: {
            type: 'object',
            required: ['content-type', 'ce_type'],
            properties: {
              'content-type': { type: 'string', const: PROTOBUF },
              ce_type: { type: 'string', const: DEAD_LETTER },
            },
          },
          payload: SCHEMA_REF(DEAD_LETTER),
          bindings: {
            kafka: {
              key: { type: 'string', description: "The failed record's key." },
              bindingVersion: KAFKA_BINDING,
            },
          },
        },
      },
      bindings: {
        kafka: { topic: deadLetterTopic(context.topic), bindingVersion: KAFKA_BINDING },
      },
    };
    operations[`publish${capitalised(name)}Events`] = {
      action: 'send',
      summary: `The ${context.service} service publishes its events (through its outbox relay).`,
      channel: { $ref: `#/channels/${name}` },
      messages: refs,
    };
    operations[`consume${capitalised(name)}Events`] = {
      action: 'receive',
      summary: `Services and projections consume the ${name} context's events.`,
      channel: { $ref: `#/channels/${name}` },
      messages: refs,
    };
    operations[`consume${capitalised(name)}DeadLetters`] = {
      action: 'receive',
      summary: `Operators inspect the ${name} context's dead letters.`,
      channel: { $ref: `#/channels/${deadLetters}` },
      messages: [{ $ref: `#/channels/${deadLetters}/messages/DeadLetter` }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Aman events',
      version: VERSION,
      description:
        'What the platform tells the outside world and its own services by events. ' +
        'Notifications carry no personal data; the API (/openapi.json) serves the rest.\n' +
        RECEIVER_GUIDE +
        KAFKA_GUIDE,
      tags: [{ name: 'provider' }, { name: 'internal' }],
    },
    defaultContentType: 'application/json',
    servers: {
      webhook: {
        host: '{receiverHost}',
        protocol: 'https',
        title: "A provider's webhook receiver",
        description:
          'Not a server of the platform: the https endpoint each provider registers and runs. ' +
          'The platform calls it over TLS, to public addresses only, and follows no redirect.',
        variables: {
          receiverHost: {
            description: "The host (and port) of the provider's registered URL.",
            examples: ['receiver.embassy.example'],
          },
        },
        tags: [{ name: 'provider' }],
      },
      kafka: {
        host: '{bootstrapServers}',
        protocol: 'kafka',
        title: 'The platform’s Kafka cluster (internal)',
        description:
          'Not reachable from outside. Clients authenticate with SASL/SCRAM-SHA-512 (see the ' +
          "README's Containers section); the local test brokers run without it.",
        variables: {
          bootstrapServers: {
            description: 'Bootstrap broker addresses.',
            default: 'kafka:9092',
          },
        },
        security: [{ $ref: '#/components/securitySchemes/scram' }],
        tags: [{ name: 'internal' }],
      },
    },
    channels,
    operations,
    components: {
      messages: Object.fromEntries(
        notifications.map((notification, index) => [
          notification.type,
          {
            name: notification.type,
            title: notification.title,
            summary: notification.description,
            contentType: 'application/json',
            headers: SCHEMA_REF('StandardWebhookHeaders'),
            payload: SCHEMA_REF(notificationName(notification.type)),
            examples: [signedExample(notification, `msg_example${String(index + 1)}`)],
          },
        ]),
      ),
      schemas: {
        StandardWebhookHeaders: WEBHOOK_HEADERS,
        ...Object.fromEntries(
          notifications.map((n) => [notificationName(n.type), notificationSchema(n)]),
        ),
        ...protoSchemas,
      },
      securitySchemes: {
        scram: {
          type: 'scramSha512',
          description: 'SASL/SCRAM-SHA-512; each service has its own user.',
        },
      },
    },
  };
}

/** `referral.programme_changed` → `ReferralProgrammeChangedNotification`. */
export function notificationName(type: string): string {
  return `${type
    .split(/[._]/)
    .map((part) => capitalised(part))
    .join('')}Notification`;
}
