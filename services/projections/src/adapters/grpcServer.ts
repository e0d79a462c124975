import type { projections } from '@aman/contracts';
import { common, referral } from '@aman/contracts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@aman/errors';
import type { ReadModelCollection } from '@aman/projections';
import { implement, type Logger, type Principal, type ServiceIdentity } from '@aman/service-kit';

import type { CaseView, InboxItem, Stage } from '../domain/views.ts';

export const PROJECTIONS_SERVICE = 'aman.projections.v1.ProjectionsService';

function principalOfType(
  principal: Principal | undefined,
  type: Principal['organisationType'],
): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== type)
    throw new ForbiddenError(`only a ${type} reads this view`);
  return principal;
}

const date = (at: string): Date | undefined => (at === '' ? undefined : new Date(at));
const stages = (list: readonly Stage[]): projections.Stage[] =>
  list.map((stage) => ({ name: stage.name, at: date(stage.at) }));

function caseMessage(view: CaseView): projections.CaseView {
  return {
    caseId: view.caseId,
    riskLevel: common.riskLevelFromJSON(view.riskLevel),
    riskFactors: view.riskFactors,
    stages: stages(view.stages),
    referrals: Object.values(view.referrals).map((item) => ({
      referralId: item.referralId,
      providerOrganisationId: item.providerOrganisationId,
      status: referral.referralStatusFromJSON(item.status),
      stages: stages(item.stages),
      respondBy: date(item.respondBy),
    })),
    incidents: view.incidents,
  };
}

function limitOf(requested: number): number {
  return requested > 0 ? Math.min(requested, 100) : 50;
}

/**
 * ProjectionsService: every query is scoped by the service itself to the caller's organisation;
 * another organisation's case is not found, exactly like a missing one.
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
        callers: ['gateway'],
        handle: async (request, call) => {
          const ngo = principalOfType(call.caller.principal, 'ngo');
          const page = await (
            await deps.cases()
          ).query({
            where: { organisationId: ngo.organisationId },
            limit: limitOf(request.limit),
          });
          return { cases: page.items.map((item) => caseMessage(item.data as unknown as CaseView)) };
        },
      },
      getCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const ngo = principalOfType(call.caller.principal, 'ngo');
          const view = (await (await deps.cases()).get(request.caseId))?.data as
            CaseView | undefined;
          if (view === undefined || view.organisationId !== ngo.organisationId) {
            throw new NotFoundError('no such case');
          }
          return { case: caseMessage(view) };
        },
      },
      listInbox: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const provider = principalOfType(call.caller.principal, 'provider');
          const page = await (
            await deps.inbox()
          ).query({
            where: { providerOrganisationId: provider.organisationId },
            limit: limitOf(request.limit),
          });
          return {
            items: page.items.map(({ data }) => {
              const item = data as unknown as InboxItem;
              return {
                referralId: item.referralId,
                caseId: item.caseId,
                status: referral.referralStatusFromJSON(item.status),
                deadlineClass: common.deadlineClassFromJSON(
                  item.deadlineClass || 'DEADLINE_CLASS_UNSPECIFIED',
                ),
                respondBy: date(item.respondBy),
                routedAt: date(item.routedAt),
              };
            }),
          };
        },
      },
    },
    deps,
  );
}
