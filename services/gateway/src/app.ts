import { randomUUID } from 'node:crypto';

import { FastifyOtelInstrumentation } from '@fastify/otel';
import swagger from '@fastify/swagger';
import {
  Type,
  TypeBoxValidatorCompiler,
  type TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import { trace } from '@opentelemetry/api';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

import {
  accountability,
  common,
  intake,
  referral,
  risk,
  operations,
  type projections,
} from '@aman/contracts';
import { enumNames } from '@aman/contracts/vocabulary';
import {
  AmanError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  ValidationError,
} from '@aman/errors';
import {
  asOutage,
  recordHttp,
  type Logger,
  type OrganisationType,
  type Principal,
  type ServiceClient,
} from '@aman/service-kit';

import type { ApiKeyStore } from './adapters/keyStore.ts';
import { docsPage } from './adapters/docsPage.ts';
import { newWebhookSecret } from './adapters/webhookSecrets.ts';
import { asyncApiDocument } from './asyncapi.ts';
import { apiKeyId, isWellFormedApiKey } from './domain/apiKeys.ts';
import { FailureBudget } from './domain/failureBudget.ts';

export interface GatewayClients {
  readonly intake: ServiceClient<intake.IntakeServiceClient>;
  readonly risk: ServiceClient<risk.RiskAssessmentServiceClient>;
  readonly referral: ServiceClient<referral.ReferralServiceClient>;
  readonly accountability: ServiceClient<accountability.AccountabilityServiceClient>;
  readonly monitoring: ServiceClient<accountability.MonitoringServiceClient>;
  readonly projections: ServiceClient<projections.ProjectionsServiceClient>;
  /** Each service's pipeline status, by service name (the operator's view). */
  readonly operations?: Readonly<Record<string, ServiceClient<operations.OperationsServiceClient>>>;
}

/** Request limits; the defaults suit one gateway in front of a national network of NGOs. */
export interface GatewayLimits {
  /** Requests per minute per API key (per source address without one). */
  readonly requestsPerMinute: number;
  /** Failed authentications per key id, then per source address, in the window, before 429. */
  readonly failuresPerKey: number;
  readonly failuresPerSource: number;
  readonly failureWindowMs: number;
  /** The least time a 404 takes, so that its timing does not tell whether the object exists. */
  readonly notFoundFloorMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  requestsPerMinute: 600,
  failuresPerKey: 5,
  failuresPerSource: 30,
  failureWindowMs: 10 * 60_000,
  notFoundFloorMs: 150,
};

export interface GatewayOptions {
  readonly keys: ApiKeyStore;
  readonly clients: GatewayClients;
  readonly logger: Logger;
  readonly bodyLimit?: number;
  readonly limits?: Partial<GatewayLimits>;
  /** What readiness depends on, each named: the key store, each service it calls. */
  readonly dependencies?: Readonly<Record<string, () => Promise<boolean>>>;
}

/** An API key in a URL ends up in logs, proxies and browser history: refused, never looked up. */
const KEY_IN_URL = /[?&](api_?key|access_token|token|key)=|aman_[0-9A-Za-z]{36}/i;

/** Sent with every answer: an API that is never framed, sniffed, cached or referred from. */
const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route as registered (method and URL template): what the route tests walk. */
    readonly routeTable: readonly { readonly method: string; readonly url: string }[];
  }
}

const oneOf = (values: Record<string, string | number>, description: string) =>
  Type.Union(
    enumNames(values).map((name) => Type.Literal(name)),
    { description },
  );

const Text = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, description });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Province = Type.String({
  pattern: '^[A-Z]{2}-[A-Z0-9]{1,3}$',
  description: 'ISO 3166-2 code',
});
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' });
const strict = { additionalProperties: false } as const;

const ThreatFields = {
  kind: oneOf(common.ThreatKind, 'kind of threat'),
  occurredOn: Day,
  source: oneOf(common.ThreatSource, 'who is making the threat'),
  objective: oneOf(common.ThreatObjective, 'what the threat seems meant to achieve'),
  feasibility: oneOf(common.Feasibility, 'whether the source can carry it out'),
  declared: Type.Boolean({ description: 'made to the person directly' }),
  narrative: Type.String({ maxLength: 5000, description: 'sealed at intake' }),
};
const Threat = Type.Object(ThreatFields, strict);

const Consent = Type.Object(
  {
    grants: Type.Array(
      Type.Object(
        {
          recipientTypes: Type.Array(oneOf(common.RecipientType, 'recipient type'), {
            maxItems: 10,
          }),
          providerIds: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
              maxItems: 50,
              description: 'named providers (their organisation ids), whatever their type',
            }),
          ),
          fieldGroups: Type.Array(oneOf(common.FieldGroup, 'field group'), {
            minItems: 1,
            maxItems: 10,
          }),
        },
        strict,
      ),
      { maxItems: 20, description: 'no grant: no referral' },
    ),
    method: oneOf(intake.ConsentMethod, 'how consent was obtained'),
    obtainedAt: Type.String({ format: 'date-time' }),
  },
  strict,
);

const CaseSubmission = Type.Object(
  {
    defender: Type.Object(
      {
        fullName: Text(200, 'the person’s name(s); sealed at intake'),
        phone: Text(50, 'sealed at intake'),
        place: Text(200, 'exact place; sealed at intake'),
        dateOfBirth: Type.Optional(Day),
      },
      strict,
    ),
    profile: oneOf(common.Profile, 'what puts the person at risk'),
    gender: oneOf(common.Gender, 'gender'),
    province: Province,
    outsideCapital: Type.Boolean(),
    familyExposed: Type.Boolean(),
    threats: Type.Array(Threat, { maxItems: 50 }),
    needs: Type.Array(oneOf(common.Need, 'a need'), { minItems: 1, maxItems: 10 }),
    vulnerabilities: Type.Optional(
      Type.Object(
        {
          minority: Type.Boolean(),
          disability: Type.Boolean(),
          publicVisibility: Type.Boolean(),
        },
        strict,
      ),
    ),
    capacities: Type.Optional(
      Type.Object(
        {
          supportNetwork: Type.Boolean(),
          relocationOptions: Type.Boolean(),
          digitalSecurity: Type.Boolean(),
        },
        strict,
      ),
    ),
    consent: Consent,
  },
  strict,
);

/** A threat's facts as intake's ThreatFact, and its narrative apart. */
function threatRequest(threat: {
  kind: string;
  occurredOn: string;
  source: string;
  objective: string;
  feasibility: string;
  declared: boolean;
  narrative: string;
}) {
  const { narrative, ...fact } = threat;
  return { fact, narrative };
}

const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), requestId: Type.String() }),
});

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,100}$' }),
});

/** A page of a listing: at most `limit` items, after the opaque cursor of the page before. */
const Page = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'nextCursor of the page before' }),
    ),
  },
  strict,
);
const NextCursor = Type.String({ description: "the next page's cursor; '' on the last page" });

const Stage = Type.Object({ name: Type.String(), at: Type.String() });
const CaseView = Type.Object({
  caseId: Type.String(),
  riskLevel: Type.String(),
  riskFactors: Type.Array(Type.String()),
  stages: Type.Array(Stage),
  referrals: Type.Array(
    Type.Object({
      referralId: Type.String(),
      providerOrganisationId: Type.String(),
      status: Type.String(),
      stages: Type.Array(Stage),
      respondBy: Type.Optional(Type.String()),
    }),
  ),
  incidents: Type.Integer(),
});

/** Who may call a route, by organisation type. */
function allow(...types: OrganisationType[]) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.principal === undefined) throw new UnauthenticatedError();
    if (!types.includes(request.principal.organisationType)) {
      throw new ForbiddenError(`a ${request.principal.organisationType} key may not call this`);
    }
  };
}

function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new UnauthenticatedError();
  return request.principal;
}

const timestamp = (value: Date | undefined): string => value?.toISOString() ?? '';

/** Accountability lists at most so many overdue interventions in one call. */
const MAX_OVERDUE_COUNTED = 500;

/** A published count, or null where it is suppressed. */
const published = (count: projections.StatisticsCount | undefined): number | null =>
  count === undefined || count.suppressed ? null : count.count;

function caseView(view: projections.CaseView) {
  return {
    caseId: view.caseId,
    riskLevel: common.riskLevelToJSON(view.riskLevel),
    riskFactors: view.riskFactors,
    stages: view.stages.map((stage) => ({ name: stage.name, at: timestamp(stage.at) })),
    referrals: view.referrals.map((item) => ({
      referralId: item.referralId,
      providerOrganisationId: item.providerOrganisationId,
      status: referral.referralStatusToJSON(item.status),
      stages: item.stages.map((stage) => ({ name: stage.name, at: timestamp(stage.at) })),
      ...(item.respondBy === undefined ? {} : { respondBy: item.respondBy.toISOString() }),
    })),
    incidents: view.incidents,
  };
}

/**
 * The public HTTP API. It holds no domain data: it authenticates the API key, checks the
 * organisation type may call the route, validates the request against its schema (which is also
 * the OpenAPI document), and calls the service that owns the data, which checks the principal
 * again on the data itself.
 */
export async function buildApp(options: GatewayOptions) {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    genReqId: () => randomUUID(),
    // Requests are logged below by route, never by URL: a URL can carry ids and query strings.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-For is nobody's word here: the source is the connection's peer.
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // A server span per request, continuing an incoming traceparent; handlers run inside it.
  // No exception events: a stack trace or a library's message is not for a trace to carry.
  const otel = new FastifyOtelInstrumentation({ recordExceptions: false });
  otel.setTracerProvider(trace.getTracerProvider());
  await app.register(otel.plugin());
  // Named by method and route template (HTTP semantic conventions), never by the URL's ids.
  app.addHook('onRequest', async (request) => {
    request
      .opentelemetry()
      .span?.updateName(`${request.method} ${request.routeOptions.url ?? 'no route'}`);
  });
  const routeTable: { method: string; url: string }[] = [];
  app.decorate('routeTable', routeTable);
  // Before swagger's own hook: what is added here is in the document.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url });
    if (route.url.startsWith('/v1/') && route.schema !== undefined) {
      route.schema = documented(
        route.schema as Record<string, unknown>,
        [route.method].flat()[0] ?? 'GET',
        route.url,
      );
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Aman API',
        version: '1.0.0-pre',
        description:
          'Referral, risk assessment and accountability for human rights defenders at risk.',
        license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
      },
      servers: [{ url: '/', description: 'this gateway' }],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'aman_…' } },
      },
      security: [{ apiKey: [] }],
    },
  });

  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const failure = toAmanError(error);
    if (failure.httpStatus >= 500) request.log.error({ err: error }, 'request failed');
    if (failure instanceof RateLimitedError) {
      void reply.header('retry-after', String(failure.retryAfterSeconds));
    }
    if (failure.code === 'AMAN_ERR_NOT_FOUND') {
      // Another organisation's object and one that never existed take different paths inside
      // the services; answered no sooner than the floor, the two take the same time.
      const wait = limits.notFoundFloorMs - reply.elapsedTime;
      if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    }
    return reply.status(failure.httpStatus).send({
      error: { code: failure.code, message: failure.message, requestId: request.id },
    });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: 'AMAN_ERR_NOT_FOUND', message: 'no such route', requestId: request.id },
    });
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // A route may set its own policy (the docs page's scripts and styles); every other answer
    // gets these.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (!reply.hasHeader(name)) void reply.header(name, value);
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    recordHttp(
      request.method,
      request.routeOptions.url ?? 'no route',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'no route',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        keyId: request.principal?.keyId,
      },
      'request',
    );
  });

  const failuresByKey = new FailureBudget({
    limit: limits.failuresPerKey,
    windowMs: limits.failureWindowMs,
  });
  const failuresBySource = new FailureBudget({
    limit: limits.failuresPerSource,
    windowMs: limits.failureWindowMs,
  });
  app.addHook('onRequest', async (request) => {
    if (KEY_IN_URL.test(request.url)) {
      throw new UnauthenticatedError(
        'an API key goes in the Authorization header, never in the URL',
      );
    }
    const header = request.headers.authorization;
    if (header === undefined) return;
    const key = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    // The store answers for every request (no cache), so a revoked key fails at once; a store
    // that does not answer fails the request (503), never lets it through.
    const authenticated = await options.keys.authenticate(key);
    if (authenticated !== undefined) {
      request.principal = authenticated.principal;
      if (!['GET', 'HEAD'].includes(request.method) && !authenticated.scopes.includes('write')) {
        throw new ForbiddenError('this key may only read');
      }
      return;
    }
    const keyId = isWellFormedApiKey(key) ? apiKeyId(key) : undefined;
    const now = Date.now();
    const waits = [
      failuresBySource.fail(request.ip, now),
      keyId === undefined ? undefined : failuresByKey.fail(keyId, now),
    ].filter((wait) => wait !== undefined);
    // A security event: when, which key id (never the key), from where.
    request.log.warn(
      { event: 'authentication_failed', keyId: keyId ?? 'malformed', source: request.ip },
      'authentication failed',
    );
    if (waits.length > 0) {
      throw new RateLimitedError(Math.max(...waits), 'too many failed authentications');
    }
    throw new UnauthenticatedError('the API key is not valid');
  });

  await app.register(rateLimit, {
    global: true,
    // After authentication, so that the limit is the key's wherever its requests come from.
    hook: 'preHandler',
    max: limits.requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => request.principal?.keyId ?? `source:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(context.ttl / 1000, 'too many requests for this key'),
  });

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  // What providers receive (webhooks) and what the contexts publish (Kafka), public as the
  // OpenAPI document is. Built once: it reads the .proto files.
  const asyncApi = asyncApiDocument();
  app.get('/asyncapi.json', { schema: { hide: true } }, () => asyncApi);
  // Liveness: the process answers. (/health too, as the container's health check asks.)
  app.get('/health', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/health/live', { schema: { hide: true } }, () => ({ status: 'ok' }));
  // Readiness: every dependency answers (names only); 503 while one does not.
  app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
    const dependencies = await Promise.all(
      Object.entries(options.dependencies ?? {}).map(async ([name, check]) => ({
        name,
        ready: await check().catch(() => false),
      })),
    );
    const ready = dependencies.every((dependency) => dependency.ready);
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', dependencies });
  });

  const { clients } = options;

  app.post(
    '/v1/cases',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Submit the case of a person at risk, with their consent',
        tags: ['ngo'],
        headers: IdempotencyHeaders,
        body: CaseSubmission,
        response: {
          201: Type.Object({
            caseId: Type.String(),
            triage: Type.Object({ status: Type.String(), riskLevel: Type.String() }),
          }),
          400: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const submitted = await clients.intake.call(
        'submitCase',
        intake.SubmitCaseRequest.fromJSON({
          idempotencyKey: request.headers['idempotency-key'],
          defender: body.defender,
          profile: body.profile,
          gender: body.gender,
          province: body.province,
          outsideCapital: body.outsideCapital,
          familyExposed: body.familyExposed,
          threats: body.threats.map(threatRequest),
          needs: body.needs,
          vulnerabilities: body.vulnerabilities,
          capacities: body.capacities,
          consent: body.consent,
        }),
        { principal: principalOf(request) },
      );
      return reply.status(201).send({
        caseId: submitted.caseId,
        triage: {
          status:
            submitted.triageStatus === intake.TriageStatus.TRIAGE_STATUS_ASSESSED
              ? 'assessed'
              : 'pending',
          riskLevel: common.riskLevelToJSON(submitted.riskLevel),
        },
      });
    },
  );

  app.get(
    '/v1/cases',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: "The organisation's own cases, each stage with its time",
        tags: ['ngo'],
        querystring: Page,
        response: {
          200: Type.Object({ cases: Type.Array(CaseView), nextCursor: NextCursor }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const listed = await clients.projections.call(
        'listCases',
        { limit: request.query.limit ?? 50, cursor: request.query.cursor ?? '' },
        { principal: principalOf(request) },
      );
      return { cases: listed.cases.map(caseView), nextCursor: listed.nextCursor };
    },
  );

  app.get(
    '/v1/cases/:caseId',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'One of the organisation’s cases',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        response: { 200: CaseView, 404: ErrorBody },
      },
    },
    async (request) => {
      const found = await clients.projections.call(
        'getCase',
        { caseId: request.params.caseId },
        { principal: principalOf(request) },
      );
      if (found.case === undefined) throw new AmanError('AMAN_ERR_NOT_FOUND', 'no such case');
      return caseView(found.case);
    },
  );

  app.get(
    '/v1/cases/:caseId/record',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'The case as the NGO recorded it, personal data opened for this read',
        description:
          'Only the case’s own NGO. After erasure the personal data is absent and the status ' +
          'says so. Likely duplicates show a match id only, never the other case or NGO.',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        response: {
          200: Type.Object({
            caseId: Type.String(),
            status: Type.String(),
            version: Type.Integer(),
            defender: Type.Optional(
              Type.Object({
                fullName: Type.String(),
                phone: Type.String(),
                place: Type.String(),
                dateOfBirth: Type.String(),
              }),
            ),
            threatNarratives: Type.Array(Type.String()),
            duplicates: Type.Array(
              Type.Object({
                matchId: Type.String(),
                status: Type.String(),
                detectedAt: Type.String(),
                linkedCaseId: Type.Optional(Type.String()),
              }),
            ),
          }),
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const found = await clients.intake.call(
        'getCase',
        { caseId: request.params.caseId },
        { principal: principalOf(request) },
      );
      const record = found.case;
      if (record === undefined) throw new AmanError('AMAN_ERR_NOT_FOUND', 'no such case');
      return {
        caseId: record.caseId,
        status: intake.caseStatusToJSON(record.status),
        version: record.version,
        ...(record.defender === undefined ? {} : { defender: record.defender }),
        threatNarratives: record.threatNarratives,
        duplicates: record.duplicates.map((match) => ({
          matchId: match.matchId,
          status: intake.duplicateMatchStatusToJSON(match.status),
          detectedAt: timestamp(match.detectedAt),
          ...(match.linkedCaseId === undefined ? {} : { linkedCaseId: match.linkedCaseId }),
        })),
      };
    },
  );

  const Assessment = Type.Object({
    level: Type.String(),
    computedLevel: Type.String(),
    overridden: Type.Boolean(),
    score: Type.Number(),
    factors: Type.Array(Type.String()),
    methodologyVersion: Type.String(),
    deadlineClass: Type.String(),
    trigger: Type.String(),
    sequence: Type.Integer(),
    assessedAt: Type.String(),
    nextReassessmentAt: Type.String(),
  });
  const assessmentOf = (given: risk.Assessment | undefined) => {
    const found = given ?? risk.Assessment.fromPartial({});
    return {
      level: common.riskLevelToJSON(found.level),
      computedLevel: common.riskLevelToJSON(found.computedLevel),
      overridden: found.overridden,
      score: found.score,
      factors: found.factors,
      methodologyVersion: found.methodologyVersion,
      deadlineClass: common.deadlineClassToJSON(found.deadlineClass),
      trigger: risk.assessmentTriggerToJSON(found.trigger),
      sequence: found.sequence,
      assessedAt: timestamp(found.assessedAt),
      nextReassessmentAt: timestamp(found.nextReassessmentAt),
    };
  };

  app.get(
    '/v1/cases/:caseId/risk',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Every assessment of the case with its reasons, and the assessors’ overrides',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        response: {
          200: Type.Object({
            status: Type.String(),
            assessments: Type.Array(
              Type.Object({
                assessment: Assessment,
                override: Type.Optional(
                  Type.Object({
                    level: Type.String(),
                    computedLevel: Type.String(),
                    justification: Type.String(),
                    justificationWithheld: Type.Boolean(),
                    principalId: Type.String(),
                    overriddenAt: Type.String(),
                  }),
                ),
              }),
            ),
          }),
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const history = await clients.risk.call(
        'getAssessmentHistory',
        { caseId: request.params.caseId },
        { principal: principalOf(request) },
      );
      return {
        status: risk.reassessmentStatusToJSON(history.status),
        assessments: history.entries.map((entry) => ({
          assessment: assessmentOf(entry.assessment),
          ...(entry.override === undefined
            ? {}
            : {
                override: {
                  level: common.riskLevelToJSON(entry.override.level),
                  computedLevel: common.riskLevelToJSON(entry.override.computedLevel),
                  justification: entry.override.justification,
                  justificationWithheld: entry.override.justificationWithheld,
                  principalId: entry.override.principalId,
                  overriddenAt: timestamp(entry.override.overriddenAt),
                },
              }),
        })),
      };
    },
  );

  app.post(
    '/v1/cases/:caseId/risk/override',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'An assessor sets the case’s level, with a justification',
        description:
          'The justification stays inside risk assessment: write facts, not names. It holds ' +
          'until the methodology’s own level rises above it.',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            level: oneOf(common.RiskLevel, 'the level the assessor sets'),
            justification: Text(2000, 'why, in facts'),
            expectedSequence: Type.Optional(
              Type.Integer({ minimum: 1, description: 'the assessment the assessor read' }),
            ),
          },
          strict,
        ),
        response: { 201: Assessment, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const overridden = await clients.risk.call(
        'overrideAssessment',
        risk.OverrideAssessmentRequest.fromJSON({
          caseId: request.params.caseId,
          level: request.body.level,
          justification: request.body.justification,
          idempotencyKey: request.headers['idempotency-key'],
          expectedSequence: request.body.expectedSequence ?? 0,
        }),
        { principal: principalOf(request) },
      );
      return reply.status(201).send(assessmentOf(overridden.assessment));
    },
  );

  app.post(
    '/v1/cases/:caseId/threats',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Report a new threat against the person; risk is re-assessed',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        headers: IdempotencyHeaders,
        body: Threat,
        response: { 201: Type.Object({ version: Type.Integer() }), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const reported = await clients.intake.call(
        'reportThreat',
        intake.ReportThreatRequest.fromJSON({
          caseId: request.params.caseId,
          idempotencyKey: request.headers['idempotency-key'],
          threat: threatRequest(request.body),
        }),
        { principal: principalOf(request) },
      );
      return reply.status(201).send({ version: reported.version });
    },
  );

  app.put(
    '/v1/cases/:caseId/consent',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Replace the consent as given; providers that lose it lose access',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        body: Consent,
        response: { 200: Type.Object({ narrowed: Type.Boolean() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const updated = await clients.intake.call(
        'updateConsent',
        intake.UpdateConsentRequest.fromJSON({
          caseId: request.params.caseId,
          consent: request.body,
        }),
        { principal: principalOf(request) },
      );
      return { narrowed: updated.narrowed };
    },
  );

  app.post(
    '/v1/cases/:caseId/withdrawal',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Close the case: no packet is released from then on',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        body: Type.Object({ reason: oneOf(intake.WithdrawalReason, 'why') }, strict),
        response: { 200: Type.Object({}), 404: ErrorBody },
      },
    },
    async (request) => {
      await clients.intake.call(
        'withdrawCase',
        intake.WithdrawCaseRequest.fromJSON({
          caseId: request.params.caseId,
          reason: request.body.reason,
        }),
        { principal: principalOf(request) },
      );
      return {};
    },
  );

  app.post(
    '/v1/cases/:caseId/erasure',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Erase the person’s data: the case’s data key is destroyed',
        description:
          'Crypto-shredding: every copy of the personal data, sealed under the case’s key, ' +
          'becomes unreadable; dates, levels and statuses remain. Providers are told. Idempotent.',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        response: { 200: Type.Object({}), 404: ErrorBody },
      },
    },
    async (request) => {
      await clients.intake.call(
        'eraseCase',
        { caseId: request.params.caseId },
        { principal: principalOf(request) },
      );
      return {};
    },
  );

  app.post(
    '/v1/cases/:caseId/duplicates/:matchId',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'Answer a likely duplicate: propose or accept a link, or dismiss it',
        description: 'Linking needs both organisations; neither learns the other’s case before.',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id, matchId: Id }, strict),
        body: Type.Object({ response: oneOf(intake.DuplicateResponse, 'the answer') }, strict),
        response: { 200: Type.Object({ status: Type.String() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const answered = await clients.intake.call(
        'respondToDuplicate',
        intake.RespondToDuplicateRequest.fromJSON({
          caseId: request.params.caseId,
          matchId: request.params.matchId,
          response: request.body.response,
        }),
        { principal: principalOf(request) },
      );
      return { status: intake.duplicateMatchStatusToJSON(answered.status) };
    },
  );

  app.get(
    '/v1/referrals',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'The provider’s inbox of referrals',
        tags: ['provider'],
        querystring: Page,
        response: {
          200: Type.Object({
            referrals: Type.Array(
              Type.Object({
                referralId: Type.String(),
                caseId: Type.String(),
                status: Type.String(),
                deadlineClass: Type.String(),
                respondBy: Type.String(),
                routedAt: Type.String(),
              }),
            ),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (request) => {
      const inbox = await clients.projections.call(
        'listInbox',
        { limit: request.query.limit ?? 50, cursor: request.query.cursor ?? '' },
        { principal: principalOf(request) },
      );
      return {
        nextCursor: inbox.nextCursor,
        referrals: inbox.items.map((item) => ({
          referralId: item.referralId,
          caseId: item.caseId,
          status: referral.referralStatusToJSON(item.status),
          deadlineClass: common.deadlineClassToJSON(item.deadlineClass),
          respondBy: timestamp(item.respondBy),
          routedAt: timestamp(item.routedAt),
        })),
      };
    },
  );

  app.get(
    '/v1/referrals/:referralId/packet',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'The minimised, consented packet of a referral addressed to this provider',
        description:
          'Every read is audited. Only the field groups the consent grants are present. 410 ' +
          'AMAN_ERR_ERASED once the case was erased: delete any copy you hold.',
        tags: ['provider'],
        params: Type.Object({ referralId: Id }, strict),
        response: {
          // An allowlist: a field not named here never leaves, whatever the service returns.
          200: Type.Object(
            {
              caseId: Type.String(),
              referralId: Type.String(),
              fieldGroups: Type.Optional(Type.Array(Type.String())),
              fullName: Type.Optional(Type.String()),
              phone: Type.Optional(Type.String()),
              place: Type.Optional(Type.String()),
              threatNarratives: Type.Optional(Type.Array(Type.String())),
              needs: Type.Optional(Type.Array(Type.String())),
              familyExposed: Type.Optional(Type.Boolean()),
              profile: Type.Optional(Type.String()),
              province: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
          410: { ...ErrorBody, description: 'the case was erased (AMAN_ERR_ERASED)' },
        },
      },
    },
    async (request) => {
      const { packet } = await clients.referral.call(
        'getPacket',
        { referralId: request.params.referralId },
        { principal: principalOf(request) },
      );
      if (packet === undefined) throw new AmanError('AMAN_ERR_NOT_FOUND', 'no such referral');
      // protobuf JSON: the shape of the 200 schema, which drops anything else.
      return intake.ReferralPacket.toJSON(packet) as { caseId: string; referralId: string };
    },
  );

  app.get(
    '/v1/cases/:caseId/referrals',
    {
      onRequest: allow('ngo'),
      schema: {
        summary:
          'Each referral of the case: received, delivered, seen, decided, each with its time',
        description: 'Honest feedback: a time is absent until the step was reached.',
        tags: ['ngo'],
        params: Type.Object({ caseId: Id }, strict),
        response: {
          200: Type.Object({
            referrals: Type.Array(
              Type.Object({
                referralId: Type.String(),
                providerOrganisationId: Type.String(),
                recipientType: Type.String(),
                programmeId: Type.String(),
                status: Type.String(),
                receivedAt: Type.String(),
                deliveredAt: Type.String(),
                seenAt: Type.String(),
                acknowledgedAt: Type.String(),
                decidedAt: Type.String(),
                acknowledgeBy: Type.String(),
                decideBy: Type.String(),
                programmeStatus: Type.String(),
                steps: Type.Array(
                  Type.Object({ status: Type.String(), reason: Type.String(), at: Type.String() }),
                ),
              }),
            ),
          }),
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const feedback = await clients.referral.call(
        'getReferralFeedback',
        { caseId: request.params.caseId },
        { principal: principalOf(request) },
      );
      return {
        referrals: feedback.referrals.map((item) => ({
          referralId: item.referralId,
          providerOrganisationId: item.providerOrganisationId,
          recipientType: common.recipientTypeToJSON(item.recipientType),
          programmeId: item.programmeId,
          status: referral.referralStatusToJSON(item.status),
          receivedAt: timestamp(item.receivedAt),
          deliveredAt: timestamp(item.deliveredAt),
          seenAt: timestamp(item.seenAt),
          acknowledgedAt: timestamp(item.acknowledgedAt),
          decidedAt: timestamp(item.decidedAt),
          acknowledgeBy: timestamp(item.acknowledgeBy),
          decideBy: timestamp(item.decideBy),
          programmeStatus: item.programmeStatus,
          steps: item.steps.map((step) => ({
            status: referral.referralStatusToJSON(step.status),
            reason: step.reason,
            at: timestamp(step.at),
          })),
        })),
      };
    },
  );

  app.post(
    '/v1/referrals/:referralId/info-answered',
    {
      onRequest: allow('ngo'),
      schema: {
        summary: 'The NGO answered the provider’s request for information',
        tags: ['ngo'],
        params: Type.Object({ referralId: Id }, strict),
        response: { 200: Type.Object({ status: Type.String() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const answered = await clients.referral.call(
        'answerInfoRequest',
        { referralId: request.params.referralId },
        { principal: principalOf(request) },
      );
      return { status: referral.referralStatusToJSON(answered.status) };
    },
  );

  app.get(
    '/v1/feed',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'The pull feed: the notifications a webhook would carry, after an opaque cursor',
        description: 'For providers that cannot receive webhooks. Reading a routing delivers it.',
        tags: ['provider'],
        querystring: Type.Object(
          {
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          strict,
        ),
        response: {
          200: Type.Object({
            notifications: Type.Array(
              Type.Object({
                id: Type.String(),
                type: Type.String(),
                timestamp: Type.String(),
                referralId: Type.String(),
                caseId: Type.String(),
                deadlineClass: Type.String(),
                respondBy: Type.String(),
                reason: Type.String(),
                programmeId: Type.String(),
                programmeStatus: Type.String(),
              }),
            ),
            nextCursor: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const page = await clients.referral.call(
        'readFeed',
        { cursor: request.query.cursor ?? '', limit: request.query.limit ?? 50 },
        { principal: principalOf(request) },
      );
      return {
        notifications: page.notifications.map((item) => ({
          id: item.id,
          type: item.type,
          timestamp: timestamp(item.timestamp),
          referralId: item.referralId,
          caseId: item.caseId,
          deadlineClass: common.deadlineClassToJSON(item.deadlineClass),
          respondBy: timestamp(item.respondBy),
          reason: item.reason,
          programmeId: item.programmeId,
          programmeStatus: item.programmeStatus,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/v1/programmes',
    {
      onRequest: allow('ngo', 'provider', 'monitor', 'operator'),
      schema: {
        summary: 'The programmes providers run: criteria, quota and status, as routing sees them',
        description:
          'A programme listed here is one cases are routed by; its status changes are told to ' +
          'the NGOs of pending referrals.',
        tags: ['ngo', 'provider'],
        response: {
          200: Type.Object({
            programmes: Type.Array(
              Type.Object({
                programmeId: Type.String(),
                providerOrganisationId: Type.String(),
                name: Type.String(),
                services: Type.Array(Type.String()),
                criteria: Type.Object({
                  profiles: Type.Array(Type.String()),
                  riskLevels: Type.Array(Type.String()),
                  provinces: Type.Array(Type.String()),
                  genders: Type.Array(Type.String()),
                }),
                criteriaVersion: Type.Integer(),
                quota: Type.Integer({ description: 'acceptances in all; 0 for no limit' }),
                status: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const listed = await clients.referral.call(
        'listProgrammes',
        {},
        { principal: principalOf(request) },
      );
      return {
        programmes: listed.programmes.map((programme) => ({
          programmeId: programme.programmeId,
          providerOrganisationId: programme.providerOrganisationId,
          name: programme.name,
          services: programme.services.map(common.needToJSON),
          criteria: {
            profiles: (programme.criteria?.profiles ?? []).map(common.profileToJSON),
            riskLevels: (programme.criteria?.riskLevels ?? []).map(common.riskLevelToJSON),
            provinces: programme.criteria?.provinces ?? [],
            genders: (programme.criteria?.genders ?? []).map(common.genderToJSON),
          },
          criteriaVersion: programme.criteriaVersion,
          quota: programme.quota,
          status: referral.programmeStatusToJSON(programme.status),
        })),
      };
    },
  );

  app.post(
    '/v1/provider/webhook/secret-rotation',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'Rotate the webhook signing secret',
        description:
          'Webhooks are signed with the new secret from now on, and with the one before too ' +
          'until previousValidUntil (Standard Webhooks: several signatures in one header), so ' +
          'that the receiver can switch over without losing a notification. The new secret is ' +
          'shown once.',
        tags: ['provider'],
        body: Type.Object(
          {
            overlapSeconds: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 604_800,
                description: 'how long the secret before still signs; 86400 (a day) if absent',
              }),
            ),
          },
          strict,
        ),
        response: {
          200: Type.Object({ secret: Type.String(), previousValidUntil: Type.String() }),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const secret = newWebhookSecret();
      const rotated = await clients.referral.call(
        'rotateWebhookSecret',
        {
          organisationId: principal.organisationId,
          secret,
          overlapSeconds: request.body.overlapSeconds ?? 86_400,
        },
        { principal },
      );
      return { secret, previousValidUntil: timestamp(rotated.previousValidUntil) };
    },
  );

  app.put(
    '/v1/provider/webhook',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'Send the webhooks to a new URL',
        description:
          'https, resolving to a public address: checked now and again at every delivery.',
        tags: ['provider'],
        body: Type.Object(
          { url: Type.String({ minLength: 1, maxLength: 2048, format: 'uri' }) },
          strict,
        ),
        response: { 200: Type.Object({ url: Type.String() }) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await clients.referral.call(
        'setWebhookUrl',
        { organisationId: principal.organisationId, url: request.body.url },
        { principal },
      );
      return { url: request.body.url };
    },
  );

  /** The provider's own dead-lettered notifications, as the referral service lists them. */
  const deadLettersOf = async (principal: Principal) =>
    (await clients.referral.call('listWebhookDeadLetters', {}, { principal })).deadLetters;

  app.get(
    '/v1/provider/dead-letters',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'Webhook notifications that exhausted their attempts',
        description:
          'Each holds back the later notifications about the same case until it is redelivered.',
        tags: ['provider'],
        response: {
          200: Type.Object({
            deadLetters: Type.Array(
              Type.Object({
                notificationId: Type.String(),
                referralId: Type.String(),
                notice: Type.String(),
                attempts: Type.Integer(),
                reason: Type.String(),
                deadAt: Type.String(),
                heldBack: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      deadLetters: (await deadLettersOf(principalOf(request))).map((letter) => ({
        notificationId: letter.notificationId,
        referralId: letter.referralId,
        notice: letter.notice,
        attempts: letter.attempts,
        reason: letter.reason,
        deadAt: timestamp(letter.deadAt),
        heldBack: letter.heldBack,
      })),
    }),
  );

  app.post(
    '/v1/provider/dead-letters/:notificationId/redelivery',
    {
      onRequest: allow('provider'),
      schema: {
        summary: 'Deliver a dead-lettered notification again',
        description: 'A new round of attempts; the notifications it held back follow it.',
        tags: ['provider'],
        params: Type.Object({ notificationId: Id }, strict),
        response: { 202: Type.Object({ notificationId: Type.String() }), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { notificationId } = request.params;
      const letter = (await deadLettersOf(principal)).find(
        (dead) => dead.notificationId === notificationId,
      );
      if (letter === undefined) throw new NotFoundError('no such dead-lettered notification');
      await clients.referral.call(
        'redeliverWebhook',
        {
          notification: {
            providerOrganisationId: letter.providerOrganisationId,
            caseId: letter.caseId,
            notificationId,
          },
        },
        { principal },
      );
      return reply.status(202).send({ notificationId });
    },
  );

  const actions = {
    acknowledge: referral.ReferralAction.REFERRAL_ACTION_ACKNOWLEDGE,
    accept: referral.ReferralAction.REFERRAL_ACTION_ACCEPT,
    decline: referral.ReferralAction.REFERRAL_ACTION_DECLINE,
    complete: referral.ReferralAction.REFERRAL_ACTION_COMPLETE,
    'request-info': referral.ReferralAction.REFERRAL_ACTION_REQUEST_INFO,
    progress: referral.ReferralAction.REFERRAL_ACTION_REPORT_PROGRESS,
    close: referral.ReferralAction.REFERRAL_ACTION_CLOSE,
  } as const;
  for (const [name, action] of Object.entries(actions)) {
    app.post(
      `/v1/referrals/:referralId/${name}`,
      {
        onRequest: allow('provider'),
        // No body at all reads as an empty one: most answers carry no reason.
        preValidation: async (request) => {
          if ((request.body as unknown) === undefined) request.body = {};
        },
        schema: {
          summary: `${name[0]?.toUpperCase() ?? ''}${name.slice(1)} a referral`,
          tags: ['provider'],
          params: Type.Object({ referralId: Id }, strict),
          body: Type.Object(
            { reason: Type.Optional(Text(200, 'a category, no personal data')) },
            strict,
          ),
          response: { 200: Type.Object({ status: Type.String() }) },
        },
      },
      async (request) => {
        const answered = await clients.referral.call(
          'respondToReferral',
          { referralId: request.params.referralId, action, reason: request.body.reason ?? '' },
          { principal: principalOf(request) },
        );
        return { status: referral.referralStatusToJSON(answered.status) };
      },
    );
  }

  app.post(
    '/v1/incidents',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'Record an incident against a case (HURIDOCS: who did what to whom)',
        tags: ['monitor'],
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            caseId: Id,
            act: oneOf(accountability.Act, 'what was done'),
            occurredOn: Day,
            province: Province,
            perpetratorCategory: oneOf(accountability.PerpetratorCategory, 'who did it'),
            sourceType: oneOf(accountability.SourceType, 'how it is known'),
          },
          strict,
        ),
        response: { 201: Type.Object({ incidentId: Type.String() }) },
      },
    },
    async (request, reply) => {
      const recorded = await clients.accountability.call(
        'recordIncident',
        accountability.RecordIncidentRequest.fromJSON({
          ...request.body,
          idempotencyKey: request.headers['idempotency-key'],
        }),
        { principal: principalOf(request) },
      );
      return reply.status(201).send({ incidentId: recorded.incidentId });
    },
  );

  const Timestamp = Type.String({ format: 'date-time' });

  app.post(
    '/v1/incidents/:incidentId/verification',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'How far the incident is verified (apart from its sources’ reliability)',
        tags: ['monitor'],
        params: Type.Object({ incidentId: Id }, strict),
        body: Type.Object(
          { verificationStatus: oneOf(accountability.VerificationStatus, 'verification') },
          strict,
        ),
        response: { 200: Type.Object({}), 404: ErrorBody },
      },
    },
    async (request) => {
      await clients.monitoring.call(
        'setIncidentVerification',
        accountability.SetIncidentVerificationRequest.fromJSON({
          incidentId: request.params.incidentId,
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return {};
    },
  );

  app.post(
    '/v1/incidents/:incidentId/investigations',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'A body opened an investigation into the incident',
        tags: ['monitor'],
        params: Type.Object({ incidentId: Id }, strict),
        headers: IdempotencyHeaders,
        body: Type.Object(
          { body: oneOf(accountability.Authority, 'who investigates'), openedOn: Day },
          strict,
        ),
        response: { 201: Type.Object({ investigationId: Type.String() }), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const opened = await clients.monitoring.call(
        'openInvestigation',
        accountability.OpenInvestigationRequest.fromJSON({
          incidentId: request.params.incidentId,
          idempotencyKey: request.headers['idempotency-key'],
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return reply.status(201).send({ investigationId: opened.investigationId });
    },
  );

  app.post(
    '/v1/investigations/:investigationId/steps',
    {
      onRequest: allow('monitor'),
      schema: {
        summary:
          'A step: suspect identified, charged, tried, outcome, or closed without accountability',
        tags: ['monitor'],
        params: Type.Object({ investigationId: Id }, strict),
        body: Type.Object(
          {
            step: oneOf(accountability.InvestigationStep, 'the step'),
            on: Day,
            outcome: Type.Optional(oneOf(accountability.InvestigationOutcome, 'for an outcome')),
          },
          strict,
        ),
        response: { 200: Type.Object({ status: Type.String() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const recorded = await clients.monitoring.call(
        'recordInvestigationStep',
        accountability.RecordInvestigationStepRequest.fromJSON({
          investigationId: request.params.investigationId,
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return { status: accountability.investigationStatusToJSON(recorded.status) };
    },
  );

  app.post(
    '/v1/incidents/:incidentId/interventions',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'A complaint, early warning or other intervention sent to an authority',
        description: 'Its response is due by a date the intervention type sets.',
        tags: ['monitor'],
        params: Type.Object({ incidentId: Id }, strict),
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            type: oneOf(accountability.InterventionType, 'the intervention'),
            addressee: oneOf(accountability.Authority, 'the authority addressed'),
            sentAt: Timestamp,
          },
          strict,
        ),
        response: {
          201: Type.Object({ interventionId: Type.String(), dueBy: Type.String() }),
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const sent = await clients.monitoring.call(
        'recordIntervention',
        accountability.RecordInterventionRequest.fromJSON({
          incidentId: request.params.incidentId,
          idempotencyKey: request.headers['idempotency-key'],
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return reply
        .status(201)
        .send({ interventionId: sent.interventionId, dueBy: timestamp(sent.dueBy) });
    },
  );

  app.post(
    '/v1/interventions/:interventionId/responses',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'The authority’s response, its impact and any compensation',
        tags: ['monitor'],
        params: Type.Object({ interventionId: Id }, strict),
        body: Type.Object(
          {
            response: oneOf(accountability.AuthorityResponse, 'the response'),
            respondedAt: Timestamp,
            impact: Type.Optional(oneOf(accountability.Impact, 'its impact')),
            compensation: Type.Optional(oneOf(accountability.Compensation, 'compensation')),
          },
          strict,
        ),
        response: { 200: Type.Object({ responseHours: Type.Integer() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const responded = await clients.monitoring.call(
        'recordAuthorityResponse',
        accountability.RecordAuthorityResponseRequest.fromJSON({
          interventionId: request.params.interventionId,
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return { responseHours: responded.responseHours };
    },
  );

  app.post(
    '/v1/interventions/:interventionId/status',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'The intervention’s status',
        tags: ['monitor'],
        params: Type.Object({ interventionId: Id }, strict),
        body: Type.Object(
          { status: oneOf(accountability.InterventionStatus, 'the status') },
          strict,
        ),
        response: { 200: Type.Object({}), 404: ErrorBody },
      },
    },
    async (request) => {
      await clients.monitoring.call(
        'setInterventionStatus',
        accountability.SetInterventionStatusRequest.fromJSON({
          interventionId: request.params.interventionId,
          ...request.body,
        }),
        { principal: principalOf(request) },
      );
      return {};
    },
  );

  app.get(
    '/v1/interventions/overdue',
    {
      onRequest: allow('monitor'),
      schema: {
        summary:
          'Interventions whose authority has not responded by the due date, most overdue first',
        tags: ['monitor'],
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
          strict,
        ),
        response: {
          200: Type.Object({
            interventions: Type.Array(
              Type.Object({
                interventionId: Type.String(),
                incidentId: Type.String(),
                type: Type.String(),
                addressee: Type.String(),
                sentAt: Type.String(),
                dueBy: Type.String(),
                daysOverdue: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const overdue = await clients.monitoring.call(
        'listOverdueInterventions',
        { limit: request.query.limit ?? 100 },
        { principal: principalOf(request) },
      );
      return {
        interventions: overdue.interventions.map((item) => ({
          interventionId: item.interventionId,
          incidentId: item.incidentId,
          type: accountability.interventionTypeToJSON(item.type),
          addressee: accountability.authorityToJSON(item.addressee),
          sentAt: timestamp(item.sentAt),
          dueBy: timestamp(item.dueBy),
          daysOverdue: item.daysOverdue,
        })),
      };
    },
  );

  const Figures = Type.Object({
    incidents: Type.Integer(),
    identified: Type.Integer(),
    charged: Type.Integer(),
    tried: Type.Integer(),
    identifiedShare: Type.Number(),
    chargedShare: Type.Number(),
    triedShare: Type.Number(),
  });
  const figuresOf = (given: accountability.ImpunityFigures | undefined) => {
    const found = given ?? accountability.ImpunityFigures.fromPartial({});
    return {
      incidents: found.incidents,
      identified: found.identified,
      charged: found.charged,
      tried: found.tried,
      identifiedShare: found.identifiedShare,
      chargedShare: found.chargedShare,
      triedShare: found.triedShare,
    };
  };

  app.get(
    '/v1/statistics/impunity',
    {
      onRequest: allow('monitor'),
      schema: {
        summary:
          'For a period, the share of killings and attacks whose perpetrator was identified, charged, tried',
        tags: ['monitor'],
        querystring: Type.Object({ from: Day, to: Day }, strict),
        response: {
          200: Type.Object({ killingsAndAttacks: Figures, killings: Figures }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const figures = await clients.monitoring.call(
        'getImpunityFigures',
        { from: request.query.from, to: request.query.to },
        { principal: principalOf(request) },
      );
      return {
        killingsAndAttacks: figuresOf(figures.killingsAndAttacks),
        killings: figuresOf(figures.killings),
      };
    },
  );

  const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
  const Period = Type.Object(
    {
      from: Month,
      to: Month,
    },
    strict,
  );
  const Count = Type.Union([Type.Integer(), Type.Null()], {
    description: 'null where the count is suppressed',
  });
  const Tables = Type.Array(
    Type.Object({
      name: Type.String(),
      counts: Type.String({ description: 'what one count is' }),
      dimension: Type.String(),
      categories: Type.Array(Type.String()),
      rows: Type.Array(
        Type.Object({ period: Type.String(), cells: Type.Array(Count), total: Count }),
      ),
    }),
  );
  const tablesOf = (tables: readonly projections.StatisticsTable[]) =>
    tables.map((table) => ({
      name: table.name,
      counts: table.counts,
      dimension: table.dimension,
      categories: table.categories,
      rows: table.rows.map((row) => ({
        period: row.period,
        cells: row.cells.map(published),
        total: published(row.total),
      })),
    }));

  app.get(
    '/v1/statistics',
    {
      schema: {
        summary: 'De-identified statistics: fixed tables of counts by month and one dimension',
        description:
          'Public: no API key needed. Counts below minCell are suppressed (null), and enough ' +
          'others that none can be worked out from a total. No free text, no personal data.',
        tags: ['public'],
        security: [],
        querystring: Period,
        response: {
          200: Type.Object({ minCell: Type.Integer(), tables: Tables }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const statistics = await clients.projections.call(
        'getPublicStatistics',
        { periodFrom: request.query.from, periodTo: request.query.to },
        request.principal === undefined ? {} : { principal: request.principal },
      );
      return { minCell: statistics.minCell, tables: tablesOf(statistics.tables) };
    },
  );

  app.get(
    '/v1/monitor/dashboard',
    {
      onRequest: allow('monitor'),
      schema: {
        summary: 'The monitor’s dashboard: incidents by act, perpetrator, province and source',
        description:
          'Not suppressed. Overdue interventions are counted here; each is listed at ' +
          '/v1/interventions/overdue, and impunity figures are at /v1/statistics/impunity.',
        tags: ['monitor'],
        querystring: Period,
        response: {
          200: Type.Object({
            incidents: Tables,
            impunity: Type.Object(
              { killingsAndAttacks: Figures, killings: Figures },
              {
                description:
                  'for incidents that occurred in the months given: how far their investigations went',
              },
            ),
            overdueInterventions: Type.Integer({
              description: `counted up to ${String(MAX_OVERDUE_COUNTED)}: that many means at least that many`,
            }),
          }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      // The months as days: from the first of the first to the last of the last.
      const [year, month] = request.query.to.split('-').map(Number);
      const lastDay = new Date(Date.UTC(year ?? 0, month ?? 1, 0)).toISOString().slice(0, 10);
      const [dashboard, impunity, overdue] = await Promise.all([
        clients.projections.call(
          'getMonitorDashboard',
          { periodFrom: request.query.from, periodTo: request.query.to },
          { principal },
        ),
        clients.monitoring.call(
          'getImpunityFigures',
          { from: `${request.query.from}-01`, to: lastDay },
          { principal },
        ),
        clients.monitoring.call(
          'listOverdueInterventions',
          { limit: MAX_OVERDUE_COUNTED },
          { principal },
        ),
      ]);
      return {
        incidents: tablesOf(dashboard.tables),
        impunity: {
          killingsAndAttacks: figuresOf(impunity.killingsAndAttacks),
          killings: figuresOf(impunity.killings),
        },
        overdueInterventions: overdue.interventions.length,
      };
    },
  );

  app.get(
    '/v1/operator/pipeline',
    {
      onRequest: allow('operator'),
      schema: {
        summary: 'Where the pipeline stands: each service’s store, relay backlog, consumer lag',
        description:
          'Per service: its event store’s head, the outbox relay’s backlog (distributed mode), ' +
          'each consumer’s lag and dead letters per topic, and the service’s own counters ' +
          '(referral: webhook dead letters). A service that does not answer is listed as such. ' +
          'Names and numbers only.',
        tags: ['operator'],
        response: {
          200: Type.Object({
            services: Type.Array(
              Type.Object({
                service: Type.String(),
                reachable: Type.Boolean(),
                mode: Type.String(),
                storeHead: Type.Union([Type.Integer(), Type.Null()]),
                relayBacklog: Type.Array(
                  Type.Object({ topic: Type.String(), backlog: Type.Integer() }),
                ),
                consumers: Type.Array(
                  Type.Object({
                    name: Type.String(),
                    topic: Type.String(),
                    lag: Type.Integer(),
                    deadLetters: Type.Integer(),
                  }),
                ),
                counters: Type.Record(Type.String(), Type.Integer()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const services = await Promise.all(
        Object.entries(clients.operations ?? {}).map(async ([service, client]) => {
          try {
            const status = await client.call('getPipelineStatus', {}, { principal });
            return {
              service,
              reachable: true,
              mode: operations.modeToJSON(status.mode),
              storeHead: status.store?.headPosition ?? null,
              relayBacklog: status.relays.map((relay) => ({
                topic: relay.topic,
                backlog: relay.backlog,
              })),
              consumers: status.consumers.flatMap((consumer) =>
                consumer.topics.map((topic) => ({
                  name: consumer.name,
                  topic: topic.topic,
                  lag: topic.lag,
                  deadLetters: topic.deadLetters,
                })),
              ),
              counters: Object.fromEntries(
                status.counters.map((counter) => [counter.name, counter.value]),
              ),
            };
          } catch (error) {
            if (!AmanError.is(error, 'AMAN_ERR_UNAVAILABLE')) throw error;
            return {
              service,
              reachable: false,
              mode: '',
              storeHead: null,
              relayBacklog: [],
              consumers: [],
              counters: {},
            };
          }
        }),
      );
      return { services };
    },
  );

  // Last: a plugin gets the hooks (security headers, rate limit) registered before it.
  await app.register(docsPage);

  return app;
}

/** The answers every /v1 route can give besides its own, in the one error format. */
const COMMON_ERRORS = {
  400: 'the request does not match its schema (AMAN_ERR_VALIDATION)',
  401: 'no valid API key (AMAN_ERR_UNAUTHENTICATED)',
  403: 'this organisation type may not call this route (AMAN_ERR_FORBIDDEN)',
  429: 'too many requests or failed authentications; see Retry-After (AMAN_ERR_RATE_LIMITED)',
  503: 'a service or store is not available; try again later (AMAN_ERR_UNAVAILABLE)',
} as const;

/**
 * A route's schema as the document shows it: an operationId from its method and path
 * (`GET /v1/cases/:caseId/referrals` → `getCasesReferralsById`… in camel case), and the common
 * error answers (a public route cannot be 401 or 403; a route with an id can be 404).
 */
function documented(
  schema: Record<string, unknown>,
  method: string,
  url: string,
): Record<string, unknown> {
  const words = url
    .split('/')
    .slice(2)
    .filter((part) => part !== '' && !part.startsWith(':'))
    .flatMap((part) => part.split('-'));
  const operationId =
    method.toLowerCase() +
    words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('') +
    (/:\w+$/.test(url) ? 'ById' : '');
  const isPublic = Array.isArray(schema['security']) && schema['security'].length === 0;
  const responses: Record<string, unknown> = {
    ...(schema['response'] as Record<string, unknown> | undefined),
  };
  const errors: Record<string, string> = { ...COMMON_ERRORS };
  if (isPublic) {
    delete errors[401];
    delete errors[403];
  }
  if (url.includes(':')) errors[404] = 'no such object for this organisation (AMAN_ERR_NOT_FOUND)';
  for (const [status, description] of Object.entries(errors)) {
    responses[status] ??= { ...ErrorBody, description };
  }
  return { operationId, ...schema, response: responses };
}

/** Every failure as an AmanError: fastify's validation and body errors are 400, others 500. */
function toAmanError(given: unknown): AmanError {
  // The gateway's own key store down or restarting: 503, to retry, as for a service.
  const error = asOutage(given);
  if (AmanError.is(error)) return error;
  const fastifyError = error as { validation?: unknown; statusCode?: number; code?: string };
  if (fastifyError.validation !== undefined) {
    return new ValidationError('the request does not match its schema');
  }
  if (fastifyError.statusCode === 413) return new ValidationError('the request body is too large');
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode < 500) {
    return new ValidationError('the request is malformed');
  }
  return new AmanError('AMAN_ERR_INTERNAL');
}
