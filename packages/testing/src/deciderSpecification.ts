import { expect } from '@jest/globals';

import { AmanError, type ErrorCode } from '@aman/errors';

/** The shape of a Decider (`@aman/eventstore`), restated so this package needs no event store. */
export interface SpecifiedDecider<State, Command, Event> {
  readonly decide: (command: Command, state: State) => Event | readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

export interface DeciderThen<Event> {
  /** The command decided exactly these events, in this order. */
  then(expected: Event | readonly Event[]): void;
  /** The command decided no events. */
  thenNothingHappened(): void;
  /** The command was refused with an AmanError of this code. */
  thenThrows(code: ErrorCode): AmanError;
}

/**
 * Given / when / then for a decider (after Emmett's DeciderSpecification): the state is the fold of
 * the given events, the command is decided on it, and the outcome compared. Pure: no I/O, no mocks.
 *
 *   const spec = DeciderSpecification.for(caseDecider);
 *   spec.given([submitted]).when(withdraw).then([withdrawn]);
 */
export const DeciderSpecification = {
  for<State, Command, Event>(decider: SpecifiedDecider<State, Command, Event>) {
    return {
      given(events: readonly Event[]) {
        return {
          when(command: Command): DeciderThen<Event> {
            const decide = (): readonly Event[] => {
              const state = events.reduce(decider.evolve, decider.initialState());
              const decided = decider.decide(command, state);
              return Array.isArray(decided) ? decided : [decided as Event];
            };
            return {
              then(expected) {
                expect(decide()).toEqual(Array.isArray(expected) ? expected : [expected]);
              },
              thenNothingHappened() {
                expect(decide()).toEqual([]);
              },
              thenThrows(code) {
                let thrown: unknown;
                try {
                  decide();
                } catch (error) {
                  thrown = error;
                }
                if (!AmanError.is(thrown, code)) {
                  const got = AmanError.is(thrown)
                    ? thrown.code
                    : thrown instanceof Error
                      ? thrown.name
                      : 'nothing';
                  throw new Error(`expected the decider to throw ${code}, got ${got}`);
                }
                return thrown;
              },
            };
          },
        };
      },
    };
  },
};
