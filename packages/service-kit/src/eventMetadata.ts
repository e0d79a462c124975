import type { Actor, EventMetadata } from '@aman/eventstore';

import type { Principal } from './identity.ts';
import { currentTraceparent } from './telemetry.ts';

/** The actor of events a principal causes: its organisation and the key it used. */
export function actorOf(principal: Principal): Actor {
  return { organisationId: principal.organisationId, principalId: principal.keyId };
}

/**
 * The metadata of the events a command appends: who, which journey, what caused it, which data
 * key sealed it, and the active trace, so a consumer continues the trace that caused the event.
 */
export function eventMetadata(given: {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string | undefined;
  readonly dataKeyId?: string | undefined;
}): EventMetadata {
  const traceparent = currentTraceparent();
  return {
    actor: given.actor,
    correlationId: given.correlationId,
    ...(given.causationId === undefined ? {} : { causationId: given.causationId }),
    ...(given.dataKeyId === undefined ? {} : { dataKeyId: given.dataKeyId }),
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}
