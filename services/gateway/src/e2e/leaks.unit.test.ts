import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { LeakSearch, leakForms } from './leaks.ts';

// The redaction proof is only as good as its search: these show it finds a value in each form it
// claims to, wherever the value sits in the surrounding bytes, and nothing when it is absent.

const CANARY = 'Zarghuna Testperson, +93 700 555 102';
const search = new LeakSearch([CANARY, 'Testabad, Street 9']);

describe('the leak search', () => {
  it('finds a value in plain text, lower case, url- and form-encoded, and hex', () => {
    const forms = (text: string) => search.find(text).map((form) => form.form);
    expect(forms(`{"name":"${CANARY}"}`)).toContain('plain');
    expect(forms(`x=${CANARY.toLowerCase()}`)).toContain('lower case');
    expect(forms(`/p?q=${encodeURIComponent(CANARY)}`)).toContain('url-encoded');
    expect(forms(`q=${encodeURIComponent(CANARY).replaceAll('%20', '+')}&`)).toContain(
      'form-encoded',
    );
    expect(forms(Buffer.from(`..${CANARY}..`).toString('hex'))).toContain('hex');
  });

  it('finds it base64-encoded after any number of other bytes, in either alphabet', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom('base64' as const, 'base64url' as const),
        (before, after, alphabet) => {
          const encoded = Buffer.concat([before, Buffer.from(CANARY), after]).toString(alphabet);
          const found = search.find(`"data":"${encoded}"`);
          const offset = before.length % 3;
          // The two alphabets agree where the value has no 62nd or 63rd digit: one form then.
          return found.some(
            (form) => form.value === 0 && form.form.endsWith(` at offset ${String(offset)}`),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds nothing where the value is not, not even in random bytes in every encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 200, maxLength: 2000 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        const texts = ['latin1', 'base64', 'base64url', 'hex'] as const;
        return texts.every((encoding) => search.find(buffer.toString(encoding)).length === 0);
      }),
      { numRuns: 200 },
    );
    expect(search.find('Zarghuna Testpers')).toEqual([]);
  });

  it('drops forms too short to mean anything, and refuses a value too short to search for', () => {
    expect(leakForms('Abcdefgh').every((form) => form.text.length >= 8)).toBe(true);
    expect(() => new LeakSearch(['short'])).toThrow('at least 8 bytes');
  });
});
