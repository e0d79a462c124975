import { canonicalJson } from '@aman/eventstore';

/**
 * Whether two records say the same, leaving out the given fields (a retry's time, say). Compared
 * in canonical form: a record read back from a store need not keep its keys in the order given.
 */
export function sameExcept<T extends object>(a: T, b: T, ignored: readonly (keyof T)[]): boolean {
  const kept = (record: T) =>
    canonicalJson(
      Object.fromEntries(
        Object.entries(record).filter(([key]) => !ignored.includes(key as keyof T)),
      ),
    );
  return kept(a) === kept(b);
}
