// Messages between the growth bench (growth.ts) and its writer processes (growth/writer.ts).

/** What a writer process is told on its command line (as one JSON argument). */
export interface WriterArguments {
  readonly mongodbUri: string;
  readonly database: string;
  /** 0-based; names the writer's streams, so no two writers share one. */
  readonly writer: number;
  readonly streams: number;
  readonly inFlight: number;
}

/** Parent to writer. */
export type ParentMessage = { readonly kind: 'start' } | { readonly kind: 'stop' };

/** Writer to parent. */
export type WriterMessage =
  /** The store is open (indexes exist); the writer waits for `start`. */
  | { readonly kind: 'ready' }
  /** One append succeeded: one more commit in the log; the append took `ms`. */
  | { readonly kind: 'appended'; readonly ms: number }
  | { readonly kind: 'failed'; readonly error: string }
  /** After `stop`: appends in flight have settled and the store is closed. */
  | {
      readonly kind: 'done';
      readonly appended: number;
      readonly failures: number;
      readonly firstError?: string;
    };
