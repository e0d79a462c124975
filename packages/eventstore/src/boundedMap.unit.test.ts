import { describe, expect, it } from '@jest/globals';

import { BoundedMap } from './boundedMap.ts';

describe('BoundedMap', () => {
  it('forgets the entry set longest ago once it is over its limit', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(3);
    expect(map.get('c')).toBe(4);
  });

  it('does not count a read as use', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.get('a')).toBeUndefined();
  });
});
