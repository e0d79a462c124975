import type { JsonObject } from '@aman/eventstore';

/** An event as a view sees it: its stored type, its protobuf-JSON data and when it occurred. */
export type ViewEvent = {
  readonly type: string;
  readonly data: JsonObject;
  readonly occurredAt: string;
};

export type Stage = { name: string; at: string };

export type ReferralView = {
  referralId: string;
  providerOrganisationId: string;
  status: string;
  stages: Stage[];
  respondBy: string;
};

/** An NGO's view of one of its cases: every stage with its time, its referrals, its risk. */
export type CaseView = {
  caseId: string;
  /** '' until the case's submission arrives (events of other contexts may come first). */
  organisationId: string;
  riskLevel: string;
  riskFactors: string[];
  stages: Stage[];
  referrals: Record<string, ReferralView>;
  incidents: number;
};

/** A provider's inbox entry: a referral addressed to it. */
export type InboxItem = {
  referralId: string;
  caseId: string;
  providerOrganisationId: string;
  status: string;
  deadlineClass: string;
  respondBy: string;
  routedAt: string;
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The stage a referral status stands for: REFERRAL_STATUS_ACCEPTED → accepted. */
export function stageName(status: string): string {
  return status.replace(/^REFERRAL_STATUS_/, '').toLowerCase();
}

/** Keeps stages in time order and each name once (a redelivered event changes nothing). */
function withStage(stages: readonly Stage[], stage: Stage): Stage[] {
  if (stages.some((known) => known.name === stage.name && known.at === stage.at))
    return [...stages];
  return [...stages, stage].sort((a, b) => a.at.localeCompare(b.at));
}

export function emptyCaseView(caseId: string): CaseView {
  return {
    caseId,
    organisationId: '',
    riskLevel: 'RISK_LEVEL_UNSPECIFIED',
    riskFactors: [],
    stages: [],
    referrals: {},
    incidents: 0,
  };
}

/**
 * One event folded into a case view. Events of different contexts may come in any order, so
 * every event creates the view if it is missing and fills in only what it knows.
 */
export function foldCaseView(view: CaseView, event: ViewEvent): CaseView {
  const data = event.data;
  switch (event.type) {
    case 'CaseSubmitted':
      return {
        ...view,
        organisationId: text(data['organisationId']),
        stages: withStage(view.stages, { name: 'submitted', at: text(data['submittedAt']) }),
      };
    case 'RiskAssessed': {
      const at = text(data['assessedAt']);
      const triaged = view.stages.find((stage) => stage.name === 'triaged');
      const isFirst = triaged === undefined || triaged.at === at;
      const latest = view.stages
        .filter((stage) => stage.name === 'triaged' || stage.name === 're-assessed')
        .every((stage) => stage.at <= at);
      return {
        ...view,
        organisationId: view.organisationId || text(data['organisationId']),
        ...(latest
          ? {
              riskLevel: text(data['level']) || view.riskLevel,
              riskFactors: Array.isArray(data['factors']) ? data['factors'].map(text) : [],
            }
          : {}),
        stages: withStage(view.stages, { name: isFirst ? 'triaged' : 're-assessed', at }),
      };
    }
    case 'ReferralRouted': {
      const referralId = text(data['referralId']);
      const known = view.referrals[referralId];
      const at = text(data['routedAt']);
      return {
        ...view,
        organisationId: view.organisationId || text(data['organisationId']),
        referrals: {
          ...view.referrals,
          [referralId]: {
            referralId,
            providerOrganisationId: text(data['providerOrganisationId']),
            status: known?.status ?? 'REFERRAL_STATUS_ROUTED',
            stages: withStage(known?.stages ?? [], { name: 'routed', at }),
            respondBy: text(data['respondBy']),
          },
        },
      };
    }
    case 'ReferralStatusChanged': {
      const referralId = text(data['referralId']);
      const status = text(data['status']);
      const at = text(data['changedAt']);
      const known = view.referrals[referralId] ?? {
        referralId,
        providerOrganisationId: text(data['providerOrganisationId']),
        status,
        stages: [],
        respondBy: '',
      };
      const stages = withStage(known.stages, { name: stageName(status), at });
      return {
        ...view,
        referrals: {
          ...view.referrals,
          [referralId]: {
            ...known,
            stages,
            status: stages.at(-1)?.name === stageName(status) ? status : known.status,
          },
        },
      };
    }
    case 'IncidentRecorded':
      return { ...view, incidents: view.incidents + 1 };
    default:
      return view;
  }
}

/** One referral event folded into the provider's inbox entry. */
export function foldInboxItem(
  item: InboxItem | undefined,
  event: ViewEvent,
): InboxItem | undefined {
  const data = event.data;
  const base: InboxItem = item ?? {
    referralId: text(data['referralId']),
    caseId: text(data['caseId']),
    providerOrganisationId: text(data['providerOrganisationId']),
    status: 'REFERRAL_STATUS_ROUTED',
    deadlineClass: '',
    respondBy: '',
    routedAt: '',
  };
  if (event.type === 'ReferralRouted') {
    return {
      ...base,
      deadlineClass: text(data['deadlineClass']),
      respondBy: text(data['respondBy']),
      routedAt: text(data['routedAt']),
    };
  }
  if (event.type === 'ReferralStatusChanged') return { ...base, status: text(data['status']) };
  return item;
}
