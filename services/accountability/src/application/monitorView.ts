import type { CheckpointStore, EventStore, JsonObject } from '@aman/eventstore';
import {
  ProjectionRunner,
  type Projection,
  type ProjectionContext,
  type ProjectedEvent,
  type ReadModelStore,
} from '@aman/projections';
import { CONTEXTS, type Principal } from '@aman/service-kit';

import {
  KILLINGS_AND_ATTACKS,
  impunityFigures,
  overdue,
  reachedBy,
  requirePeriod,
  type Act,
  type ImpunityFigures,
  type IncidentForImpunity,
  type InterventionForOverdue,
  type InvestigationStep,
  type OverdueIntervention,
  type Reached,
} from '../domain/index.ts';
import { monitor } from './monitor.ts';

const SOURCE = CONTEXTS.accountability.source;
const PAGE = 500;
export const MAX_OVERDUE = 500;

/**
 * The monitor's read models, folded from accountability's own store (private events included, so
 * never off the bus): each incident with its acts and how far its investigations went, and each
 * intervention with whether it still awaits a response.
 */
export const monitorProjection: Projection = {
  name: 'monitor',
  version: 1,
  collections: {
    incidents: { indexes: ['killingOrAttack', 'occurredOn'] },
    interventions: { indexes: ['awaiting', 'dueBy'] },
  },
  handles: [
    'IncidentDocumented',
    'IncidentRecorded',
    'InvestigationOpened',
    'InvestigationStepRecorded',
    'InterventionSent',
    'AuthorityResponded',
    'InterventionStatusChanged',
  ],
  project: (event, context) => project(event, context),
};

async function project(event: ProjectedEvent, context: ProjectionContext): Promise<void> {
  const data = event.data;
  switch (event.type) {
    case 'IncidentDocumented':
      return addActs(context, data, actsOf(data['acts']));
    case 'IncidentRecorded':
      // Documented incidents already hold this act; one recorded before them holds only this.
      return addActs(context, data, [textOf(data['act']) as Act]);
    case 'InvestigationOpened':
    case 'InvestigationStepRecorded': {
      const incidentId = textOf(data['incidentId']);
      const incident = await context.get('incidents', incidentId);
      if (incident === undefined) return;
      const reached = { ...(incident['reached'] as Record<string, number>) };
      const investigationId = textOf(data['investigationId']);
      const step = event.type === 'InvestigationOpened' ? undefined : textOf(data['step']);
      const now = step === undefined ? 0 : reachedBy(step as InvestigationStep);
      reached[investigationId] = Math.max(reached[investigationId] ?? 0, now);
      return context.put('incidents', incidentId, { ...incident, reached });
    }
    case 'InterventionSent': {
      const intervention: JsonObject = {
        interventionId: data['interventionId'] ?? '',
        incidentId: data['incidentId'] ?? '',
        type: data['type'] ?? '',
        addressee: data['addressee'] ?? '',
        sentAt: data['sentAt'] ?? '',
        dueBy: data['dueBy'] ?? '',
        firstResponse: null,
        closed: false,
        awaiting: true,
      };
      return context.put('interventions', textOf(data['interventionId']), intervention);
    }
    case 'AuthorityResponded':
    case 'InterventionStatusChanged': {
      const id = textOf(data['interventionId']);
      const known = await context.get('interventions', id);
      if (known === undefined) return;
      const firstResponse =
        known['firstResponse'] ??
        (event.type === 'AuthorityResponded' ? (data['response'] ?? null) : null);
      const closed =
        known['closed'] === true ||
        (event.type === 'InterventionStatusChanged' &&
          data['status'] === 'INTERVENTION_STATUS_CLOSED');
      return context.put('interventions', id, {
        ...known,
        firstResponse,
        closed,
        awaiting: firstResponse === null && !closed,
      });
    }
  }
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function actsOf(value: unknown): Act[] {
  if (!Array.isArray(value)) return [];
  return value.map((act) => textOf((act as Record<string, unknown>)['act']) as Act);
}

async function addActs(context: ProjectionContext, data: JsonObject, acts: Act[]): Promise<void> {
  const incidentId = textOf(data['incidentId']);
  const known = await context.get('incidents', incidentId);
  const all = [...new Set([...((known?.['acts'] as Act[] | undefined) ?? []), ...acts])].sort();
  await context.put('incidents', incidentId, {
    incidentId,
    occurredOn: data['occurredOn'] ?? '',
    acts: all,
    killingOrAttack: all.some((act) => KILLINGS_AND_ATTACKS.has(act)),
    reached: known?.['reached'] ?? {},
  });
}

/** The monitor's queries, over read models caught up with the store before each answer. */
export class MonitorView {
  readonly #store: EventStore;
  readonly #runner: ProjectionRunner;
  #catchingUp: Promise<unknown> = Promise.resolve();

  private constructor(store: EventStore, runner: ProjectionRunner) {
    this.#store = store;
    this.#runner = runner;
  }

  /** Builds the read models from the store when their version is new (blue/green). */
  static async open(options: {
    readonly store: EventStore;
    readonly readModels: ReadModelStore;
    readonly checkpoints: CheckpointStore;
  }): Promise<MonitorView> {
    const runner = new ProjectionRunner({
      projection: monitorProjection,
      store: options.readModels,
      checkpoints: options.checkpoints,
    });
    await runner.ensureBuilt({ [SOURCE]: options.store });
    return new MonitorView(options.store, runner);
  }

  /** Reads what was appended since the last answer, one catch-up at a time. */
  async #caughtUp(): Promise<void> {
    const next = this.#catchingUp.then(() => this.#runner.catchUp(SOURCE, this.#store));
    this.#catchingUp = next.catch(() => undefined);
    await next;
  }

  async overdue(
    principal: Principal | undefined,
    options: { readonly now: string; readonly limit: number },
  ): Promise<OverdueIntervention[]> {
    monitor(principal);
    await this.#caughtUp();
    const collection = await this.#runner.reader('interventions');
    const candidates: InterventionForOverdue[] = [];
    let cursor: string | undefined;
    // Ordered by due date: the first one not yet due ends the list.
    for (;;) {
      const page = await collection.query({
        where: { awaiting: true },
        orderBy: 'dueBy',
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      let done = page.nextCursor === undefined;
      for (const item of page.items) {
        const intervention = item.data as unknown as InterventionForOverdue;
        if (Date.parse(intervention.dueBy) >= Date.parse(options.now)) {
          done = true;
          break;
        }
        candidates.push(intervention);
      }
      if (done || candidates.length >= options.limit) break;
      cursor = page.nextCursor;
    }
    return overdue(candidates, options.now).slice(0, options.limit);
  }

  async impunity(
    principal: Principal | undefined,
    given: { readonly from: string; readonly to: string },
  ): Promise<{ killingsAndAttacks: ImpunityFigures; killings: ImpunityFigures }> {
    monitor(principal);
    const period = requirePeriod(given.from, given.to);
    await this.#caughtUp();
    const collection = await this.#runner.reader('incidents');
    const incidents: IncidentForImpunity[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await collection.query({
        where: { killingOrAttack: true },
        orderBy: 'occurredOn',
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const item of page.items) {
        const reached = Object.values(item.data['reached'] as Record<string, number>);
        incidents.push({
          occurredOn: textOf(item.data['occurredOn']),
          acts: item.data['acts'] as Act[],
          reached: Math.max(0, ...reached) as Reached,
        });
      }
      const last = incidents[incidents.length - 1];
      if (page.nextCursor === undefined || (last !== undefined && last.occurredOn > period.to)) {
        break;
      }
      cursor = page.nextCursor;
    }
    return impunityFigures(incidents, period);
  }
}
