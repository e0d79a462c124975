import type { projections } from '@aman/contracts';
import { common, referral } from '@aman/contracts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@aman/errors';
import type { ReadModelCollection } from '@aman/projections';
import {
  implement,
  type Logger,
  type OrganisationType,
  type Principal,
  type ServiceIdentity,
} from '@aman/service-kit';

import { isCaseOf, type CaseView, type InboxItem, type Stage } from '../domain/index.ts';

export const PROJECTIONS_SERVICE = 'aman.projections.v1.ProjectionsService';

/** Only the gateway calls, for the organisation whose API key it authenticated. */
const CALLERS = ['gateway'];
const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;

/** The caller's organisation, if it is of the one type that reads this view. */
function organisationOf(principal: Principal | undefined, type: OrganisationType): string {
  if (principal === undefined || principal.organisationId === '') {
    throw new UnauthenticatedError('the call acts for no organisation');
  }
  if (principal.organisationType !== type) {
    throw new ForbiddenError(`only a ${type} organisation reads this view`);
  }
  return principal.organisationId;
}

const timestamp = (at: string): Date | undefined => (at === '' ? undefined : new Date(at));

const stageMessages = (stages: readonly Stage[]): projections.Stage[] =>
  stages.map((stage) => ({ name: stage.name, at: timestamp(stage.at) }));

function caseMessage(view: CaseView): projections.CaseView {
  const routedAt = (item: { stages: readonly Stage[] }) =>
    item.stages.find((stage) => stage.name === 'routed')?.at ?? '';
  return {
    caseId: view.caseId,
    riskLevel: common.riskLevelFromJSON(view.riskLevel),
    riskFactors: view.riskFactors,
    stages: stageMessages(view.stages),
    // In the order they were routed, whatever order their events arrived in.
    referrals: Object.values(view.referrals)
      .sort(
        (a, b) =>
          routedAt(a).localeCompare(routedAt(b)) || a.referralId.localeCompare(b.referralId),
      )
      .map((item) => ({
        referralId: item.referralId,
        providerOrganisationId: item.providerOrganisationId,
        status: referral.referralStatusFromJSON(item.status),
        stages: stageMessages(item.stages),
        respondBy: timestamp(item.respondBy),
      })),
    incidents: view.incidents,
  };
}

function inboxMessage(item: InboxItem): projections.InboxItem {
  return {
    referralId: item.referralId,
    caseId: item.caseId,
    status: referral.referralStatusFromJSON(item.status),
    deadlineClass: common.deadlineClassFromJSON(item.deadlineClass || 'DEADLINE_CLASS_UNSPECIFIED'),
    respondBy: timestamp(item.respondBy),
    routedAt: timestamp(item.routedAt),
  };
}

const pageSize = (requested: number): number =>
  requested > 0 ? Math.min(requested, MAX_PAGE) : DEFAULT_PAGE;

/**
 * ProjectionsService. The service scopes every query to the caller's organisation itself, not
 * trusting the gateway to: an NGO reads its own cases (another NGO's case is not found, exactly
 * like a missing one), a provider the referrals addressed to it.
 */
export function projectionsServer(deps: {
  readonly cases: () => Promise<ReadModelCollection>;
  readonly inbox: () => Promise<ReadModelCollection>;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): projections.ProjectionsServiceServer {
  return implement<projections.ProjectionsServiceServer>(
    PROJECTIONS_SERVICE,
    {
      listCases: {
        callers: CALLERS,
        handle: async (request, call) => {
          const organisationId = organisationOf(call.caller.principal, 'ngo');
          const page = await (
            await deps.cases()
          ).query({ where: { organisationId }, limit: pageSize(request.limit) });
          // Documents are written by the ngo_cases projection alone, in the CaseView shape.
          return { cases: page.items.map(({ data }) => caseMessage(data as unknown as CaseView)) };
        },
      },
      getCase: {
        callers: CALLERS,
        handle: async (request, call) => {
          const organisationId = organisationOf(call.caller.principal, 'ngo');
          const found =
            request.caseId === '' ? undefined : await (await deps.cases()).get(request.caseId);
          const view = found?.data as CaseView | undefined;
          if (view === undefined || !isCaseOf(view, organisationId)) {
            throw new NotFoundError('no such case');
          }
          return { case: caseMessage(view) };
        },
      },
      listInbox: {
        callers: CALLERS,
        handle: async (request, call) => {
          const providerOrganisationId = organisationOf(call.caller.principal, 'provider');
          const page = await (
            await deps.inbox()
          ).query({ where: { providerOrganisationId }, limit: pageSize(request.limit) });
          return {
            items: page.items.map(({ data }) => inboxMessage(data as unknown as InboxItem)),
          };
        },
      },
    },
    deps,
  );
}
