import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { normaliseDate, normalisePhone } from './index.ts';

describe('normalisePhone', () => {
  it('writes Afghan numbers in E.164 whatever the prefix, separators and digits', () => {
    const spellings = [
      '+93701234567',
      '+93 70 123 4567',
      '0093 70 123 4567',
      '0701234567',
      '070-123-4567',
      '(070) 123 4567',
      '070.123.4567',
      '+93 (0) 70 123 4567',
      '+93 0701234567',
      '93701234567',
      '701234567',
      '۰۷۰۱۲۳۴۵۶۷',
      '٠٧٠١٢٣٤٥٦٧',
      '\u200E+۹۳ ۷۰ ۱۲۳ ۴۵۶۷\u200E',
    ];
    for (const spelling of spellings) expect(normalisePhone(spelling)).toBe('+93701234567');
    expect(normalisePhone('020 210 1234')).toBe('+93202101234');
  });

  it('keeps other countries, and reads national numbers of another default country', () => {
    expect(normalisePhone('+98 912 345 6789')).toBe('+989123456789');
    expect(normalisePhone('0098 912 345 6789')).toBe('+989123456789');
    expect(normalisePhone('0912 345 6789', '98')).toBe('+989123456789');
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
  });

  it('answers undefined for what cannot be a phone number', () => {
    const notPhones = [
      '',
      '   ',
      'unknown',
      '0701',
      '070123456a',
      '0701234567 ext 12',
      '0701234567 / 0799123456',
      '+',
      '++93701234567',
      '70+1234567',
      '+93 80 123 4567',
      '+93 70 123 45678',
      '+0 123 456 789',
      '1234567890123456',
      '0'.repeat(100),
    ];
    for (const text of notPhones) expect(normalisePhone(text)).toBeUndefined();
  });

  it('refuses a default country code that is not one, and input that is not a string', async () => {
    for (const code of ['+93', '093', '', '1234', 'af']) {
      await expectAmanError(() => normalisePhone('0701234567', code), 'AMAN_ERR_VALIDATION');
    }
    await expectAmanError(
      () => normalisePhone(701234567 as unknown as string),
      'AMAN_ERR_VALIDATION',
    );
  });
});

describe('normaliseDate', () => {
  it('writes a year-first Gregorian date as YYYY-MM-DD', () => {
    expect(normaliseDate('1990-01-05')).toBe('1990-01-05');
    expect(normaliseDate('1990/1/5')).toBe('1990-01-05');
    expect(normaliseDate(' 1990.12.31 ')).toBe('1990-12-31');
    expect(normaliseDate('۱۹۹۰-۰۱-۰۵')).toBe('1990-01-05');
    expect(normaliseDate('١٩٩٠/٠١/٠٥')).toBe('1990-01-05');
    expect(normaliseDate('2000-02-29')).toBe('2000-02-29');
  });

  it('answers undefined for dates that are not, are ambiguous, partial or Solar Hijri', () => {
    const notDates = [
      '',
      '1990',
      '1990-01',
      '1990-02-30',
      '1900-02-29',
      '1990-13-01',
      '1990-00-10',
      '05/01/1990',
      '1990-01/05',
      '1990-01-05T00:00:00Z',
      '1369/10/15',
      '۱۳۶۹/۱۰/۱۵',
      '1899-12-31',
      'yesterday',
    ];
    for (const text of notDates) expect(normaliseDate(text)).toBeUndefined();
  });

  it('refuses input that is not a string', async () => {
    await expectAmanError(
      () => normaliseDate(19900105 as unknown as string),
      'AMAN_ERR_VALIDATION',
    );
  });
});
