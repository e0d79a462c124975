import type { Backend, Figure } from './results.ts';

export const PROJECTION_REBUILD: Figure = {
  id: 'projection-rebuild',
  title: 'projection rebuild',
  unit: 'events/s',
};

export interface NotMeasuredYet {
  readonly status: 'not measured yet';
  readonly reason: string;
}

/**
 * PLACEHOLDER — projection rebuild events/s, NOT MEASURED YET.
 *
 * To be filled in with the projection runner (packages/projections): on a fresh store of each
 * backend, append a log of N events (untimed), rebuild one projection from position 0 with the
 * runner and report events/s, repeated like the other figures, beside raw bulk inserts of the same
 * read-model rows as the ceiling (DESIGN.md §9). Return Measured samples from here and main.ts
 * prints them like the rest.
 */
export function measureProjectionRebuild(backend: Backend): Promise<NotMeasuredYet> {
  return Promise.resolve({
    status: 'not measured yet',
    reason: `not wired into the bench yet (${backend})`,
  });
}
