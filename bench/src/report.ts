import { unitsPerCommit } from './measure.ts';
import { summarise } from './stats.ts';
import type { Backend, Ratio, RatioSpec, Row, Target } from './results.ts';

function findRow(rows: readonly Row[], backend: Backend, figureId: string, system: string) {
  return rows.find(
    (row) => row.backend === backend && row.figure.id === figureId && row.system === system,
  );
}

export function computeRatio(rows: readonly Row[], spec: RatioSpec): Ratio {
  const top = findRow(rows, spec.backend, spec.figureId, spec.numerator);
  const bottomFigure = spec.denominatorFigureId ?? spec.figureId;
  const bottom = findRow(rows, spec.backend, bottomFigure, spec.denominator);
  const label =
    `${spec.backend}: ${top?.figure.title ?? spec.figureId}, ${spec.numerator}` +
    (spec.denominatorFigureId === undefined
      ? ` / ${spec.denominator}`
      : ` / ${spec.denominator} ${bottom?.figure.title ?? bottomFigure}`);
  const topMedian = top?.status === 'measured' ? top.summary?.median : undefined;
  const bottomMedian = bottom?.status === 'measured' ? bottom.summary?.median : undefined;
  if (topMedian === undefined || bottomMedian === undefined || bottomMedian === 0) {
    const missing = [top, bottom].find((row) => row?.status !== 'measured');
    return { ...spec, label, note: `n/a: ${missing?.system ?? 'a row'} ${missing?.status ?? ''}` };
  }
  const paired: number[] = [];
  top?.rates.forEach((rate, run) => {
    const other = bottom?.rates[run];
    if (other !== undefined && other > 0) paired.push(rate / other);
  });
  const perRun = summarise(paired);
  return {
    ...spec,
    label,
    value: topMedian / bottomMedian,
    ...(perRun === undefined ? {} : { perRun }),
  };
}

export function formatRatio(value: number, style: 'times' | 'percent'): string {
  return style === 'times'
    ? `${value.toFixed(value < 10 ? 2 : 1)}×`
    : `${(value * 100).toFixed(0)} %`;
}

function ratioText(ratio: Ratio | undefined): string {
  if (ratio?.value === undefined) return ratio?.note ?? 'n/a';
  const range =
    ratio.perRun === undefined
      ? ''
      : ` (runs ${formatRatio(ratio.perRun.min, ratio.style)}–${formatRatio(ratio.perRun.max, ratio.style)})`;
  return `${formatRatio(ratio.value, ratio.style)}${range}`;
}

/**
 * A target is met when the ratio of medians reaches the threshold. `references` are ratios shown
 * under it for comparison that do not decide it.
 */
export function evaluateTarget(
  id: string,
  statement: string,
  conditions: readonly { readonly ratio: Ratio; readonly atLeast: number }[],
  references: readonly Ratio[] = [],
): Target {
  const parts = conditions.map(({ ratio, atLeast }) => {
    const met = ratio.value === undefined ? undefined : ratio.value >= atLeast;
    const verdict = met === undefined ? 'unknown' : met ? 'met' : 'NOT met';
    return {
      met,
      text: `${ratio.label} = ${ratioText(ratio)}, needs ≥ ${formatRatio(atLeast, ratio.style)}: ${verdict}`,
    };
  });
  const met = parts.some((part) => part.met === undefined)
    ? undefined
    : parts.every((part) => part.met === true);
  return {
    id,
    statement,
    ...(met === undefined ? {} : { met }),
    detail: [
      ...parts.map((p) => p.text),
      ...references.map((ratio) => `for reference: ${ratio.label} = ${ratioText(ratio)}`),
    ].join('\n'),
  };
}

const RATE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const SMALL_RATE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

function formatRate(value: number): string {
  return value >= 100 ? RATE.format(value) : SMALL_RATE.format(value);
}

function table(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const numeric = new Set([2, 3, 4]);
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/**
 * Units per durable commit over the runs (`50 appends per commit`, or the range when the runs
 * differ), for rows whose samples counted their commits.
 */
function perCommit(row: Row): string {
  const values = row.samples.flatMap((sample) => unitsPerCommit(sample) ?? []);
  const summary = summarise(values);
  if (summary === undefined) return '';
  const low = SMALL_RATE.format(summary.min);
  const high = SMALL_RATE.format(summary.max);
  const units = row.figure.unit.replace(/\/s$/, '');
  return `; ${low === high ? low : `${low}–${high}`} ${units} per commit`;
}

function rowCells(row: Row): string[] {
  const figure = row.figure.title;
  if (row.status !== 'measured' || row.summary === undefined) {
    const reason = row.note === undefined ? row.status : `${row.status}: ${row.note}`;
    return [figure, row.system, '', '', '', row.figure.unit, reason];
  }
  const failures =
    row.failures > 0
      ? `; ${row.failures} failed${row.note === undefined ? '' : ` (${row.note})`}`
      : '';
  return [
    figure,
    row.system,
    formatRate(row.summary.min),
    formatRate(row.summary.median),
    formatRate(row.summary.max),
    row.figure.unit,
    `${row.durability}${perCommit(row)}${failures}`,
  ];
}

export function renderReport(input: {
  readonly heading: string;
  readonly rows: readonly Row[];
  readonly ratios: readonly Ratio[];
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
}): string {
  const out: string[] = [input.heading, ''];
  const backends = [...new Set(input.rows.map((row) => row.backend))];
  for (const backend of backends) {
    out.push(`== ${backend}`);
    out.push(
      table(
        ['figure', 'system', 'min', 'median', 'max', 'unit', 'durability / notes'],
        input.rows.filter((row) => row.backend === backend).map(rowCells),
      ),
    );
    out.push('');
  }
  out.push('== Ratios (median / median; in brackets the run-by-run range)');
  for (const ratio of input.ratios) out.push(`${ratio.label}: ${ratioText(ratio)}`);
  out.push('');
  out.push('== Targets');
  for (const target of input.targets) {
    const verdict = target.met === undefined ? 'UNKNOWN' : target.met ? 'MET' : 'NOT MET';
    out.push(`(${target.id}) ${target.statement}: ${verdict}`);
    for (const line of target.detail.split('\n')) out.push(`    ${line}`);
  }
  out.push('');
  out.push('== Notes');
  for (const note of input.notes) out.push(`- ${note}`);
  return out.join('\n');
}
