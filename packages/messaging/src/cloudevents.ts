import { ValidationError } from '@aman/errors';
import { isTraceparent } from '@aman/eventstore';

import type { BusMessage } from './types.ts';

/** CloudEvents 1.0 Kafka protocol binding, binary content mode: attributes in `ce_*` headers. */
export const SPEC_VERSION = '1.0';

export type Headers = Record<string, string>;

export function toHeaders(message: BusMessage): Headers {
  const headers: Headers = {
    ce_specversion: SPEC_VERSION,
    ce_id: message.id,
    ce_source: message.source,
    ce_type: message.type,
    ce_subject: message.subject,
    ce_time: message.time,
    ce_stream: message.stream,
    ce_streamversion: String(message.streamVersion),
    'content-type': message.dataContentType,
  };
  if (message.traceparent !== undefined) headers['traceparent'] = message.traceparent;
  return headers;
}

/**
 * Reads a record back into a message, or throws a ValidationError naming the first attribute that
 * is missing or malformed (a poison record: it goes to the dead-letter topic, never to a handler).
 */
export function fromHeaders(headers: Headers, data: Uint8Array | null): BusMessage {
  const required = (name: string): string => {
    const value = headers[name];
    if (value === undefined || value === '') {
      throw new ValidationError(`record has no ${name} header`);
    }
    return value;
  };
  if (required('ce_specversion') !== SPEC_VERSION) {
    throw new ValidationError('record is not a CloudEvents 1.0 event');
  }
  const streamVersion = Number(required('ce_streamversion'));
  if (!Number.isSafeInteger(streamVersion) || streamVersion < 1) {
    throw new ValidationError('record has a malformed ce_streamversion header');
  }
  const time = required('ce_time');
  if (Number.isNaN(Date.parse(time))) throw new ValidationError('record has a malformed ce_time');
  const traceparent = headers['traceparent'];
  if (traceparent !== undefined && !isTraceparent(traceparent)) {
    throw new ValidationError('record has a malformed traceparent header');
  }
  if (data === null) throw new ValidationError('record has no data');
  return {
    id: required('ce_id'),
    source: required('ce_source'),
    type: required('ce_type'),
    subject: required('ce_subject'),
    time,
    stream: required('ce_stream'),
    streamVersion,
    ...(traceparent === undefined ? {} : { traceparent }),
    dataContentType: required('content-type'),
    data,
  };
}
