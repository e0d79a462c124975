/**
 * HURIDOCS-style vocabularies as the incident rules use them: string literals equal to the
 * protobuf enum names in proto/aman/accountability/v1, so event data is the messages' JSON form.
 * `*_UNSPECIFIED` is never a valid value and is left out.
 */

export const ACTS = [
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ASSAULT',
  'ACT_ABDUCTION',
  'ACT_ARBITRARY_DETENTION',
  'ACT_DEATH_THREAT',
  'ACT_HOUSE_RAID',
  'ACT_HARASSMENT',
] as const;
export type Act = (typeof ACTS)[number];

export const PERPETRATOR_CATEGORIES = [
  'PERPETRATOR_CATEGORY_STATE',
  'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
  'PERPETRATOR_CATEGORY_UNKNOWN',
] as const;
export type PerpetratorCategory = (typeof PERPETRATOR_CATEGORIES)[number];

export const SOURCE_TYPES = [
  'SOURCE_TYPE_VICTIM',
  'SOURCE_TYPE_WITNESS',
  'SOURCE_TYPE_NGO',
  'SOURCE_TYPE_MEDIA',
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
