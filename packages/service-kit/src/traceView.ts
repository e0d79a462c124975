import { startOtlpReceiver, type ReceivedSpan } from './otlpReceiver.ts';

/**
 * The only attribute keys ever printed: semantic-convention names and Aman ids and codes, none of
 * which is personal data. Everything else (url.path, server.address, network.peer.address, …) is
 * left out, so that a span that does carry something it should not still never reaches a screen.
 */
export const ATTRIBUTES_SHOWN: readonly string[] = [
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'rpc.service',
  'rpc.method',
  'messaging.system',
  'messaging.destination.name',
  'messaging.consumer.group.name',
  'db.system.name',
  'db.operation.name',
  'aman.caller',
  'aman.stream',
  'aman.event.type',
  'aman.event.types',
  'aman.event.count',
  'aman.case.id',
  'aman.referral.id',
  'aman.provider.id',
  'aman.projection',
  'aman.timer.kind',
  'aman.timer.attempt',
  'aman.error.code',
];

export type IdKind = 'case' | 'referral';

/** The attributes that name a case or referral: its id, or its event stream (`case-<id>`). */
export function idAttributeKeys(kind: IdKind): readonly string[] {
  return [`aman.${kind}.id`, `aman.stream (${kind}-<id>)`];
}

function carriesId(span: ReceivedSpan, kind: IdKind, id: string): boolean {
  return (
    span.attributes[`aman.${kind}.id`] === id || span.attributes['aman.stream'] === `${kind}-${id}`
  );
}

function milliseconds(nanos: bigint): string {
  return `${(Number(nanos) / 1e6).toFixed(1)} ms`;
}

function spanLine(span: ReceivedSpan, depth: number, orphan: boolean): string {
  const parts = [
    `${'  '.repeat(depth)}${span.service}  ${span.name}  ${milliseconds(span.endNanos - span.startNanos)}`,
  ];
  if (span.error) parts.push('ERROR');
  for (const key of ATTRIBUTES_SHOWN) {
    const value = span.attributes[key];
    if (value !== undefined) parts.push(`${key}=${String(value)}`);
  }
  for (const link of span.links)
    parts.push(`(linked from trace ${link.traceId} span ${link.spanId})`);
  if (orphan && span.parentSpanId !== undefined)
    parts.push(`(parent ${span.parentSpanId} not received)`);
  return parts.join('  ');
}

const byStart = (a: ReceivedSpan, b: ReceivedSpan): number =>
  a.startNanos === b.startNanos
    ? a.spanId.localeCompare(b.spanId)
    : a.startNanos < b.startNanos
      ? -1
      : 1;

/**
 * One trace as an indented tree: a header, then each span under its parent, children in order of
 * start. A span whose parent has not arrived is shown at the top, saying so.
 */
export function traceLines(traceId: string, spans: readonly ReceivedSpan[]): string[] {
  const own = spans.filter((span) => span.traceId === traceId);
  if (own.length === 0) return [];
  const ids = new Set(own.map((span) => span.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const span of own) {
    if (span.parentSpanId === undefined || !ids.has(span.parentSpanId)) roots.push(span);
    else children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
  }
  const start = own.reduce(
    (min, span) => (span.startNanos < min ? span.startNanos : min),
    own[0]?.startNanos ?? 0n,
  );
  const end = own.reduce((max, span) => (span.endNanos > max ? span.endNanos : max), 0n);
  const services = [...new Set(own.map((span) => span.service))].sort().join(', ');
  const lines = [
    `trace ${traceId}  ${own.length} span${own.length === 1 ? '' : 's'}  ${milliseconds(end - start)}  (${services})`,
  ];
  const shown = new Set<string>();
  const walk = (span: ReceivedSpan, depth: number, orphan: boolean): void => {
    if (shown.has(span.spanId)) return; // a malformed cycle is printed once
    shown.add(span.spanId);
    lines.push(spanLine(span, depth, orphan));
    for (const child of (children.get(span.spanId) ?? []).sort(byStart))
      walk(child, depth + 1, false);
  };
  for (const root of roots.sort(byStart)) walk(root, 1, true);
  return lines;
}

/** Which traces to print: one by id, those of a referral or case, or (no filter) all. */
export type TraceFilter =
  { readonly traceId: string } | { readonly kind: IdKind; readonly id: string } | undefined;

/**
 * The traces the filter selects. A referral's or case's traces are those with a span that names it,
 * and the traces linked from them (deferred work: a timer, a redelivery), however deep.
 */
export function selectedTraces(spans: readonly ReceivedSpan[], filter: TraceFilter): Set<string> {
  const all = new Set(spans.map((span) => span.traceId));
  if (filter === undefined) return all;
  if ('traceId' in filter) return new Set(all.has(filter.traceId) ? [filter.traceId] : []);
  return withLinkedTraces(
    spans,
    spans.filter((span) => carriesId(span, filter.kind, filter.id)).map((span) => span.traceId),
  );
}

/** The traces given and those linked from them (deferred work), however deep. */
export function withLinkedTraces(
  spans: readonly ReceivedSpan[],
  traceIds: Iterable<string>,
): Set<string> {
  const selected = new Set(traceIds);
  for (let grew = true; grew;) {
    grew = false;
    for (const span of spans) {
      if (!selected.has(span.traceId) && span.links.some((link) => selected.has(link.traceId))) {
        selected.add(span.traceId);
        grew = true;
      }
    }
  }
  return selected;
}

export interface TraceWatchOptions {
  readonly port?: number;
  /** A trace is printed once no span of it has arrived for this long. Default 2000. */
  readonly quietMs?: number;
  readonly filter?: TraceFilter;
  readonly print: (text: string) => void;
  readonly warn?: (text: string) => void;
}

export interface TraceWatch {
  readonly endpoint: string;
  /** Every span received so far. */
  readonly spans: readonly ReceivedSpan[];
  /** Prints every selected trace that has spans not yet printed, now. */
  flush(): void;
  close(): Promise<void>;
}

/**
 * Receives OTLP/JSON on loopback, keeps the spans in memory, and prints each selected trace when
 * it has gone quiet; again, marked as updated, if more of its spans come later.
 */
export async function watchTraces(options: TraceWatchOptions): Promise<TraceWatch> {
  const quietMs = options.quietMs ?? 2000;
  const timers = new Map<string, NodeJS.Timeout>();
  const printed = new Map<string, number>();
  let warned = false;
  const print = (traceIds: Iterable<string>): void => {
    const selected = selectedTraces(receiver.spans, options.filter);
    for (const traceId of traceIds) {
      if (!selected.has(traceId)) continue;
      const lines = traceLines(traceId, receiver.spans);
      const count = lines.length - 1;
      const before = printed.get(traceId);
      if (before === count) continue;
      printed.set(traceId, count);
      if (before !== undefined) lines[0] = `${lines[0] ?? ''}  (updated: ${count - before} more)`;
      options.print(`${lines.join('\n')}\n\n`);
    }
  };
  const receiver = await startOtlpReceiver({
    ...(options.port === undefined ? {} : { port: options.port }),
    onSpans: (spans) => {
      for (const traceId of new Set(spans.map((span) => span.traceId))) {
        clearTimeout(timers.get(traceId));
        timers.set(
          traceId,
          setTimeout(() => {
            timers.delete(traceId);
            print([traceId]);
          }, quietMs),
        );
      }
    },
    onRefused: (reason) => {
      if (warned) return;
      warned = true;
      options.warn?.(reason);
    },
  });
  const flush = (): void => {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    print(new Set([...receiver.spans].sort(byStart).map((span) => span.traceId)));
  };
  return {
    endpoint: receiver.endpoint,
    spans: receiver.spans,
    flush,
    close: async () => {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await receiver.close();
    },
  };
}
