/**
 * Every error Aman reports on purpose carries a stable code from this table. Adapters map the code
 * to an HTTP status (gateway) or a gRPC status (services) here and nowhere else. Messages must
 * never contain personal data: they end up in logs, traces and API responses.
 */

/** gRPC status codes (grpc/doc/statuscodes.md), kept here so this package has no dependencies. */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The one table of error codes: each code's default message and its HTTP and gRPC status.
 * docs/errors.md documents every code (a unit test keeps them in step).
 */
export const errorCodes = {
  AMAN_ERR_VALIDATION: {
    http: 400,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    message: 'the request is not valid',
  },
  AMAN_ERR_UNAUTHENTICATED: {
    http: 401,
    grpc: GrpcStatus.UNAUTHENTICATED,
    message: 'a valid API key or service token is required',
  },
  AMAN_ERR_FORBIDDEN: {
    http: 403,
    grpc: GrpcStatus.PERMISSION_DENIED,
    message: 'this organisation may not do this',
  },
  AMAN_ERR_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, message: 'not found' },
  AMAN_ERR_ERASED: {
    http: 410,
    grpc: GrpcStatus.NOT_FOUND,
    message: "the person's data was erased",
  },
  AMAN_ERR_ILLEGAL_STATE: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    message: "the resource's state does not allow this",
  },
  AMAN_ERR_CONCURRENCY: {
    http: 412,
    grpc: GrpcStatus.ABORTED,
    message: 'the resource changed since it was read',
  },
  AMAN_ERR_IDEMPOTENCY_CONFLICT: {
    http: 422,
    grpc: GrpcStatus.ALREADY_EXISTS,
    message: 'an id or idempotency key of this request was already used for a different request',
  },
  AMAN_ERR_RATE_LIMITED: {
    http: 429,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    message: 'too many requests; try again after the time given',
  },
  AMAN_ERR_INTEGRITY: {
    http: 500,
    grpc: GrpcStatus.INTERNAL,
    message: 'stored data failed an integrity check',
  },
  AMAN_ERR_UNAVAILABLE: {
    http: 503,
    grpc: GrpcStatus.UNAVAILABLE,
    message: 'a service or store is not available; try again later',
  },
  AMAN_ERR_INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL, message: 'internal error' },
} as const satisfies Record<string, { http: number; grpc: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;

export class AmanError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? errorCodes[code].message, options);
    this.name = new.target.name;
    this.code = code;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get grpcStatus(): number {
    return errorCodes[this.code].grpc;
  }

  /** Structural check, so errors that crossed a package boundary twice still match. */
  static is(error: unknown, code?: ErrorCode): error is AmanError {
    if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') {
      return false;
    }
    if (!(error.code in errorCodes)) return false;
    return code === undefined || error.code === code;
  }
}

export class ValidationError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_VALIDATION', message);
  }
}

/** No credentials, or credentials that do not verify. */
export class UnauthenticatedError extends AmanError {
  constructor(message?: string) {
    super('AMAN_ERR_UNAUTHENTICATED', message);
  }
}

/** The caller's kind may not do this at all. Another organisation's object is NotFoundError. */
export class ForbiddenError extends AmanError {
  constructor(message?: string) {
    super('AMAN_ERR_FORBIDDEN', message);
  }
}

export class NotFoundError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_NOT_FOUND', message);
  }
}

/**
 * The personal data asked for was erased (crypto-shredding). Only for a caller who may know the
 * object existed (the provider a referral was addressed to); to anyone else it is NotFoundError.
 */
export class ErasedError extends AmanError {
  constructor(message?: string) {
    super('AMAN_ERR_ERASED', message);
  }
}

export class IllegalStateError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_ILLEGAL_STATE', message);
  }
}

/** What a writer expected of a stream: see the event store's `ExpectedVersion`. */
export type ExpectedStreamVersion = 'any' | 'no_stream' | number;

/**
 * A lost optimistic-concurrency race: the stream was not at the version the writer expected.
 * Command handlers read the stream again and decide again.
 */
export class ConcurrencyError extends AmanError {
  readonly stream: string;
  readonly expected: ExpectedStreamVersion;
  /** The stream's version when the append was refused; undefined when it does not exist. */
  readonly actual: number | undefined;

  constructor(stream: string, expected: ExpectedStreamVersion, actual: number | undefined) {
    super(
      'AMAN_ERR_CONCURRENCY',
      `stream ${stream} is at ${actual === undefined ? 'no stream' : `version ${actual}`}, expected ${String(expected)}`,
    );
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * An append reused an event id that is already stored (or reserved) for different content: a
 * different type, data, schema version or actor, another stream, or a part of another append.
 * Unlike a ConcurrencyError it is never retried: trying again cannot make the ids fit. The
 * message says nothing of either write's content.
 */
export class IdempotencyConflictError extends AmanError {
  constructor(
    message = 'an event id of this append is already stored for a different append; an idempotent retry must repeat the whole append unchanged',
  ) {
    super('AMAN_ERR_IDEMPOTENCY_CONFLICT', message);
  }
}

/** Too many requests, or too many failed authentications, from one key or source. */
export class RateLimitedError extends AmanError {
  /** Whole seconds until a request may succeed again (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, message?: string) {
    super('AMAN_ERR_RATE_LIMITED', message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** A dependency is not there: a closed store, a service that does not answer. Worth retrying later. */
export class UnavailableError extends AmanError {
  constructor(message?: string) {
    super('AMAN_ERR_UNAVAILABLE', message);
  }
}

/** Stored data failed an integrity check (a broken hash chain, a record that does not parse). */
export class IntegrityError extends AmanError {
  constructor(message?: string) {
    super('AMAN_ERR_INTEGRITY', message);
  }
}

export {
  epochDay,
  requireBoolean,
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireText,
  requireTimestamp,
  requireValues,
} from './fields.ts';
