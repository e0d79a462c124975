import { ValidationError } from '@aman/errors';

/**
 * A person's name as a transliteration-independent skeleton, so that the Latin spellings of a
 * Dari or Pashto name and its Perso-Arabic spelling meet ("Mohammad", "Muhammed", "محمد" all give
 * `mhmd.a`). The skeleton feeds the blind index; it is personal data itself and is never stored.
 *
 * Each word becomes `<consonants>.<last vowel><final vowel>[<tails>]`:
 * - consonants in one class alphabet for both scripts: `'` for an opening vowel, ain or hamza;
 *   `X` kh/خ, `G` gh/غ, `S` sh/ش, `C` ch/چ; q=k=ک=ق, s=س=ص=ث, z=ز=ذ=ض=ظ, t=ت=ط, h=ح=ه, j=ج=ژ=zh,
 *   f=ph; w and y only at the start of a word (elsewhere they spell vowels); doubled letters once.
 * - the class (a, i or u) of the vowel before the last consonant, where Perso-Arabic writes a long
 *   vowel and Latin writes some vowel: it keeps Mahmood (`mhmd.u`) from Mohammad (`mhmd.a`),
 *   Hussain from Hassan, Javed from Jawad, Jamil from Jamal. `_` when there is no such vowel.
 * - the final vowel, if any: `a` (-a, -ah, -eh, ه, ة, ا: the feminine ending), `i` (-i, -y, -ee,
 *   -ai, ی: the nisba of family names), `u`. Karim/Karima and Ahmad/Ahmadi stay apart.
 * - `+llah` and `+din` for the Arabic compound tails -ullah/الله and -uddin/الدین.
 * Words are sorted, so "KARIMI, Mohammad" and "Mohammad Karimi" meet. Titles (Haji, Dr., Eng.,
 * Mawlawi...) are dropped; lineage and name parts (Sayed, Mir, Khan, Jan, Agha, Bibi) are kept.
 * The design and its known misses are in README.md §Blind index.
 */
export function normaliseName(name: string): string {
  if (typeof name !== 'string') throw new ValidationError('a name must be a string');
  if (name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(`a name must be at most ${MAX_NAME_LENGTH} characters`);
  }
  return joinWords(dropTitles(tokenise(name)))
    .map(skeletonOf)
    .filter((skeleton) => skeleton !== '')
    .sort()
    .join(' ');
}

/** Long enough for any real name with titles; a bound on the work done per call. */
export const MAX_NAME_LENGTH = 300;

type Script = 'latin' | 'arabic';
type Token = { readonly script: Script; readonly text: string };

/** One word of a name after compounds were joined: "Abdul Rahman" and "Najib Ullah" are one. */
type Word = {
  readonly script: Script;
  text: string;
  /** Where the last joined part starts: "Abdul Qadir" is judged by "qadir" for its vowel pattern. */
  partStart: number;
  readonly tails: string[];
};

// ---------------------------------------------------------------------------------------------
// Letters and tokens

/** Apostrophes and ain/hamza signs vanish inside a word (Ja'far, Sa’id, ʿAbd). */
const APOSTROPHES = /['‘’ʼʻʹʾʿ`´]/gu;
const MARKS = /\p{M}/gu;
/** Zero-width non-joiner and joiner, direction marks, tatweel: inside a word, they join it. */
const INVISIBLE = /[\p{Cf}\u0640]/gu;
/** After folding, a name is made of Latin a-z and these Perso-Arabic letters; the rest separates. */
const ARABIC_LETTERS = 'ءابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی';
const TOKEN = new RegExp(`[a-z]+|[${ARABIC_LETTERS}]+`, 'gu');

/** Arabic, Pashto and Urdu forms of letters, and Latin letters NFKD does not take apart. */
const LETTER_FOLDS: Readonly<Record<string, string>> = {
  ي: 'ی',
  ى: 'ی',
  ې: 'ی',
  ۍ: 'ی',
  ے: 'ی',
  ك: 'ک',
  ڪ: 'ک',
  ة: 'ه',
  ۃ: 'ه',
  ە: 'ه',
  ہ: 'ه',
  ھ: 'ه',
  ٱ: 'ا',
  ګ: 'گ',
  ټ: 'ت',
  ٹ: 'ت',
  ډ: 'د',
  ڈ: 'د',
  ړ: 'ر',
  ڑ: 'ر',
  ږ: 'ژ',
  ښ: 'ش',
  ڼ: 'ن',
  ں: 'ن',
  ځ: 'ز',
  څ: 'س',
  ı: 'i',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  đ: 'd',
  ł: 'l',
  ð: 'd',
  þ: 'th',
};

function tokenise(name: string): Token[] {
  const folded = name
    .replace(APOSTROPHES, '')
    .replace(/\u200b/gu, ' ')
    // آ is a long ā after a glottal stop: kept apart from ا before NFKD merges them (آصف, آمنه).
    .replace(/\u0622/gu, 'ءا')
    // ئ is a hamza on a seat (رئوف), not the vowel ی that NFKD would leave of it.
    .replace(/\u0626/gu, 'ء')
    .normalize('NFKC')
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(INVISIBLE, '')
    .toLowerCase();
  const letters = Array.from(folded, (char) => LETTER_FOLDS[char] ?? char).join('');
  return Array.from(letters.matchAll(TOKEN), ([text]) => ({
    script: /^[a-z]/.test(text) ? 'latin' : 'arabic',
    text,
  }));
}

// ---------------------------------------------------------------------------------------------
// Titles

/**
 * Titles that come and go between records of one person (Haji after a pilgrimage, Dr., Eng.,
 * religious and military ranks). Words that are also name parts or lineages stay: Sayed, Mir,
 * Agha, Khan, Jan, Bibi, Hafiz, Qazi, Sheikh.
 */
const LATIN_TITLES = new Set([
  'dr',
  'doctor',
  'eng',
  'engr',
  'engineer',
  'prof',
  'professor',
  'mr',
  'mrs',
  'ms',
  'miss',
  'mister',
  'haji',
  'hajji',
  'hadji',
  'haj',
  'hajj',
  'alhaj',
  'alhaji',
  'alhajj',
  'mullah',
  'mulla',
  'molla',
  'mawlawi',
  'mawlavi',
  'mowlawi',
  'mowlavi',
  'maulawi',
  'maulvi',
  'moulvi',
  'molvi',
  'mawlana',
  'maulana',
  'molana',
  'ustad',
  'ustaz',
  'ostad',
  'qari',
  'sahib',
  'saheb',
  'sahiba',
  'shaheed',
  'khanum',
  'khanom',
  'general',
  'gen',
  'colonel',
  'col',
  'captain',
  'capt',
  'pohanwal',
  'pohandoy',
  'pohanyar',
  'pohand',
]);

const ARABIC_TITLES = new Set([
  'حاجی',
  'حاج',
  'الحاج',
  'ملا',
  'مولوی',
  'مولانا',
  'داکتر',
  'دکتر',
  'انجنیر',
  'مهندس',
  'استاد',
  'قاری',
  'صاحب',
  'شهید',
  'ءاقای',
  'خانم',
  'جنرال',
  'دگروال',
  'پوهاند',
  'پوهنوال',
  'پوهنیار',
]);

function isTitle({ script, text }: Token): boolean {
  return script === 'latin' ? LATIN_TITLES.has(text) : ARABIC_TITLES.has(text);
}

function dropTitles(tokens: readonly Token[]): Token[] {
  const kept: Token[] = [];
  for (const token of tokens) {
    if (!isTitle(token)) {
      kept.push(token);
      continue;
    }
    // "Al-Haj": the article goes with its title.
    const previous = kept.at(-1);
    if (previous !== undefined && isArticle(previous)) kept.pop();
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Arabic compounds: Abd-, the article al-/ul-/ur-, and the tails -ullah and -uddin

/** The article as it is written in Latin: ul/al/el before any letter, ur/us/ud... assimilated. */
const LATIN_ARTICLE = /^(?:[aeiou]l|[aeu](?:r|s|z|d|n|t|sh))$/;
const ARABIC_ARTICLE = 'ال';

/** "Sun letters" assimilate the article's l: Abd-ur-Rahman, عبدالرحمن is read Abdurrahman. */
const LATIN_SUN = /^(?:t|d|r|z|s|n|l)/;
const ARABIC_SUN = new Set(['ت', 'ث', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ل', 'ن']);

/** Abd, Abdul, Abdur, Abdel...: the first half of a name that continues in the next word. */
const LATIN_ABD = /^abd(?:[aeiou]{1,2}(?:l|r|s|z|d|n|t|sh)?)?$/;
const ARABIC_ABD = 'عبد';

/** Tails spelled as the end of a word or as a word of their own. */
const LATIN_ALLAH = /^(?:[uoa]llah?|[uo]lah)$/;
const LATIN_ALLAH_END = /^([a-z]{2,}?)(?:[uoa]llah?|[uo]lah)$/;
const LATIN_DIN = /^[uaeo]d{1,2}(?:i|ee|ea|ie|y)n$/;
const LATIN_DIN_END = /^([a-z]{2,}?)[uaeo]d{1,2}(?:i|ee|ea|ie|y)n$/;
const ARABIC_ALLAH = 'الله';
const ARABIC_DIN = 'الدین';

/** Second halves that follow the article in compounds (Shams-ur-Rahman, Noor-ul-Haq). */
const ARABIC_ARTICLE_HALVES = new Set(['رحمن', 'رحمان', 'رحیم', 'حق', 'اسلام']);

function isArticle({ script, text }: Token): boolean {
  return script === 'latin' ? LATIN_ARTICLE.test(text) : text === ARABIC_ARTICLE;
}

/** A word with its -ullah / -uddin tail taken off as a marker (the word may then be empty). */
function stripTails(token: Token): { text: string; tails: string[] } {
  let text = token.text;
  const tails: string[] = [];
  if (token.script === 'latin') {
    for (let changed = true; changed;) {
      changed = false;
      if (LATIN_ALLAH.test(text)) return { text: '', tails: ['+llah', ...tails] };
      if (LATIN_DIN.test(text)) return { text: '', tails: ['+din', ...tails] };
      const allah = LATIN_ALLAH_END.exec(text);
      const din = LATIN_DIN_END.exec(text);
      const stem = allah?.[1] ?? din?.[1];
      if (stem !== undefined) {
        tails.unshift(allah ? '+llah' : '+din');
        text = stem;
        changed = true;
      }
    }
    return { text, tails };
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [tail, marker] of [
      [ARABIC_ALLAH, '+llah'],
      [ARABIC_DIN, '+din'],
    ] as const) {
      if (text.endsWith(tail)) {
        tails.unshift(marker);
        text = text.slice(0, -tail.length);
        changed = true;
      }
    }
  }
  return { text, tails };
}

/**
 * The next word glued to an Abd- or an article: the article's l goes before a sun letter and
 * stays before the others, its vowel stays. Returns the glued text and where the next word starts
 * in it.
 */
function glue(script: Script, article: string, next: string): { text: string; part: number } {
  if (script === 'latin') {
    const match = /^([aeiou]*)(l|r|s|z|d|n|t|sh)?$/.exec(article);
    const vowel = match?.[1] ?? '';
    const l = match?.[2] === 'l' && !LATIN_SUN.test(next) ? 'l' : '';
    return { text: `${vowel}${l}${next}`, part: vowel.length + l.length };
  }
  const full = article + next;
  if (full.startsWith(ARABIC_ARTICLE) && full.length > 2) {
    const rest = full.slice(2);
    const sun = ARABIC_SUN.has(rest.charAt(0));
    return sun ? { text: `ا${rest}`, part: 1 } : { text: `ال${rest}`, part: 2 };
  }
  return { text: full, part: 0 };
}

/** A single word that holds its own Abd- or article compound: Abdulqadir, عبدالقادر, شمس‌الرحمن. */
function wordOf(script: Script, text: string, tails: string[]): Word {
  if (script === 'latin') {
    const abd = /^abd([aeiou]{0,2})(l?)(.+)$/.exec(text);
    if (abd !== null) {
      const [, vowel = '', l = '', rest = ''] = abd;
      const glued = glue('latin', vowel + l, rest);
      return { script, text: `abd${glued.text}`, partStart: 3 + glued.part, tails };
    }
    return { script, text, partStart: 0, tails };
  }
  if (text.startsWith(ARABIC_ABD) && text.length > ARABIC_ABD.length) {
    const glued = glue('arabic', '', text.slice(ARABIC_ABD.length));
    return { script, text: `${ARABIC_ABD}${glued.text}`, partStart: 3 + glued.part, tails };
  }
  const article = text.lastIndexOf(ARABIC_ARTICLE);
  if (article > 0 && ARABIC_ARTICLE_HALVES.has(text.slice(article + 2))) {
    const glued = glue('arabic', '', text.slice(article));
    return {
      script,
      text: text.slice(0, article) + glued.text,
      partStart: article + glued.part,
      tails,
    };
  }
  return { script, text, partStart: 0, tails };
}

function joinWords(tokens: readonly Token[]): Word[] {
  const words: Word[] = [];
  /** Set when the last word (Abdul, or a word before an article) continues in the next token. */
  let pending: { article: string } | undefined;
  for (const token of tokens) {
    const last = words.at(-1);
    const sameScript = last !== undefined && last.script === token.script;
    if (isArticle(token)) {
      pending = sameScript ? { article: token.text } : undefined;
      continue;
    }
    const { text, tails } = stripTails(token);
    if (text === '') {
      // "Najib Ullah", "نجیب الله": the tail of the word before.
      if (sameScript) last.tails.push(...tails);
      else words.push({ script: token.script, text: '', partStart: 0, tails });
      pending = undefined;
      continue;
    }
    const articleHalf =
      token.script === 'arabic' &&
      text.startsWith(ARABIC_ARTICLE) &&
      ARABIC_ARTICLE_HALVES.has(text.slice(2));
    if (sameScript && (pending !== undefined || articleHalf)) {
      const glued = glue(token.script, pending?.article ?? '', text);
      last.partStart = last.text.length + glued.part;
      last.text += glued.text;
      last.tails.push(...tails);
      pending = undefined;
      // "Jalal ud Din" is only now Jalaludin, with its tail.
      const retailed = stripTails({ script: last.script, text: last.text });
      if (retailed.tails.length > 0 && retailed.text !== '') {
        last.text = retailed.text;
        last.tails.unshift(...retailed.tails);
        if (last.partStart >= last.text.length) last.partStart = 0;
      }
      continue;
    }
    pending = undefined;
    const abd =
      tails.length === 0 && (token.script === 'latin' ? LATIN_ABD.test(text) : text === ARABIC_ABD);
    if (abd) {
      words.push({
        script: token.script,
        text: token.script === 'latin' ? 'abd' : ARABIC_ABD,
        partStart: 0,
        tails,
      });
      pending = { article: token.script === 'latin' ? text.slice(3) : '' };
      continue;
    }
    words.push(wordOf(token.script, text, tails));
  }
  return words;
}

// ---------------------------------------------------------------------------------------------
// Skeletons

type VowelClass = 'a' | 'i' | 'u';

/** Consonants in order, and the vowel letters written just before each (empty when none). */
type Units = { readonly consonants: string[]; readonly groups: string[] };

function unitsFrom(
  letters: string,
  initialSeat: (first: string) => 'consumed' | 'voiced' | undefined,
  isVowelLetter: (letter: string, index: number) => boolean,
  consonant: (letters: string, index: number) => { codes: string[]; length: number },
): Units {
  const consonants: string[] = [];
  const groups: string[] = [];
  let pending = '';
  const push = (code: string): void => {
    // Doubled letters, and shadda that Perso-Arabic leaves unwritten, count once.
    if (pending === '' && consonants.at(-1) === code) return;
    consonants.push(code);
    groups.push(pending);
    pending = '';
  };
  let index = 0;
  const seat = letters.length > 0 ? initialSeat(letters.charAt(0)) : undefined;
  if (seat !== undefined) push("'");
  // A Latin opening vowel is also the first vowel; a Perso-Arabic seat letter is only a seat.
  if (seat === 'consumed') index = 1;
  while (index < letters.length) {
    const letter = letters.charAt(index);
    if (isVowelLetter(letter, index)) {
      pending += letter;
      index += 1;
      continue;
    }
    const { codes, length } = consonant(letters, index);
    codes.forEach(push);
    index += length;
  }
  return { consonants, groups };
}

const LATIN_DIGRAPHS: Readonly<Record<string, string>> = {
  kh: 'X',
  gh: 'G',
  sh: 'S',
  ch: 'C',
  zh: 'j',
  ph: 'f',
  dh: 'z',
  ck: 'k',
};
const LATIN_SINGLE: Readonly<Record<string, string>> = { q: 'k', c: 'k', v: 'w' };

function latinUnits(letters: string): Units {
  return unitsFrom(
    letters,
    (first) => ('aeiou'.includes(first) ? 'voiced' : undefined),
    // w, v and y spell vowels and diphthongs inside a word (Dawood, Mawlawi, Maryam).
    (letter, index) => 'aeiou'.includes(letter) || (index > 0 && 'wvy'.includes(letter)),
    (text, index) => {
      const digraph = LATIN_DIGRAPHS[text.slice(index, index + 2)];
      if (digraph !== undefined) return { codes: [digraph], length: 2 };
      const letter = text.charAt(index);
      if (letter === 'x') return { codes: ['k', 's'], length: 1 };
      return { codes: [LATIN_SINGLE[letter] ?? letter], length: 1 };
    },
  );
}

const ARABIC_CONSONANTS: Readonly<Record<string, string>> = {
  ب: 'b',
  پ: 'p',
  ت: 't',
  ط: 't',
  ث: 's',
  س: 's',
  ص: 's',
  ج: 'j',
  ژ: 'j',
  چ: 'C',
  ح: 'h',
  ه: 'h',
  خ: 'X',
  د: 'd',
  ذ: 'z',
  ز: 'z',
  ض: 'z',
  ظ: 'z',
  ر: 'r',
  ش: 'S',
  غ: 'G',
  ف: 'f',
  ق: 'k',
  ک: 'k',
  گ: 'g',
  ل: 'l',
  م: 'm',
  ن: 'n',
  و: 'w',
  ی: 'y',
};
/** Alef, waw and yeh spell vowels inside a word; ain and hamza are silent there in Dari. */
const ARABIC_VOWEL_LETTERS = 'اویعء';

function arabicUnits(letters: string): Units {
  return unitsFrom(
    letters,
    // An opening alef, ain or hamza is the seat of a vowel (احمد, عزیز, ءاصف).
    (first) => ('اعء'.includes(first) ? 'consumed' : undefined),
    (letter, index) => index > 0 && ARABIC_VOWEL_LETTERS.includes(letter),
    (text, index) => ({ codes: [ARABIC_CONSONANTS[text.charAt(index)] ?? '?'], length: 1 }),
  );
}

/** The word without its final vowels: Latin -a, -i, -ee, -ah, -eh; Perso-Arabic ا ی و ه. */
function splitFinal(script: Script, text: string): { stem: string; final: string } {
  let end = text.length;
  if (script === 'latin') {
    // -ah and -eh end Fatimah and Fatemeh; -eeh is Zabeeh's consonant.
    const vowelH = 'ae'.includes(text.charAt(end - 2)) && !'aeiou'.includes(text.charAt(end - 3));
    if (end > 2 && text.endsWith('h') && vowelH) end -= 1;
    while (end > 1 && 'aeiouyw'.includes(text.charAt(end - 1))) end -= 1;
  } else {
    if (end > 1 && text.endsWith('ه')) end -= 1;
    while (end > 1 && ARABIC_VOWEL_LETTERS.includes(text.charAt(end - 1))) end -= 1;
  }
  return { stem: text.slice(0, end), final: text.slice(end) };
}

function latinFinal(cluster: string): VowelClass | '' {
  const vowels = cluster.replace(/h$/, '');
  const last = vowels.at(-1);
  if (last === undefined) return '';
  if (last === 'a') return 'a';
  if (last === 'i' || last === 'y') return 'i';
  if (last === 'e') return /[iey]e$/.test(vowels) ? 'i' : 'a';
  return 'u';
}

function arabicFinal(cluster: string): VowelClass | '' {
  const last = cluster.replace(/[عء]+$/, '').at(-1);
  if (last === undefined) return '';
  if (last === 'ی') return 'i';
  if (last === 'و') return 'u';
  return 'a';
}

/**
 * fāʿil, the Arabic pattern of Nasir, Hamed, Qadir, Kazem, Fatima: one long ā after the first
 * consonant, and a short i that Perso-Arabic does not write (ناصر) and Latin writes i or e.
 */
function isFaail({ consonants, groups }: Units, longA: readonly string[], shortI: string): boolean {
  return consonants.length === 3 && longA.includes(groups[1] ?? '') && (groups[2] ?? '') === shortI;
}

/**
 * Latin words whose last vowel is a short u, which Perso-Arabic leaves unwritten (گل, یوسف):
 * elsewhere a Latin u or o before the last consonant is the long و of Mahmood or Ghafoor.
 */
const LATIN_SHORT_U = /^(?:g[ou]l{1,2}|y[ou]{1,2}s{1,2}[aeiou]{1,2}f|y[ou]{1,2}n[aeiou]{1,2}s)$/;

/** Words where و before the last consonant is the consonant w, not the vowel ū (Anwar). */
const ARABIC_CONSONANT_WAW = new Set(['انور', 'سرور', 'خاور', 'دلاور', 'مهوش']);

/** Names whose final ی is read -a (alef maqsura): Mustafa, Musa, Isa, Yahya, Laila. */
const ARABIC_FINAL_A = new Set([
  'مصطفی',
  'موسی',
  'عیسی',
  'یحیی',
  'مرتضی',
  'مجتبی',
  'لیلی',
  'کبری',
  'صغری',
  'هدی',
]);

/** Sayed (سید), a lineage, would otherwise meet the given name Saeed (سعید). */
const LATIN_SAYED = /^s[ae]?y{1,2}[aei]?d$/;
const ARABIC_SAYED = 'سید';

function latinLastVowel(group: string, units: Units, part: Units, open: boolean): VowelClass {
  if (/[iy]/.test(group)) return 'i';
  if (/[ouw]$/.test(group)) return 'u';
  if (group === 'e') {
    // e is a short i in Hamed or Fatemeh, ē (ی) in Sher or Jamshed, a short a in Ahmed,
    // Mohammed and the open first syllable of Rezaei.
    if (isFaail(part, ['a', 'aa'], 'e')) return 'i';
    if (open) return 'a';
    const n = units.consonants.length;
    if (units.consonants[n - 2] === 'm' && units.consonants[n - 1] === 'd') return 'a';
    return 'i';
  }
  if (group.includes('e')) return 'i';
  return 'a';
}

function arabicLastVowel(group: string, part: Units): VowelClass {
  const letters = group.replace(/[عء]/g, '');
  if (letters.includes('ی')) return 'i';
  if (letters.endsWith('و')) return 'u';
  if (letters.includes('ا')) return 'a';
  return isFaail(part, ['ا'], '') ? 'i' : 'a';
}

function skeletonOf(word: Word): string {
  const tails = word.tails.join('');
  if (word.text === '') return tails;
  const latin = word.script === 'latin';
  if (latin ? LATIN_SAYED.test(word.text) : word.text === ARABIC_SAYED) return `syd${tails}`;

  const { stem, final } = splitFinal(word.script, word.text);
  const partText = word.partStart < stem.length ? word.text.slice(word.partStart) : word.text;
  const partStem = partText.slice(0, partText.length - final.length);
  const units = latin ? latinUnits(stem) : arabicUnits(stem);
  const part = latin ? latinUnits(partStem) : arabicUnits(partStem);

  const n = units.consonants.length;
  const group = units.groups[n - 1] ?? '';
  let lastVowel: VowelClass | '_' = '_';
  if (n >= 2) {
    lastVowel = latin
      ? latinLastVowel(group, units, part, final !== '')
      : arabicLastVowel(group, part);
    if (latin ? LATIN_SHORT_U.test(partStem) : ARABIC_CONSONANT_WAW.has(partStem)) {
      lastVowel = 'a';
    }
  }
  let finalVowel = latin ? latinFinal(final) : arabicFinal(final);
  if (!latin && ARABIC_FINAL_A.has(partText)) finalVowel = 'a';
  return `${units.consonants.join('')}.${lastVowel}${finalVowel}${tails}`;
}
