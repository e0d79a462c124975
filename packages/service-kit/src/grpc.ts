import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { context, propagation, ROOT_CONTEXT, type TextMapGetter } from '@opentelemetry/api';
import { HealthImplementation, service as healthService } from 'grpc-health-check';

import {
  AmanError,
  ForbiddenError,
  UnavailableError,
  errorCodes,
  type ErrorCode,
} from '@aman/errors';

import type { Caller, Principal, ServiceIdentity } from './identity.ts';
import type { Logger } from './logger.ts';
import { recordRpc } from './metrics.ts';
import { asOutage } from './outages.ts';
import { SpanKind, inSpan } from './telemetry.ts';

/** What a handler knows of its call: who made it, and for whom. */
export interface CallContext {
  readonly caller: Caller;
  readonly logger: Logger;
}

/** One RPC: which services may call it, and what it does. */
export interface Rpc<Request, Response> {
  /** Services allowed to call (their identity names); the principal is checked by `handle`. */
  readonly callers: readonly string[];
  readonly handle: (request: Request, call: CallContext) => Promise<Response>;
}

/** The rpcs of a ts-proto `…Server` interface, each with its request and response types. */
export type Rpcs<Server> = {
  // `as`: drops the index signature grpc-js's UntypedServiceImplementation adds.
  readonly [
    K in keyof Server as string extends K ? never : K
  ]: Server[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? Rpc<Req, Res> : never;
};

const ERROR_CODE_KEY = 'aman-error-code';

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).map(String);
    return values.length === 0 ? undefined : values;
  },
};

/**
 * Turns rpcs into a grpc-js implementation. Every call: continues the caller's trace in a server
 * span, verifies the caller's service token (UNAUTHENTICATED without one), checks the calling
 * service is allowed (PERMISSION_DENIED), runs the handler, and maps AmanErrors to gRPC status
 * codes — the one place that mapping happens on the server side.
 */
export function implement<Server extends grpc.UntypedServiceImplementation>(
  serviceName: string,
  rpcs: Rpcs<Server>,
  deps: { readonly identity: ServiceIdentity; readonly logger: Logger },
): Server {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, rpc] of Object.entries<Rpc<unknown, unknown>>(rpcs)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
      const started = performance.now();
      inSpan(
        `${serviceName}/${method}`,
        {
          kind: SpanKind.SERVER,
          parent,
          attributes: { 'rpc.system': 'grpc', 'rpc.service': serviceName, 'rpc.method': method },
        },
        async (span) => {
          const header = call.metadata.get('authorization')[0];
          const token =
            typeof header === 'string' && header.startsWith('Bearer ')
              ? header.slice(7)
              : undefined;
          const caller = await deps.identity.verify(token);
          span.setAttribute('aman.caller', caller.service);
          if (caller.principal !== undefined) {
            span.setAttribute('aman.organisation.id', caller.principal.organisationId);
          }
          if (!rpc.callers.includes(caller.service)) {
            throw new ForbiddenError(`${caller.service} may not call ${method}`);
          }
          // Logged in the span, so that each line carries the call's trace_id and span_id.
          try {
            const response = await rpc.handle(call.request, { caller, logger: deps.logger });
            deps.logger.debug({ method, caller: caller.service }, 'rpc served');
            return response;
          } catch (error) {
            const failure = asOutage(error);
            logFailure(failure, deps.logger, method);
            throw failure;
          }
        },
      ).then(
        (response) => {
          recordRpc(serviceName, method, grpc.status.OK, performance.now() - started);
          callback(null, response);
        },
        (error: unknown) => {
          const failure = toServiceError(error);
          recordRpc(
            serviceName,
            method,
            failure.code ?? grpc.status.UNKNOWN,
            performance.now() - started,
          );
          callback(failure);
        },
      );
    };
  }
  return implementation as Server;
}

/** A failed call's log line: an error for ours (5xx) and the unexpected, debug for a refusal. */
function logFailure(error: unknown, logger: Logger, method: string): void {
  if (!AmanError.is(error)) logger.error({ err: error, method }, 'rpc failed unexpectedly');
  else if (error.httpStatus >= 500) logger.error({ err: error, method }, 'rpc failed');
  else logger.debug({ method, code: error.code }, 'rpc refused');
}

function toServiceError(error: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (AmanError.is(error)) {
    metadata.set(ERROR_CODE_KEY, error.code);
    // errorCodes holds gRPC status numbers (grpc/doc/statuscodes.md), the values of grpc.status.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    return { code: error.grpcStatus, details: error.message, metadata };
  }
  // Unexpected: the details say nothing (they could hold anything); the log has the error.
  metadata.set(ERROR_CODE_KEY, 'AMAN_ERR_INTERNAL');
  return { code: grpc.status.INTERNAL, details: errorCodes.AMAN_ERR_INTERNAL.message, metadata };
}

export interface GrpcServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The repository's proto/ folder, beside the compiled or source package alike: reflection serves
 * the contracts from it, and the gateway's AsyncAPI document reads their schemas from it.
 */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'baseline' ? [] : protoFiles(path);
    return entry.endsWith('.proto') ? [path.slice(PROTO_ROOT.length)] : [];
  });
}

/**
 * A gRPC server with the standard health service and server reflection of every Aman contract.
 * Every service is SERVING once started, and then while `healthy` (when given) says so, asked
 * every `healthIntervalMs` (5 s): a service whose store or broker stops answering is NOT_SERVING,
 * and the gateway's readiness with it.
 */
export async function startGrpcServer(options: {
  readonly host: string;
  readonly port: number;
  readonly healthy?: () => Promise<boolean>;
  readonly healthIntervalMs?: number;
  readonly services: readonly {
    readonly name: string;
    readonly definition: grpc.ServiceDefinition;
    readonly implementation: grpc.UntypedServiceImplementation;
  }[];
}): Promise<GrpcServer> {
  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  const definitions = loadSync(protoFiles(join(PROTO_ROOT, 'aman')), {
    includeDirs: [PROTO_ROOT],
  });
  new ReflectionService(definitions).addToServer(server);
  for (const service of options.services) {
    server.addService(service.definition, service.implementation);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => {
        if (error === null) resolve(bound);
        else reject(error);
      },
    );
  });
  const serving = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health.setStatus('', status);
    for (const service of options.services) health.setStatus(service.name, status);
  };
  serving('SERVING');
  const { healthy } = options;
  let checking = false;
  let stopped = false;
  const watch =
    healthy === undefined
      ? undefined
      : setInterval(() => {
          if (checking) return;
          checking = true;
          void healthy()
            .catch(() => false)
            .then((ok) => {
              if (!stopped) serving(ok ? 'SERVING' : 'NOT_SERVING');
              checking = false;
            });
        }, options.healthIntervalMs ?? 5_000);
  watch?.unref();
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        clearInterval(watch);
        serving('NOT_SERVING');
        server.tryShutdown(() => {
          resolve();
        });
      }),
  };
}

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/** The unary methods of a ts-proto client, by name. */
type UnaryMethods<Client> = {
  [K in keyof Client]: Client[K] extends {
    (
      request: infer Req,
      metadata: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      callback: (error: grpc.ServiceError | null, response: infer Res) => void,
    ): grpc.ClientUnaryCall;
  }
    ? [Req, Res]
    : never;
};

export const DEFAULT_DEADLINE_MS = 5_000;

/**
 * Calls another service: signs a token for it (acting for `principal`), carries the trace
 * context, puts a deadline on every call, and turns gRPC errors back into AmanErrors.
 */
/**
 * Asks a service's standard grpc.health.v1 Check (no token needed: health says nothing of the
 * data). `UNREACHABLE` when nothing answered within `timeoutMs`.
 */
export async function grpcHealth(
  address: string,
  timeoutMs = 2_000,
): Promise<'SERVING' | 'NOT_SERVING' | 'UNREACHABLE'> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check: (
      request: { service: string },
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
    ) => void;
  };
  try {
    return await new Promise((resolve) => {
      client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error !== null) resolve('UNREACHABLE');
        else resolve(response?.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
      });
    });
  } finally {
    client.close();
  }
}

export class ServiceClient<Client extends grpc.Client> {
  readonly #client: Client;
  readonly #audience: string;
  readonly #identity: ServiceIdentity;
  readonly #deadlineMs: number;

  constructor(options: {
    readonly audience: string;
    readonly address: string;
    readonly client: new (address: string, credentials: grpc.ChannelCredentials) => Client;
    readonly identity: ServiceIdentity;
    readonly deadlineMs?: number;
  }) {
    this.#client = new options.client(options.address, grpc.credentials.createInsecure());
    this.#audience = options.audience;
    this.#identity = options.identity;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  async call<M extends keyof UnaryMethods<Client> & string>(
    method: M,
    request: UnaryMethods<Client>[M][0],
    options: { readonly principal?: Principal; readonly deadlineMs?: number } = {},
  ): Promise<UnaryMethods<Client>[M][1]> {
    return inSpan(
      `${this.#audience}/${method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'rpc.system': 'grpc', 'rpc.service': this.#audience, 'rpc.method': method },
      },
      async () => {
        const metadata = new grpc.Metadata();
        metadata.set(
          'authorization',
          `Bearer ${await this.#identity.sign(this.#audience, options.principal)}`,
        );
        propagation.inject(context.active(), metadata, {
          set: (carrier, key, value) => {
            carrier.set(key, value);
          },
        });
        const unary = (this.#client as unknown as Record<M, UnaryMethod<unknown, unknown>>)[
          method
        ].bind(this.#client);
        const deadline = new Date(Date.now() + (options.deadlineMs ?? this.#deadlineMs));
        return new Promise<UnaryMethods<Client>[M][1]>((resolve, reject) => {
          unary(request, metadata, { deadline }, (error, response) => {
            if (error === null) resolve(response);
            else reject(fromServiceError(error, this.#audience));
          });
        });
      },
    );
  }

  close(): void {
    this.#client.close();
  }
}

function fromServiceError(error: grpc.ServiceError, audience: string): AmanError {
  const code = String(error.metadata.get(ERROR_CODE_KEY)[0] ?? '');
  if (code in errorCodes) return new AmanError(code as ErrorCode, error.details);
  if (error.code === grpc.status.DEADLINE_EXCEEDED || error.code === grpc.status.UNAVAILABLE) {
    return new UnavailableError(`${audience} did not answer in time`);
  }
  return new AmanError('AMAN_ERR_INTERNAL', `${audience} failed`);
}
