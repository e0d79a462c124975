import { IntegrityError } from '@aman/errors';

import type { JsonObject } from './types.ts';

/** One step: data of `type` at `fromVersion` → data at `fromVersion + 1`. Pure; may rename the type. */
export type Upcaster = (data: JsonObject) => { readonly type?: string; readonly data: JsonObject };

/**
 * Upcasters by event type, then by the schema version they upgrade from. Stored events are never
 * rewritten (their hashes cover the stored form); readers see the newest shape.
 */
export type UpcasterRegistry = {
  readonly [type: string]: { readonly [fromVersion: number]: Upcaster };
};

export interface Upcasted {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
}

const MAX_STEPS = 1000;

export function upcast(registry: UpcasterRegistry, event: Upcasted): Upcasted {
  let current = event;
  for (let steps = 0; steps < MAX_STEPS; steps += 1) {
    const step = registry[current.type]?.[current.schemaVersion];
    if (step === undefined) return current;
    const next = step(current.data);
    current = {
      type: next.type ?? current.type,
      schemaVersion: current.schemaVersion + 1,
      data: next.data,
    };
  }
  throw new IntegrityError(`upcaster chain for ${event.type} does not terminate`);
}
