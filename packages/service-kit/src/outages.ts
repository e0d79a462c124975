import { UnavailableError } from '@aman/errors';

/** The MongoDB driver's errors that mean the database cannot be reached now. */
const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoServerClosedError',
]);

/** Server codes of a database shutting down, stepping down or not reachable in between. */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * A database that cannot be reached now (down, restarting, failing over) is not a bug but an
 * outage: UNAVAILABLE, which callers retry (503 at the API) and consumers wait out without
 * dead-lettering the message (deliverWithRetries). Any other error is given back unchanged.
 */
export function asOutage(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const mongo = error as Error & {
    readonly code?: unknown;
    readonly hasErrorLabel?: (label: string) => boolean;
  };
  const transient =
    UNREACHABLE.has(error.name) ||
    (typeof mongo.code === 'number' && TRANSIENT_CODES.has(mongo.code)) ||
    mongo.hasErrorLabel?.('RetryableWriteError') === true ||
    mongo.hasErrorLabel?.('TransientTransactionError') === true;
  return transient
    ? new UnavailableError('a database is not reachable now; try again later')
    : error;
}
