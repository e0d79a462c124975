export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function summarise(values: readonly number[]): Summary | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min === undefined || max === undefined) return undefined;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? max;
  const lower = sorted[middle - 1] ?? upper;
  return { min, median: sorted.length % 2 === 1 ? upper : (lower + upper) / 2, max };
}
