/*
 * The monitor's figures as pure functions over what the read models hold: impunity shares for a
 * period, and interventions whose authority has not answered in time.
 */
import { ValidationError, requireDate } from '@aman/errors';

import type { Act, AuthorityResponse, InterventionType, Authority } from './vocabulary.ts';
import type { InvestigationStep } from './vocabulary.ts';

/** The acts the impunity figures count: killings and attacks on the person. */
export const KILLINGS: ReadonlySet<Act> = new Set(['ACT_KILLING']);
export const KILLINGS_AND_ATTACKS: ReadonlySet<Act> = new Set([
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ASSAULT',
]);

/**
 * How far the investigations of an incident went: 0 none or opened, 1 a suspect identified,
 * 2 charged, 3 tried (with or without an outcome). Closing without accountability keeps how far
 * it had gone.
 */
export type Reached = 0 | 1 | 2 | 3;

export function reachedBy(step: InvestigationStep): Reached {
  switch (step) {
    case 'INVESTIGATION_STEP_SUSPECT_IDENTIFIED':
      return 1;
    case 'INVESTIGATION_STEP_CHARGED':
      return 2;
    case 'INVESTIGATION_STEP_TRIED':
    case 'INVESTIGATION_STEP_OUTCOME':
      return 3;
    case 'INVESTIGATION_STEP_CLOSED_WITHOUT_ACCOUNTABILITY':
      return 0;
  }
}

/** An incident as the impunity figures see it. */
export type IncidentForImpunity = {
  readonly occurredOn: string;
  readonly acts: readonly Act[];
  /** The furthest any of its investigations went. */
  readonly reached: Reached;
};

export type ImpunityFigures = {
  readonly incidents: number;
  readonly identified: number;
  readonly charged: number;
  readonly tried: number;
  readonly identifiedShare: number;
  readonly chargedShare: number;
  readonly triedShare: number;
};

export type Period = { readonly from: string; readonly to: string };

export function requirePeriod(from: unknown, to: unknown): Period {
  const period = { from: requireDate(from, 'from'), to: requireDate(to, 'to') };
  if (period.to < period.from) throw new ValidationError('to must not be before from');
  return period;
}

function figuresOf(incidents: readonly IncidentForImpunity[]): ImpunityFigures {
  const count = (rank: Reached) => incidents.filter((incident) => incident.reached >= rank).length;
  const total = incidents.length;
  const share = (part: number) => (total === 0 ? 0 : part / total);
  const identified = count(1);
  const charged = count(2);
  const tried = count(3);
  return {
    incidents: total,
    identified,
    charged,
    tried,
    identifiedShare: share(identified),
    chargedShare: share(charged),
    triedShare: share(tried),
  };
}

/**
 * For the incidents that occurred in the period (both days included): among those with a killing,
 * an attempted killing or an assault, how many had a perpetrator identified, charged, tried by any
 * investigation so far; and the same among those with a killing. Each incident counts once,
 * however many acts, victims or investigations it has.
 */
export function impunityFigures(
  incidents: readonly IncidentForImpunity[],
  period: Period,
): { killingsAndAttacks: ImpunityFigures; killings: ImpunityFigures } {
  const inPeriod = incidents.filter(
    (incident) => incident.occurredOn >= period.from && incident.occurredOn <= period.to,
  );
  const any = (acts: ReadonlySet<Act>) => (incident: IncidentForImpunity) =>
    incident.acts.some((act) => acts.has(act));
  return {
    killingsAndAttacks: figuresOf(inPeriod.filter(any(KILLINGS_AND_ATTACKS))),
    killings: figuresOf(inPeriod.filter(any(KILLINGS))),
  };
}

/** An intervention as the overdue list sees it. */
export type InterventionForOverdue = {
  readonly interventionId: string;
  readonly incidentId: string;
  readonly type: InterventionType;
  readonly addressee: Authority;
  readonly sentAt: string;
  readonly dueBy: string;
  /** The first response, if any. */
  readonly firstResponse: AuthorityResponse | null;
  readonly closed: boolean;
};

export type OverdueIntervention = InterventionForOverdue & { readonly daysOverdue: number };

const DAY_MS = 86_400_000;

/** Still owed an answer: open, and no response recorded. */
export function awaitingResponse(intervention: InterventionForOverdue): boolean {
  return intervention.firstResponse === null && !intervention.closed;
}

/**
 * The interventions still awaiting a response after their due date, most overdue first (then by
 * id), with the whole days past it.
 */
export function overdue(
  interventions: readonly InterventionForOverdue[],
  now: string,
): OverdueIntervention[] {
  const at = Date.parse(now);
  return interventions
    .filter((intervention) => awaitingResponse(intervention) && Date.parse(intervention.dueBy) < at)
    .sort(
      (a, b) =>
        Date.parse(a.dueBy) - Date.parse(b.dueBy) ||
        (a.interventionId < b.interventionId ? -1 : a.interventionId > b.interventionId ? 1 : 0),
    )
    .map((intervention) => ({
      ...intervention,
      daysOverdue: Math.floor((at - Date.parse(intervention.dueBy)) / DAY_MS),
    }));
}
