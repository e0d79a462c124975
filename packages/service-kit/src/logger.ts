import { pino, type DestinationStream, type Logger } from 'pino';

import { activeTraceIds } from './telemetry.ts';

export type { Logger };

/**
 * Paths that may hold personal data or secrets, censored wherever they appear in a log object.
 * Code logs ids and codes, never request bodies; this list is the net under that rule.
 */
export const REDACTED_PATHS = [
  'defender',
  '*.defender',
  'fullName',
  '*.fullName',
  'phone',
  '*.phone',
  'place',
  '*.place',
  'narrative',
  '*.narrative',
  'threatNarratives',
  '*.threatNarratives',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'secret',
  '*.secret',
  'webhookSecret',
  '*.webhookSecret',
];

/**
 * A pino JSON logger whose lines carry the active trace_id and span_id, at LOG_LEVEL (default
 * info), to stdout unless a destination is given (tests).
 */
export function createLogger(
  service: string,
  level = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => activeTraceIds() ?? {},
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
