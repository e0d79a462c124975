import { describe, expect, it } from '@jest/globals';

import { idFrom } from './ids.ts';

describe('idFrom', () => {
  it('derives the same UUID from the same parts, and different ones otherwise', () => {
    const id = idFrom('case', 'org-1', 'key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idFrom('case', 'org-1', 'key-1')).toBe(id);
    expect(idFrom('case', 'org-1', 'key-2')).not.toBe(id);
    expect(idFrom('case', 'org-1k', 'ey-1')).not.toBe(id);
    expect(idFrom('incident', 'org-1', 'key-1')).not.toBe(id);
  });
});
