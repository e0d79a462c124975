import type { DomainEvent } from '../types.ts';

/**
 * The rules of one aggregate as pure functions (Emmett's Decider): what a command decides given
 * the state, how each event changes the state, and the state before any event. No I/O, so a
 * decider is tested given / when / then without mocks.
 */
export interface Decider<State, Command, E extends DomainEvent> {
  /** The events a command causes, or a thrown AmanError (validation, illegal state…). */
  readonly decide: (command: Command, state: State) => E | readonly E[];
  readonly evolve: (state: State, event: E) => State;
  readonly initialState: () => State;
}
