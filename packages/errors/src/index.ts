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
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const errorCodes = {
  AMAN_ERR_VALIDATION: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  AMAN_ERR_UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  AMAN_ERR_FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  AMAN_ERR_ILLEGAL_STATE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  AMAN_ERR_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  AMAN_ERR_CONCURRENCY: { http: 412, grpc: GrpcStatus.ABORTED },
  AMAN_ERR_IDEMPOTENCY_CONFLICT: { http: 422, grpc: GrpcStatus.ALREADY_EXISTS },
  AMAN_ERR_INTEGRITY: { http: 500, grpc: GrpcStatus.INTERNAL },
  AMAN_ERR_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  AMAN_ERR_INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AmanError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
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

export class NotFoundError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_NOT_FOUND', message);
  }
}

export class IllegalStateError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_ILLEGAL_STATE', message);
  }
}

/** A lost optimistic-concurrency race: the stream was not at the version the writer expected. */
export class ConcurrencyError extends AmanError {
  readonly expected: string;
  readonly actual: number | undefined;

  constructor(stream: string, expected: number | string, actual: number | undefined) {
    super(
      'AMAN_ERR_CONCURRENCY',
      `stream ${stream} is at ${actual === undefined ? 'no stream' : `version ${actual}`}, expected ${String(expected)}`,
    );
    this.expected = String(expected);
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
  constructor() {
    super(
      'AMAN_ERR_IDEMPOTENCY_CONFLICT',
      'an event id of this append is already stored for a different append; an idempotent retry must repeat the whole append unchanged',
    );
  }
}

/** Stored data failed an integrity check (a broken hash chain, a record that does not parse). */
export class IntegrityError extends AmanError {
  constructor(message: string) {
    super('AMAN_ERR_INTEGRITY', message);
  }
}
