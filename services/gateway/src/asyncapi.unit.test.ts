import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { Parser } from '@asyncapi/parser';
import { describe, expect, it, jest } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { Value } from 'typebox/value';

import { CONTEXTS } from '@aman/service-kit';

import {
  EXAMPLE_SECRET,
  EXAMPLE_TIME,
  REVOCATION_REASONS,
  asyncApiDocument,
  notificationName,
} from './asyncapi.ts';
import type { JsonSchema } from './protoJsonSchema.ts';

type Json = Record<string, unknown>;
type Headers = Record<string, string>;

/** What this test uses of the referral service's webhook code: the sender's side. */
interface ReferralWebhooks {
  readonly NOTIFICATION_TYPES: readonly string[];
  readonly routedNotification: (referral: {
    referralId: string;
    deadlineClass: string;
    respondBy: string;
    routedAt: string;
  }) => Json;
  readonly revocationNotification: (
    referral: { referralId: string; caseId: string },
    owed: { notice: string; reason: string; at: string },
  ) => Json;
  readonly programmeChangedNotification: (change: {
    referralId: string;
    programmeId: string;
    programmeStatus: string;
    changedAt: string;
  }) => Json & { id: string };
  readonly signedWebhook: (
    secrets: string | readonly string[],
    message: { id: string; timestamp: Date; payload: Json },
  ) => { body: string; headers: Headers };
}

interface ReferralVocabulary {
  readonly REVOCATION_REASONS: readonly string[];
  readonly PROGRAMME_STATUSES: readonly string[];
}

/**
 * The referral service's own code, which builds and signs what providers receive. @aman/gateway
 * does not depend on @aman/referral (the document is about its wire format only), so the module
 * is loaded by path in this test, and the path is computed so that the type checker leaves the
 * referral sources out of the gateway's project.
 */
async function referralModule<T>(path: string): Promise<T> {
  return (await import(fileURLToPath(new URL(`../../referral/src/${path}`, import.meta.url)))) as T;
}

/**
 * Diagnostics of the parser's recommended ruleset that are accepted, with why. Anything else of
 * any severity fails the test.
 */
const ACCEPTED: Readonly<Record<string, string>> = {
  // Information only: 3.1.0 exists; 3.0.0 is what the brief asks for and what the tools
  // integrators use (generators, Studio) all read.
  'asyncapi-latest-version': 'AsyncAPI 3.0.0 on purpose',
};

const document = asyncApiDocument() as Json & {
  channels: Record<string, { address: string | null; messages: Record<string, Json> }>;
  components: { messages: Record<string, Json>; schemas: Record<string, JsonSchema> };
};
const schemas = document.components.schemas;

function resolved(schema: unknown): JsonSchema {
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref !== 'string') return schema as JsonSchema;
  const name = ref.replace('#/components/schemas/', '');
  const target = schemas[name];
  if (target === undefined) throw new Error(`unresolved ${ref}`);
  return target;
}

function webhookMessage(type: string): {
  headers: JsonSchema;
  payload: JsonSchema;
  example: { headers: Headers; payload: Json };
} {
  const message = document.components.messages[type] as
    | { headers: unknown; payload: unknown; examples: { headers: Headers; payload: Json }[] }
    | undefined;
  const example = message?.examples[0];
  if (message === undefined || example === undefined) throw new Error(`no message ${type}`);
  return { headers: resolved(message.headers), payload: resolved(message.payload), example };
}

describe('the AsyncAPI document', () => {
  it('parses and validates with no diagnostic but the accepted ones', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const unexpected = diagnostics
      .filter((diagnostic) => !(String(diagnostic.code) in ACCEPTED))
      .map((d) => `${String(d.code)} (severity ${String(d.severity)}) at ${d.path.join('.')}`);
    expect(unexpected).toEqual([]);
    expect(parsed).toBeDefined();
    expect(parsed?.info().title()).toBe('Aman events');
  });

  it('documents every notification type the referral service sends, and no other', async () => {
    const { NOTIFICATION_TYPES } = await referralModule<ReferralWebhooks>('webhooks/index.ts');
    const { document: parsed } = await new Parser().parse(JSON.stringify(document));
    const webhook = parsed?.channels().get('providerWebhook');
    const names = webhook
      ?.messages()
      .all()
      .map((message) => message.name());
    expect(NOTIFICATION_TYPES.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set(NOTIFICATION_TYPES));
    const receive = parsed?.operations().get('receiveProviderNotification');
    expect(receive?.action()).toBe('receive');
    expect(
      new Set(
        receive
          ?.messages()
          .all()
          .map((m) => m.name()),
      ),
    ).toEqual(new Set(NOTIFICATION_TYPES));
  });

  it('documents every binding of every context as a message of its topic, sent and received', async () => {
    const { document: parsed } = await new Parser().parse(JSON.stringify(document));
    for (const [name, context] of Object.entries(CONTEXTS)) {
      const channel = parsed?.channels().get(name);
      expect(channel?.address()).toBe(context.topic);
      const messages = channel?.messages().all() ?? [];
      expect(messages.map((message) => message.name()).sort()).toEqual(
        context.bindings.map((binding) => binding.ceType).sort(),
      );
      for (const binding of context.bindings) {
        const message = document.channels[name]?.messages[binding.eventType] as
          { headers: JsonSchema; payload: JsonSchema; contentType: string } | undefined;
        expect(message?.contentType).toBe('application/protobuf');
        expect(resolved(message?.payload)).toMatchObject({ 'x-protobuf-message': binding.ceType });
        expect(message?.headers).toMatchObject({
          properties: {
            ce_type: { const: binding.ceType },
            ce_source: { const: context.source },
          },
        });
      }
      for (const action of ['send', 'receive']) {
        const operation = parsed
          ?.operations()
          .all()
          .find(
            (op) => op.action() === action && op.channels().all()[0]?.address() === context.topic,
          );
        expect(operation?.messages().all().length).toBe(context.bindings.length);
      }
    }
  });

  it("gives each bound protobuf message's fields as its generated code reads and writes them", () => {
    for (const context of Object.values(CONTEXTS)) {
      for (const binding of context.bindings) {
        const sample = sampleOf(resolved({ $ref: `#/components/schemas/${binding.ceType}` }));
        expect(binding.message.toJSON(binding.message.fromJSON(sample))).toEqual(sample);
      }
    }
  });

  it('describes the notifications exactly as the referral service builds them', async () => {
    const referral = await referralModule<ReferralWebhooks>('webhooks/index.ts');
    const vocabulary = await referralModule<ReferralVocabulary>('domain/vocabulary.ts');
    expect([...REVOCATION_REASONS].sort()).toEqual([...vocabulary.REVOCATION_REASONS].sort());
    const at = '2026-03-02T10:00:00.000Z';
    // Whatever else the sender's argument holds must not reach the provider.
    const referralRecord = {
      referralId: 'ref-1',
      caseId: 'case-1',
      deadlineClass: 'DEADLINE_CLASS_CRITICAL',
      respondBy: '2026-03-02T12:00:00.000Z',
      routedAt: at,
      fullName: 'never sent',
      circumstances: 'never sent',
    };
    const programmeChanged = (programmeStatus: string): Json => {
      const { id, ...payload } = referral.programmeChangedNotification({
        referralId: 'ref-1',
        programmeId: 'prog-1',
        programmeStatus,
        changedAt: at,
      });
      // The webhook id is signed as `id.timestamp.body`: the document's pattern keeps it unambiguous.
      expect(id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      return payload;
    };
    const sent: Json[] = [
      referral.routedNotification(referralRecord),
      referral.revocationNotification(referralRecord, {
        notice: 'referral.revoked',
        reason: 'consent_withdrawn',
        at,
      }),
      referral.revocationNotification(referralRecord, {
        notice: 'referral.revoked',
        reason: 'case_withdrawn',
        at,
      }),
      referral.revocationNotification(referralRecord, {
        notice: 'case.erased',
        reason: 'case_erased',
        at,
      }),
      // Told when a programme stops taking referrals: any status but open.
      ...vocabulary.PROGRAMME_STATUSES.filter((status) => status !== 'PROGRAMME_STATUS_OPEN').map(
        programmeChanged,
      ),
    ];
    for (const payload of sent) {
      const { payload: schema, example } = webhookMessage(String(payload['type']));
      expect({ payload, valid: Value.Check(schema, payload) }).toEqual({ payload, valid: true });
      expect(Value.Check(schema, example.payload)).toBe(true);
    }
    // The schemas are closed: a field the document does not name fails.
    const { payload: routed } = webhookMessage('referral.routed');
    const leaked = referral.routedNotification(referralRecord);
    expect(Value.Check(routed, { ...leaked, data: { ...(leaked['data'] as Json), x: 1 } })).toBe(
      false,
    );
    expect(notificationName('referral.programme_changed')).toBe(
      'ReferralProgrammeChangedNotification',
    );
  });

  describe('a receiver built from the document alone', () => {
    /** Checks the headers and the body against the document, and the signature as it says. */
    function receive(secret: string, body: string, headers: Headers): Json {
      const type = (JSON.parse(body) as { type?: unknown }).type;
      const message = webhookMessage(String(type));
      if (!Value.Check(message.headers, headers)) throw new Error('headers not as documented');
      const payload = new Webhook(secret).verify(body, headers) as Json;
      if (!Value.Check(message.payload, payload)) throw new Error('payload not as documented');
      return payload;
    }

    const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

    it("accepts the platform's signed webhooks, also during a secret rotation", async () => {
      const { signedWebhook } = await referralModule<ReferralWebhooks>('webhooks/index.ts');
      const [oldSecret, newSecret] = [secret(), secret()];
      for (const type of ['referral.routed', 'referral.revoked', 'case.erased']) {
        const { example } = webhookMessage(type);
        const sent = signedWebhook([newSecret, oldSecret], {
          id: 'msg_0195c1d47a2e',
          timestamp: new Date(),
          payload: example.payload,
        });
        const headers = { ...sent.headers, 'content-type': 'application/json' };
        expect(sent.headers['webhook-signature']?.split(' ')).toHaveLength(2);
        expect(receive(oldSecret, sent.body, headers)).toEqual(example.payload);
        expect(receive(newSecret, sent.body, headers)).toEqual(example.payload);
      }
    });

    it('refuses a tampered body, another secret, and a timestamp older than 5 minutes', async () => {
      const { signedWebhook } = await referralModule<ReferralWebhooks>('webhooks/index.ts');
      const key = secret();
      const { example } = webhookMessage('referral.routed');
      const sign = (timestamp: Date): { body: string; headers: Headers } => {
        const sent = signedWebhook(key, { id: 'msg_1', timestamp, payload: example.payload });
        return {
          body: sent.body,
          headers: { ...sent.headers, 'content-type': 'application/json' },
        };
      };
      const fresh = sign(new Date());
      expect(() => receive(key, fresh.body.replace('URGENT', 'NORMAL'), fresh.headers)).toThrow();
      expect(() => receive(secret(), fresh.body, fresh.headers)).toThrow();
      const stale = sign(new Date(Date.now() - 6 * 60_000));
      expect(() => receive(key, stale.body, stale.headers)).toThrow();
    });

    it("verifies the document's own examples with the published example secret", () => {
      jest.useFakeTimers({ now: EXAMPLE_TIME });
      try {
        for (const type of Object.keys(document.components.messages)) {
          const { example } = webhookMessage(type);
          // The raw body is the payload serialised as sent: key order kept, no spaces.
          const body = JSON.stringify(example.payload);
          expect(receive(EXAMPLE_SECRET, body, example.headers)).toEqual(example.payload);
        }
      } finally {
        jest.useRealTimers();
      }
    });
  });
});

/** A value of every field of a schema (the first member of a oneof only), for a round trip. */
function sampleOf(schema: JsonSchema, depth = 0): unknown {
  if (depth > 10) throw new Error('schema nests too deep for a sample');
  if ('$ref' in schema) return sampleOf(resolved(schema), depth + 1);
  const allOf = schema['allOf'] as JsonSchema[] | undefined;
  if (allOf?.[0] !== undefined) return sampleOf(allOf[0], depth + 1);
  const values = schema['enum'] as unknown[] | undefined;
  if (values !== undefined) return values[0];
  switch (schema['type']) {
    case 'string':
      if (schema['format'] === 'date-time') return '2026-01-02T03:04:05.000Z';
      return schema['contentEncoding'] === 'base64' ? 'AQID' : 'text';
    case 'integer':
      return 7;
    case 'number':
      return 0.5;
    case 'boolean':
      return true;
    case 'array':
      return [sampleOf(schema['items'] as JsonSchema, depth + 1)];
    case 'object': {
      const extra = schema['additionalProperties'] as JsonSchema | undefined;
      if (extra !== undefined && typeof extra === 'object') {
        return { key: sampleOf(extra, depth + 1) };
      }
      const oneofs = Object.values((schema['x-protobuf-oneof'] ?? {}) as Record<string, string[]>);
      const skipped = new Set(oneofs.flatMap((members) => members.slice(1)));
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([name]) => !skipped.has(name))
          .map(([name, property]) => [name, sampleOf(property, depth + 1)]),
      );
    }
    default:
      throw new Error(`no sample for ${JSON.stringify(schema)}`);
  }
}
