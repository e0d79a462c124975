// The growth bench's figure: appends per second over each window of log growth, and its table.
import { performance } from 'node:perf_hooks';

import { summarise } from '../stats.ts';

/** One window of `commits` commits (the last one may be shorter: the run stopped inside it). */
export interface Window {
  /** Commits in the log when the window closed: the x axis. */
  readonly logSize: number;
  readonly commits: number;
  readonly seconds: number;
  readonly appendsPerSecond: number;
  /** How long the appends that settled in the window took, call to resolution, as the caller waits. */
  readonly medianMs: number;
  readonly maxMs: number;
  /** Seconds since the writers started, when the window closed. */
  readonly elapsedSeconds: number;
  /**
   * Writers that stored at least one commit in the window. Fewer than all means some are stuck or
   * starved, and the rate is that of the others alone.
   */
  readonly activeWriters: number;
  /** Commits each writer stored in the window, by writer. */
  readonly byWriter: readonly number[];
  readonly failures: number;
  readonly partial: boolean;
}

/** Counts commits as the writers report them and closes a window every `size` commits. */
export class WindowRecorder {
  readonly windows: Window[] = [];
  readonly #size: number;
  readonly #writers: number;
  readonly #started = performance.now();
  #commits = 0;
  #failures = 0;
  #windowStarted = this.#started;
  #windowCommits = 0;
  #windowFailures = 0;
  #windowByWriter: number[];
  #windowMs: number[] = [];

  constructor(size: number, writers: number) {
    this.#size = size;
    this.#writers = writers;
    this.#windowByWriter = new Array<number>(writers).fill(0);
  }

  get commits(): number {
    return this.#commits;
  }

  get failures(): number {
    return this.#failures;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** One more commit, by `writer`, whose append took `ms`; the window it closes, if any. */
  appended(writer: number, ms: number): Window | undefined {
    this.#commits += 1;
    this.#windowCommits += 1;
    this.#windowByWriter[writer] = (this.#windowByWriter[writer] ?? 0) + 1;
    this.#windowMs.push(ms);
    return this.#windowCommits >= this.#size ? this.#close(false) : undefined;
  }

  failed(): void {
    this.#failures += 1;
    this.#windowFailures += 1;
  }

  /** Closes the window in progress, when it holds any commit, as the run's last. */
  finish(): Window | undefined {
    return this.#windowCommits > 0 ? this.#close(true) : undefined;
  }

  /** Appends per second since the last window closed (for progress while a window is slow). */
  currentRate(): { readonly commits: number; readonly seconds: number } {
    return {
      commits: this.#windowCommits,
      seconds: (performance.now() - this.#windowStarted) / 1000,
    };
  }

  #close(partial: boolean): Window {
    const now = performance.now();
    const seconds = (now - this.#windowStarted) / 1000;
    const appendsPerSecond = seconds > 0 ? this.#windowCommits / seconds : 0;
    const latency = summarise(this.#windowMs);
    const window: Window = {
      logSize: this.#commits,
      commits: this.#windowCommits,
      seconds,
      appendsPerSecond,
      medianMs: latency?.median ?? 0,
      maxMs: latency?.max ?? 0,
      elapsedSeconds: (now - this.#started) / 1000,
      activeWriters: this.#windowByWriter.filter((commits) => commits > 0).length,
      byWriter: this.#windowByWriter,
      failures: this.#windowFailures,
      partial,
    };
    this.windows.push(window);
    this.#windowStarted = now;
    this.#windowCommits = 0;
    this.#windowFailures = 0;
    this.#windowByWriter = new Array<number>(this.#writers).fill(0);
    this.#windowMs = [];
    return window;
  }
}

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

function rate(value: number): string {
  return value >= 100 ? INTEGER.format(value) : ONE_DECIMAL.format(value);
}

export function windowCells(window: Window): string[] {
  return [
    `${INTEGER.format(window.logSize)}${window.partial ? ' (last, partial)' : ''}`,
    INTEGER.format(window.commits),
    ONE_DECIMAL.format(window.seconds),
    rate(window.appendsPerSecond),
    INTEGER.format(window.medianMs),
    INTEGER.format(window.maxMs),
    ONE_DECIMAL.format(window.elapsedSeconds),
    `${window.activeWriters} (${window.byWriter.join('/')})`,
    INTEGER.format(window.failures),
  ];
}

export function renderWindows(windows: readonly Window[]): string {
  const header = [
    'log size (commits)',
    'commits',
    'window s',
    'appends/s',
    'median ms',
    'max ms',
    'elapsed s',
    'writers (commits each)',
    'failed',
  ];
  const lines = windows.map(windowCells);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/**
 * First against last full window: a store whose appends cost the same at every log size keeps this
 * near 100 %; one that scans the log per append falls with it.
 */
export function flatness(windows: readonly Window[]): string {
  const full = windows.filter((window) => !window.partial);
  const first = full[0];
  const last = full.at(-1);
  if (first === undefined || last === undefined || full.length < 2) {
    return 'fewer than two full windows: no trend';
  }
  const ratio = first.appendsPerSecond > 0 ? last.appendsPerSecond / first.appendsPerSecond : 0;
  return (
    `first full window (to ${INTEGER.format(first.logSize)} commits) ${rate(first.appendsPerSecond)} appends/s, ` +
    `last (to ${INTEGER.format(last.logSize)}) ${rate(last.appendsPerSecond)} appends/s: ` +
    `last / first = ${INTEGER.format(ratio * 100)} %`
  );
}
