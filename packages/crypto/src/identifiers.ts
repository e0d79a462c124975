import { ValidationError } from '@aman/errors';

/** Persian (۰-۹) and Arabic-Indic (٠-٩) digits as ASCII; NFKC leaves them as they are. */
function asciiDigits(text: string): string {
  return text.replace(/[\u06F0-\u06F9\u0660-\u0669]/gu, (digit) =>
    String((digit.codePointAt(0) ?? 0) & 0x0f),
  );
}

/** Spaces, direction marks, brackets, dashes, dots and slashes people put inside numbers. */
const PHONE_SEPARATORS = /[\s\p{Cf}().\-‐‑‒–—―/]/gu;
const COUNTRY_CODE = /^[1-9]\d{0,2}$/;

/**
 * National significant numbers of a fixed length, by country code: Afghan numbers are 9 digits,
 * 2x-6x for landlines and 7x for mobiles. Other countries are only held to E.164's 8-15 digits.
 */
const FIXED_NATIONAL_NUMBERS: Readonly<Record<string, RegExp>> = { '93': /^[2-7]\d{8}$/ };

/**
 * A phone number in E.164 (`+93701234567`), or undefined when it cannot be one. Accepts `+` or
 * `00` before the country code, a trunk `0` for a number of `defaultCountryCode` (also kept by
 * mistake after it: `+93 0701...`), spaces, dashes, dots and brackets, and Persian or
 * Arabic-Indic digits. Digits with no prefix are a national number of `defaultCountryCode`,
 * unless they already start with it and have that country's length.
 */
export function normalisePhone(phone: string, defaultCountryCode = '93'): string | undefined {
  if (typeof phone !== 'string') throw new ValidationError('a phone number must be a string');
  if (typeof defaultCountryCode !== 'string' || !COUNTRY_CODE.test(defaultCountryCode)) {
    throw new ValidationError('a default country code must be 1-3 digits, without + or 00');
  }
  if (phone.length > 64) return undefined;
  const text = asciiDigits(phone.normalize('NFKC')).replace(PHONE_SEPARATORS, '');
  if (!/^\+?\d+$/.test(text)) return undefined;

  const national = (digits: string): string => `${defaultCountryCode}${digits}`;
  let digits: string;
  if (text.startsWith('+')) digits = text.slice(1);
  else if (text.startsWith('00')) digits = text.slice(2);
  else if (text.startsWith('0')) digits = national(text.slice(1));
  else if (text.startsWith(defaultCountryCode) && isNationalNumber(defaultCountryCode, text))
    digits = text;
  else digits = national(text);
  if (digits.startsWith(`${defaultCountryCode}0`)) {
    digits = national(digits.slice(defaultCountryCode.length + 1));
  }

  if (!/^[1-9]\d{7,14}$/.test(digits)) return undefined;
  for (const [code, pattern] of Object.entries(FIXED_NATIONAL_NUMBERS)) {
    if (digits.startsWith(code) && !pattern.test(digits.slice(code.length))) return undefined;
  }
  return `+${digits}`;
}

function isNationalNumber(countryCode: string, digits: string): boolean {
  return FIXED_NATIONAL_NUMBERS[countryCode]?.test(digits.slice(countryCode.length)) ?? false;
}

/** Years a living person's Gregorian date of birth can have; Solar Hijri years (13xx) fall out. */
const FIRST_YEAR = 1900;
const LAST_YEAR = 2099;

/**
 * A Gregorian date of birth as `YYYY-MM-DD`, or undefined. Year first, with `-`, `/` or `.`
 * between the parts, one- or two-digit month and day, Persian or Arabic-Indic digits. Day-first
 * dates are refused, as 03/04/1990 reads two ways. A Solar Hijri date (the tazkira's 1369/05/12)
 * is refused, not converted: the caller converts it, or leaves the date out.
 */
export function normaliseDate(dob: string): string | undefined {
  if (typeof dob !== 'string') throw new ValidationError('a date of birth must be a string');
  if (dob.length > 32) return undefined;
  const text = asciiDigits(dob.normalize('NFKC'))
    .replace(/\p{Cf}/gu, '')
    .trim();
  const match = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(text);
  if (match === null) return undefined;
  const [, y = '', , m = '', d = ''] = match;
  const [year, month, day] = [Number(y), Number(m), Number(d)];
  if (year < FIRST_YEAR || year > LAST_YEAR) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}
