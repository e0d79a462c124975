/**
 * The forms a value can leak in, and a search for all of them at once: the redaction proof looks
 * for every canary this way in every capture (spans, metrics, log lines, Kafka records, stored
 * events and documents, webhook bodies).
 */

export interface LeakForm {
  /** Which value, by its index in the list searched for. */
  readonly value: number;
  /** How it was written: plain, lower case, base64 at byte offset k, url-encoded, hex. */
  readonly form: string;
  readonly text: string;
}

/** Base64 characters that depend on `value`'s bytes alone, when it starts `offset` bytes into a group. */
function base64Core(value: Buffer, offset: 0 | 1 | 2, alphabet: 'base64' | 'base64url'): string {
  const shifted = Buffer.concat([Buffer.alloc(offset), value]);
  const encoded = shifted.toString(alphabet);
  const wholeGroups = Math.floor(shifted.length / 3) * 4;
  // The first characters mix in the bytes before the value: 0, 2 or 3 of them.
  return encoded.slice([0, 2, 3][offset], wholeGroups);
}

/** Every form of `value` the proof looks for. */
export function leakForms(value: string, index = 0): LeakForm[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: Omit<LeakForm, 'value'>[] = [
    { form: 'plain', text: value },
    { form: 'lower case', text: value.toLowerCase() },
    { form: 'url-encoded', text: encodeURIComponent(value) },
    { form: 'form-encoded', text: encodeURIComponent(value).replaceAll('%20', '+') },
    { form: 'hex', text: bytes.toString('hex') },
  ];
  for (const offset of [0, 1, 2] as const) {
    forms.push({
      form: `base64 at offset ${String(offset)}`,
      text: base64Core(bytes, offset, 'base64'),
    });
    forms.push({
      form: `base64url at offset ${String(offset)}`,
      text: base64Core(bytes, offset, 'base64url'),
    });
  }
  const seen = new Set<string>();
  return forms
    .filter((form) => {
      if (form.text.length < MIN_FORM || seen.has(form.text)) return false;
      seen.add(form.text);
      return true;
    })
    .map((form) => ({ ...form, value: index }));
}

/** Shorter forms would match by chance in megabytes of ciphertext; a canary is longer than this. */
const MIN_FORM = 8;

/** A search for many values in all their forms, in one pass over each text. */
export class LeakSearch {
  readonly #byPrefix = new Map<string, LeakForm[]>();

  constructor(readonly values: readonly string[]) {
    values.forEach((value, index) => {
      if (Buffer.byteLength(value) < MIN_FORM) {
        throw new Error(`a searched value needs at least ${String(MIN_FORM)} bytes`);
      }
      for (const form of leakForms(value, index)) {
        const prefix = form.text.slice(0, MIN_FORM);
        this.#byPrefix.set(prefix, [...(this.#byPrefix.get(prefix) ?? []), form]);
      }
    });
  }

  /** Each form found in `text`, once. */
  find(text: string): LeakForm[] {
    const found = new Set<LeakForm>();
    for (let at = 0; at + MIN_FORM <= text.length; at += 1) {
      const candidates = this.#byPrefix.get(text.slice(at, at + MIN_FORM));
      if (candidates === undefined) continue;
      for (const form of candidates) if (text.startsWith(form.text, at)) found.add(form);
    }
    return [...found];
  }

  /** What was found in `text`, as `where: value (form)` lines. */
  describe(where: string, text: string): string[] {
    return this.find(text).map(
      (form) => `${where}: ${this.values[form.value] ?? '?'} (${form.form})`,
    );
  }
}
