import type { MemoryFigure, PlatformRow } from './run.ts';

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'ms') return value.toFixed(0);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ');
}

/** The platform table: one line per system of each figure, its ratio to its baseline. */
export function renderPlatformReport(
  heading: string,
  rows: readonly PlatformRow[],
  memory: readonly MemoryFigure[],
): string {
  const header = ['figure', 'system', 'unit', 'min / median / max', 'vs baseline', 'target'];
  const lines = rows.map((row) => {
    const summary = row.summary;
    const values =
      summary === undefined
        ? 'no value'
        : `${number(summary.min, row.unit)} / ${number(summary.median, row.unit)} / ${number(summary.max, row.unit)}`;
    const ratio =
      row.ratio === undefined
        ? ''
        : `${(row.ratio.value * 100).toFixed(1)} %${
            row.ratio.perRun === undefined
              ? ''
              : ` [${(row.ratio.perRun.min * 100).toFixed(1)}–${(row.ratio.perRun.max * 100).toFixed(1)}]`
          }`;
    const target =
      row.target === undefined
        ? ''
        : `${row.target.met ? 'met' : 'NOT met'}: ${row.target.statement}`;
    return [
      row.figure,
      row.system,
      row.unit,
      values + (row.note ? ` (${row.note})` : ''),
      ratio,
      target,
    ];
  });
  const widths = header.map((_, index) =>
    Math.max(...[header, ...lines].map((cells) => (cells[index] ?? '').length)),
  );
  const memoryLines = memory.map((figure) => {
    const mib = (value: number): string => value.toFixed(0).padStart(5);
    return `  ${figure.service.padEnd(16)} ${[figure.startMiB, figure.halfwayMiB, figure.loadedMiB, figure.afterMiB].map(mib).join(' →')} MiB   ${memoryVerdict(figure)}`;
  });
  return [
    heading,
    '',
    pad(header, widths),
    widths.map((width) => '-'.repeat(width)).join('-|-'),
    ...lines.map((cells) => pad(cells, widths)),
    '',
    'RSS per service: at start → halfway through the sustained load → at its end → after the idle time',
    ...memoryLines,
  ].join('\n');
}

/**
 * Whether a service's memory levelled off: a leak grows through the second half of the load as
 * through the first; a warm heap grows by a fraction of it, or not at all.
 */
function memoryVerdict(figure: MemoryFigure): string {
  const first = figure.halfwayMiB - figure.startMiB;
  const second = figure.loadedMiB - figure.halfwayMiB;
  const levelled = second <= Math.max(5, first / 4);
  const growth = `second half ${second >= 0 ? '+' : ''}${second.toFixed(0)} MiB (first ${first >= 0 ? '+' : ''}${first.toFixed(0)})`;
  const idle = figure.afterMiB < figure.loadedMiB ? 'came down when idle' : 'kept when idle';
  return `${levelled ? 'levelled off' : 'STILL GROWING'}: ${growth}; ${idle}`;
}
