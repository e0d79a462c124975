import type { JsonObject } from '@aman/eventstore';

import { instantOf, textOf, textsOf, type ViewEvent } from './events.ts';
import { ROUTED, furtherStatus, inOrder, stageName, withStage, type Stage } from './stages.ts';

/** One referral of a case as its NGO follows it. */
export type ReferralView = {
  referralId: string;
  providerOrganisationId: string;
  /** The furthest status reached, e.g. REFERRAL_STATUS_ACCEPTED. */
  status: string;
  /** routed, delivered, acknowledged, accepted | declined, completed: each with its time. */
  stages: Stage[];
  /** '' until the routing arrives. */
  respondBy: string;
};

/** An NGO's view of one of its cases: every stage with its time, its referrals, its risk. */
export type CaseView = {
  caseId: string;
  /** The NGO; '' while only an incident has arrived (an incident does not name the NGO). */
  organisationId: string;
  riskLevel: string;
  riskFactors: string[];
  /** When the assessment behind riskLevel was made: a later one replaces it, an earlier not. */
  riskAssessedAt: string;
  /** Its sequence (1, 2, …): what decides which assessment is newest when producers number them. */
  riskSequence: number;
  /** submitted, triaged (the first assessment), re-assessed (each later one). */
  stages: Stage[];
  referrals: Record<string, ReferralView>;
  incidents: number;
  /** The incidents counted, so the same incident is never counted twice. */
  incidentIds: string[];
};

export function emptyCaseView(caseId: string): CaseView {
  return {
    caseId,
    organisationId: '',
    riskLevel: 'RISK_LEVEL_UNSPECIFIED',
    riskFactors: [],
    riskAssessedAt: '',
    riskSequence: 0,
    stages: [],
    referrals: {},
    incidents: 0,
    incidentIds: [],
  };
}

/** The case an event is about ('' when it names none). */
export function caseIdOf(event: ViewEvent): string {
  return textOf(event.data, 'caseId');
}

/** Whether an organisation may see a case: only its own NGO, never a case of no known NGO. */
export function isCaseOf(view: CaseView, organisationId: string): boolean {
  return organisationId !== '' && view.organisationId === organisationId;
}

const ASSESSMENT_STAGES = ['triaged', 're-assessed'];

/**
 * Adds an assessment time and names them all again: the earliest is the triage, every later one
 * a re-assessment — whichever arrived first.
 */
function withAssessment(stages: readonly Stage[], at: string): Stage[] {
  const times = new Set(
    stages.filter((stage) => ASSESSMENT_STAGES.includes(stage.name)).map((stage) => stage.at),
  );
  times.add(at);
  const assessments = [...times]
    .sort()
    .map((time, index) => ({ name: index === 0 ? 'triaged' : 're-assessed', at: time }));
  return inOrder([
    ...stages.filter((stage) => !ASSESSMENT_STAGES.includes(stage.name)),
    ...assessments,
  ]);
}

function knownReferral(view: CaseView, referralId: string): ReferralView | undefined {
  // Own keys only: an id such as `constructor` must not find Object's.
  return Object.hasOwn(view.referrals, referralId) ? view.referrals[referralId] : undefined;
}

function referralFold(view: CaseView, data: JsonObject, routed: boolean): CaseView {
  const referralId = textOf(data, 'referralId');
  if (referralId === '') return view;
  const known = knownReferral(view, referralId) ?? {
    referralId,
    providerOrganisationId: '',
    status: ROUTED,
    stages: [],
    respondBy: '',
  };
  const status = routed ? ROUTED : textOf(data, 'status');
  const at = instantOf(data, routed ? 'routedAt' : 'changedAt');
  const referral: ReferralView = {
    ...known,
    providerOrganisationId: known.providerOrganisationId || textOf(data, 'providerOrganisationId'),
    status: furtherStatus(known.status, status),
    stages: status === '' ? known.stages : withStage(known.stages, { name: stageName(status), at }),
    respondBy: routed ? instantOf(data, 'respondBy') : known.respondBy,
  };
  return {
    ...view,
    organisationId: view.organisationId || textOf(data, 'organisationId'),
    referrals: { ...view.referrals, [referralId]: referral },
  };
}

/**
 * A moment of a referral that is not a status (seen, escalated, its programme changed, its
 * deadlines moved): a stage of the referral, its status untouched.
 */
function referralMoment(
  view: CaseView,
  data: JsonObject,
  name: string,
  timeField: string,
): CaseView {
  const referralId = textOf(data, 'referralId');
  if (referralId === '' || name === '') return view;
  const known = knownReferral(view, referralId) ?? {
    referralId,
    providerOrganisationId: '',
    status: ROUTED,
    stages: [],
    respondBy: '',
  };
  const acknowledgeBy = instantOf(data, 'acknowledgeBy');
  const referral: ReferralView = {
    ...known,
    providerOrganisationId: known.providerOrganisationId || textOf(data, 'providerOrganisationId'),
    stages: withStage(known.stages, { name, at: instantOf(data, timeField) }),
    // Tightened deadlines replace the old respond-by; they only ever come forward.
    respondBy:
      acknowledgeBy !== '' && (known.respondBy === '' || acknowledgeBy < known.respondBy)
        ? acknowledgeBy
        : known.respondBy,
  };
  return {
    ...view,
    organisationId: view.organisationId || textOf(data, 'organisationId'),
    referrals: { ...view.referrals, [referralId]: referral },
  };
}

/** A step of the case itself (intake's events): its stage, and the NGO it names. */
function caseStage(view: CaseView, data: JsonObject, name: string, timeField: string): CaseView {
  return {
    ...view,
    organisationId: view.organisationId || textOf(data, 'organisationId'),
    stages: withStage(view.stages, { name, at: instantOf(data, timeField) }),
  };
}

/**
 * One event folded into a case view. Events of different contexts arrive in any order (a
 * referral may come before the submission of its case), so each fills in only what it knows and
 * the result is the same in every order.
 */
export function foldCaseView(view: CaseView, event: ViewEvent): CaseView {
  const data = event.data;
  switch (event.type) {
    case 'CaseSubmitted':
      return {
        ...view,
        // The submission names the case's NGO with authority; the others repeat it.
        organisationId: textOf(data, 'organisationId') || view.organisationId,
        stages: withStage(view.stages, { name: 'submitted', at: instantOf(data, 'submittedAt') }),
      };
    case 'CaseFactsUpdated':
      return caseStage(view, data, 'case-updated', 'updatedAt');
    case 'ThreatReported':
      return caseStage(view, data, 'threat-reported', 'reportedAt');
    case 'ConsentUpdated':
      return caseStage(view, data, 'consent-updated', 'updatedAt');
    case 'CaseWithdrawn':
      return caseStage(view, data, 'withdrawn', 'withdrawnAt');
    case 'CaseErased':
      return caseStage(view, data, 'erased', 'erasedAt');
    case 'RiskAssessed': {
      const at = instantOf(data, 'assessedAt');
      const sequence = typeof data['sequence'] === 'number' ? data['sequence'] : 0;
      // Numbered assessments by their number (an override may share a millisecond with the
      // assessment it overrides); unnumbered ones by time.
      const newest =
        sequence > 0 || view.riskSequence > 0
          ? sequence > view.riskSequence
          : view.riskAssessedAt === '' || at >= view.riskAssessedAt;
      return {
        ...view,
        organisationId: view.organisationId || textOf(data, 'organisationId'),
        ...(newest
          ? {
              riskLevel: textOf(data, 'level') || 'RISK_LEVEL_UNSPECIFIED',
              riskFactors: textsOf(data, 'factors'),
              riskAssessedAt: at,
              riskSequence: sequence,
            }
          : {}),
        stages: withAssessment(view.stages, at),
      };
    }
    case 'ReferralRouted':
      return referralFold(view, data, true);
    case 'ReferralStatusChanged':
      return referralFold(view, data, false);
    case 'ReferralSeen':
      return referralMoment(view, data, 'seen', 'seenAt');
    case 'ReferralEscalated':
      return referralMoment(view, data, 'escalated', 'escalatedAt');
    case 'ReferralDeadlinesChanged':
      return referralMoment(view, data, 'deadlines-tightened', 'changedAt');
    case 'ReferralProgrammeChanged': {
      // PROGRAMME_STATUS_FULL → programme-full: the NGO learns its pending referral's programme
      // stopped taking referrals.
      const status = textOf(data, 'programmeStatus').replace(/^PROGRAMME_STATUS_/, '');
      return referralMoment(
        view,
        data,
        status === '' ? '' : `programme-${status.toLowerCase()}`,
        'changedAt',
      );
    }
    case 'IncidentRecorded': {
      const incidentId = textOf(data, 'incidentId');
      if (incidentId === '' || view.incidentIds.includes(incidentId)) return view;
      const incidentIds = [...view.incidentIds, incidentId].sort();
      return { ...view, incidentIds, incidents: incidentIds.length };
    }
    default:
      return view;
  }
}
