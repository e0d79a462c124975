import { describe, expect, it } from '@jest/globals';

import { IllegalStateError } from '@aman/errors';

import { DeciderSpecification } from './deciderSpecification.ts';

type LightEvent = { type: 'SwitchedOn' } | { type: 'SwitchedOff' };
type LightCommand = 'on' | 'off';

const light = {
  initialState: (): boolean => false,
  evolve: (_: boolean, event: LightEvent): boolean => event.type === 'SwitchedOn',
  decide: (command: LightCommand, on: boolean): LightEvent[] => {
    if (command === 'on') {
      if (on) throw new IllegalStateError('the light is on already');
      return [{ type: 'SwitchedOn' }];
    }
    return on ? [{ type: 'SwitchedOff' }] : [];
  },
};

describe('DeciderSpecification', () => {
  const spec = DeciderSpecification.for(light);

  it('folds the given events, decides the command and compares the events', () => {
    spec
      .given([])
      .when('on')
      .then([{ type: 'SwitchedOn' }]);
    spec
      .given([{ type: 'SwitchedOn' }])
      .when('off')
      .then({ type: 'SwitchedOff' });
    spec
      .given([{ type: 'SwitchedOn' }, { type: 'SwitchedOff' }])
      .when('off')
      .thenNothingHappened();
    expect(
      spec
        .given([{ type: 'SwitchedOn' }])
        .when('on')
        .thenThrows('AMAN_ERR_ILLEGAL_STATE'),
    ).toBeInstanceOf(IllegalStateError);
  });

  it('fails when the decider decides otherwise', () => {
    expect(() => {
      spec.given([]).when('on').thenNothingHappened();
    }).toThrow();
    expect(() => {
      spec
        .given([])
        .when('on')
        .then([{ type: 'SwitchedOff' }]);
    }).toThrow();
    expect(() => spec.given([]).when('on').thenThrows('AMAN_ERR_ILLEGAL_STATE')).toThrow(
      /expected the decider to throw AMAN_ERR_ILLEGAL_STATE/,
    );
  });
});
