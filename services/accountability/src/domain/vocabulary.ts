/**
 * HURIDOCS-style vocabularies as the incident rules use them: string literals equal to the
 * protobuf enum names in proto/aman/accountability/v1, so event data is the messages' JSON form.
 * `*_UNSPECIFIED` is never a valid value and is left out.
 */

export { ACTS, PERPETRATOR_CATEGORIES } from '@aman/contracts/vocabulary';
export type { Act, PerpetratorCategory } from '@aman/contracts/vocabulary';

export const SOURCE_TYPES = [
  'SOURCE_TYPE_VICTIM',
  'SOURCE_TYPE_WITNESS',
  'SOURCE_TYPE_NGO',
  'SOURCE_TYPE_MEDIA',
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
