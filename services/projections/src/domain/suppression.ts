/** A published count: the number, or undefined where it is suppressed. */
export type Published = number | undefined;

/** One row of a published table: a period's cells, one per category, and their total. */
export interface PublishedRow {
  readonly cells: readonly Published[];
  readonly total: Published;
}

/**
 * Small-cell suppression of one row whose total is published (a period × one dimension).
 *
 * - A total below `minCell` is suppressed, and so is every cell of its row (each is below it too).
 * - Every cell below `minCell` is suppressed, zero included: a published zero would tell a reader
 *   that every other suppressed cell holds at least one person.
 * - Complementary suppression: where any cell is suppressed, at least two are, and together they
 *   hold at least `minCell` — else the smallest published cell is suppressed as well, and again.
 *   A reader can subtract the published cells from the total; what is left is shared by two or
 *   more suppressed cells in a way no equation fixes.
 *
 * Rows are independent: tables publish no per-category total over periods, since the caller
 * chooses the periods and two totals over ranges one month apart would give that month's cell.
 */
export function suppressRow(counts: readonly number[], minCell: number): PublishedRow {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total < minCell) return { cells: counts.map(() => undefined), total: undefined };
  const suppressed = new Set<number>();
  counts.forEach((count, index) => {
    if (count < minCell) suppressed.add(index);
  });
  const held = () => [...suppressed].reduce((sum, index) => sum + (counts[index] ?? 0), 0);
  while (suppressed.size > 0 && (suppressed.size < 2 || held() < minCell)) {
    let smallest: number | undefined;
    counts.forEach((count, index) => {
      if (suppressed.has(index)) return;
      if (smallest === undefined || count < (counts[smallest] ?? 0)) smallest = index;
    });
    // Every cell suppressed: they hold the total, which is at least minCell.
    if (smallest === undefined) break;
    suppressed.add(smallest);
  }
  return {
    cells: counts.map((count, index) => (suppressed.has(index) ? undefined : count)),
    total,
  };
}
