import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { MAX_NAME_LENGTH, normaliseName } from './index.ts';

type NameFixture = {
  readonly matchGroups: readonly {
    readonly person: string;
    readonly variants: readonly string[];
  }[];
  readonly nearMisses: readonly { readonly a: string; readonly b: string; readonly why: string }[];
};

function fixture(file: string): NameFixture {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'),
  ) as NameFixture;
}

/** How a fixture fares: matches within groups, near-misses kept apart, groups that collide. */
function evaluate({ matchGroups, nearMisses }: NameFixture) {
  let pairs = 0;
  let pairsMatched = 0;
  let variants = 0;
  let variantsMatched = 0;
  const missedGroups: string[] = [];
  const owners = new Map<string, string>();
  const collidingGroups: string[] = [];
  for (const { person, variants: spellings } of matchGroups) {
    const skeletons = spellings.map(normaliseName);
    skeletons.forEach((a, i) => {
      for (const b of skeletons.slice(i + 1)) {
        pairs += 1;
        if (a === b) pairsMatched += 1;
      }
    });
    // A variant counts as matched when it gives the skeleton most of its group gives.
    const counts = new Map<string, number>();
    for (const skeleton of skeletons) counts.set(skeleton, (counts.get(skeleton) ?? 0) + 1);
    variants += skeletons.length;
    variantsMatched += Math.max(...counts.values());
    if (counts.size > 1) missedGroups.push(person);
    for (const skeleton of counts.keys()) {
      const owner = owners.get(skeleton);
      if (owner !== undefined && owner !== person) collidingGroups.push(`${owner} / ${person}`);
      owners.set(skeleton, person);
    }
  }
  const together = nearMisses.filter(({ a, b }) => normaliseName(a) === normaliseName(b));
  return {
    pairs,
    pairsMatched,
    variants,
    variantsMatched,
    groups: matchGroups.length,
    missedGroups,
    collidingGroups,
    nearMisses: nearMisses.length,
    together: together.map(({ a, b }) => `${a} / ${b}`),
  };
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}% (${part}/${whole})`;
}

describe('normaliseName', () => {
  it('gives one skeleton for the spellings of a name in both scripts', () => {
    const groups = [
      ['Mohammad', 'Muhammad', 'Mohammed', 'Mohamad', 'Muhamad', 'محمد'],
      ['Ahmad', 'Ahmed', 'احمد'],
      ['Fatima', 'Fatemah', 'Fatimah', 'فاطمه', 'فاطمة'],
      ['Zahra', 'Zohra', 'زهرا'],
      ['Abdul Rahman', 'Abdurrahman', 'Abdul-Rahman', 'عبدالرحمن', 'عبدالرحمان'],
      ['Rahimi', 'Rahemi', 'رحیمی'],
    ];
    for (const spellings of groups) {
      expect(new Set(spellings.map(normaliseName)).size).toBe(1);
    }
    expect(normaliseName('Mohammad')).toBe('mhmd.a');
    expect(normaliseName('Fatima')).toBe('ftm.ia');
  });

  it('folds the Arabic and Pashto forms of Perso-Arabic letters and strips what is not a letter', () => {
    const same: [string, string][] = [
      ['رحیمی', 'رحيمي'], // Persian and Arabic yeh
      ['کریم', 'كريم'], // kaf
      ['فاطمه', 'فاطمة'], // heh and teh marbuta
      ['نجیب‌الله', 'نجیبالله'], // zero-width non-joiner
      ['محمد', 'محـــمد'], // tatweel
      ['محمد', 'مُحَمَّد'], // harakat and shadda
      ['احمد', 'أحمد'], // hamza on alef
      ['اسماعیل', 'إسماعيل'], // hamza under alef
      ['رضایی', 'رضائی'],
      ['ستانکزی', 'ستانکزۍ'], // Pashto letters
      ['گل', 'ګل'],
      ['وردک', 'ورډک'],
      ['\u200Fمحمد\u200F', 'محمد'], // direction marks
    ];
    for (const [a, b] of same) expect(normaliseName(a)).toBe(normaliseName(b));
  });

  it('ignores case, Latin diacritics, punctuation, apostrophes and spacing', () => {
    const same: [string, string][] = [
      ['MOHAMMAD ĀṢIF', 'Mohammad Asif'],
      ["Ja'far", 'Jafar'],
      ['Sa’id', 'Said'],
      ['  gul   ahmad ', 'Gul-Ahmad'],
      ['Gul.Ahmad', 'gul ahmad'],
    ];
    for (const [a, b] of same) expect(normaliseName(a)).toBe(normaliseName(b));
  });

  it('merges the Latin renderings of one sound, and doubled letters', () => {
    const same: [string, string][] = [
      ['Khalid', 'خالد'],
      ['Ghulam', 'غلام'],
      ['Shafiq', 'شفیق'],
      ['Chaman', 'چمن'],
      ['Qasim', 'Kasim'],
      ['Mustapha', 'Mustafa'],
      ['Wahid', 'Vahid'],
      ['Zhala', 'Jala'],
      ['Hassan', 'Hasan'],
      ['Sattar', 'Satar'],
      ['Ahmadi', 'Ahmady'],
      ['Nasreen', 'Nasrin'],
      ['Zabihullah', 'Zabih Ullah'],
      ['Nooruddin', 'Noor-ud-Din'],
    ];
    for (const [a, b] of same) expect(normaliseName(a)).toBe(normaliseName(b));
  });

  it('sorts the words, so family-name-first lists meet', () => {
    expect(normaliseName('Ahmadi Fatima')).toBe(normaliseName('Fatima Ahmadi'));
    expect(normaliseName('KARIMI, Mohammad Nasim')).toBe(normaliseName('Mohammad Nasim Karimi'));
  });

  it('drops titles that come and go, and keeps lineages and name parts', () => {
    expect(normaliseName('Haji Gul Ahmad')).toBe(normaliseName('Gul Ahmad'));
    expect(normaliseName('Al-Haj Gul Ahmad')).toBe(normaliseName('Gul Ahmad'));
    expect(normaliseName('Dr. Eng. Farid Sultani')).toBe(normaliseName('Farid Sultani'));
    expect(normaliseName('حاجی گل احمد')).toBe(normaliseName('گل احمد'));
    expect(normaliseName('Mawlawi Abdul Haq')).toBe(normaliseName('Abdul Haq'));
    for (const kept of ['Sayed', 'Mir', 'Khan', 'Jan', 'Agha', 'Bibi']) {
      expect(normaliseName(`${kept} Ahmad Karimi`)).not.toBe(normaliseName('Ahmad Karimi'));
    }
  });

  it('keeps apart the near-misses the brief names', () => {
    const apart: [string, string][] = [
      ['Mahmood', 'Mohammad'],
      ['Zahra', 'Zahir'],
      ['Karim', 'Karima'],
      ['Hamid', 'Hamida'],
      ['Nasir', 'Nasira'],
      ['Ahmad', 'Ahmadi'],
      ['Rahim', 'Rahimi'],
      ['Hassan', 'Hussain'],
      ['Sultan', 'Soltani'],
      ['Jawad', 'Javed'],
      ['Sayed Ahmad', 'Saeed Ahmad'],
    ];
    for (const [a, b] of apart) expect(normaliseName(a)).not.toBe(normaliseName(b));
  });

  it('gives an empty skeleton for a name with no letters, and refuses what is not a name', async () => {
    expect(normaliseName('')).toBe('');
    expect(normaliseName('12 / 34')).toBe('');
    expect(normaliseName('Dr.')).toBe('');
    await expectAmanError(() => normaliseName(42 as unknown as string), 'AMAN_ERR_VALIDATION');
    const long = 'Canary '.repeat(MAX_NAME_LENGTH);
    const error = await expectAmanError(() => normaliseName(long), 'AMAN_ERR_VALIDATION');
    expect(error.message).not.toContain('Canary');
  });

  describe('on the tuning fixture (fixtures/name-variants.json)', () => {
    const result = evaluate(fixture('name-variants.json'));

    it(`matches every spelling pair: ${percent(result.pairsMatched, result.pairs)}`, () => {
      expect(result.missedGroups).toEqual([]);
    });

    it(`keeps every near-miss apart: ${percent(result.nearMisses - result.together.length, result.nearMisses)}`, () => {
      expect(result.together).toEqual([]);
      expect(result.collidingGroups).toEqual([]);
    });
  });

  /**
   * The held-out set was written before the normaliser and never used to tune it. Measured when
   * it was first run: 98.1% of variants (211/215), 96.9% of pairs (406/419), 41 of 45 groups, all
   * 46 near-misses apart. The four misses are known limits (README.md): Wardak/Wardag (k against
   * g), بی بی written as two words, Mir Wais against Mirwais, Anwer with an e.
   */
  describe('on the held-out fixture (fixtures/name-variants-holdout.json)', () => {
    const result = evaluate(fixture('name-variants-holdout.json'));
    const missed = result.missedGroups.join('; ');

    it(`matches ${percent(result.variantsMatched, result.variants)} of variants and ${percent(result.pairsMatched, result.pairs)} of pairs, at least 95% each; groups not fully matched: ${missed}`, () => {
      expect(result.variantsMatched / result.variants).toBeGreaterThanOrEqual(0.95);
      expect(result.pairsMatched / result.pairs).toBeGreaterThanOrEqual(0.95);
    });

    it(`keeps ${percent(result.nearMisses - result.together.length, result.nearMisses)} of near-misses apart (all required), and no two groups collide`, () => {
      expect(result.together).toEqual([]);
      expect(result.collidingGroups).toEqual([]);
    });
  });
});
