import type { Decider, DomainEvent, EventMetadata, EventStore } from '@aman/eventstore';
import { currentTraceparent } from '@aman/service-kit';

/** The principal name of what the referral service does by itself (routing, delivery). */
export const REFERRAL_SERVICE = 'referral';

/**
 * The metadata of the events a command appends: who (an organisation and its key, or the
 * service when it reacts on an organisation's behalf), which journey, which event caused it, and
 * the active trace.
 */
export function eventMetadata(
  actor: EventMetadata['actor'],
  correlationId: string,
  causationId?: string,
): EventMetadata {
  const traceparent = currentTraceparent();
  return {
    actor,
    correlationId,
    ...(causationId === undefined ? {} : { causationId }),
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}

/** An aggregate's current state: its stream folded with its decider. */
export async function stateOf<State, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>,
): Promise<State> {
  const history = await store.readStream<E>(stream);
  // A stored event is its domain event plus the envelope; the decider sees the domain event.
  return history.reduce(
    (state, event) => decider.evolve(state, event as unknown as E),
    decider.initialState(),
  );
}
