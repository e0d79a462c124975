import type { projections } from '@aman/contracts';
import { common, referral } from '@aman/contracts';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@aman/errors';
import type { ReadModelCollection } from '@aman/projections';
import {
  implement,
  type Logger,
  type OrganisationType,
  type Principal,
  type ServiceIdentity,
} from '@aman/service-kit';

import {
  MONITOR_TABLES,
  PERIOD,
  PUBLIC_TABLES,
  isCaseOf,
  periodsBetween,
  tableView,
  type CaseView,
  type InboxItem,
  type Published,
  type Stage,
  type TableSpec,
  type TableView,
} from '../domain/index.ts';

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

/** The page after `cursor` ('' for the first); the store refuses a cursor it did not issue. */
const pageOptions = (request: { limit: number; cursor: string }) => ({
  limit: pageSize(request.limit),
  ...(request.cursor === '' ? {} : { cursor: request.cursor }),
});

const MAX_PERIODS = 120;

/** The months asked for: YYYY-MM to YYYY-MM, inclusive, at most MAX_PERIODS. */
function periodsOf(request: { periodFrom: string; periodTo: string }): string[] {
  const { periodFrom, periodTo } = request;
  if (!PERIOD.test(periodFrom) || !PERIOD.test(periodTo) || periodFrom > periodTo) {
    throw new ValidationError('period_from and period_to must be months YYYY-MM, from ≤ to');
  }
  const periods = periodsBetween(periodFrom, periodTo);
  if (periods.length > MAX_PERIODS) {
    throw new ValidationError(`at most ${MAX_PERIODS} months at a time`);
  }
  return periods;
}

/** Each table as published, from its cells' counts over every period. */
async function tables(
  facts: ReadModelCollection,
  specs: readonly TableSpec[],
  periods: readonly string[],
  minCell: number | undefined,
): Promise<projections.StatisticsTable[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const groups = await facts.group('cell', { table: spec.name });
      // Cells are the strings the statistics projection wrote.
      const counts = new Map(groups.map(({ key, count }) => [key as string, count]));
      return tableMessage(tableView(spec, counts, periods, minCell));
    }),
  );
}

const countMessage = (count: Published): projections.StatisticsCount =>
  count === undefined ? { suppressed: true, count: 0 } : { suppressed: false, count };

function tableMessage(table: TableView): projections.StatisticsTable {
  return {
    name: table.name,
    counts: table.counts,
    dimension: table.dimension,
    categories: [...table.categories],
    rows: table.rows.map((row) => ({
      period: row.period,
      cells: row.cells.map(countMessage),
      total: countMessage(row.total),
    })),
  };
}

/**
 * ProjectionsService. The service scopes every query to the caller's organisation itself, not
 * trusting the gateway to: an NGO reads its own cases (another NGO's case is not found, exactly
 * like a missing one), a provider the referrals addressed to it, a monitor the incident figures.
 * The public statistics are anyone's, suppressed below `minCell`.
 */
export function projectionsServer(deps: {
  readonly cases: () => Promise<ReadModelCollection>;
  readonly inbox: () => Promise<ReadModelCollection>;
  readonly facts: () => Promise<ReadModelCollection>;
  /** The smallest count published (AMAN_STATS_MIN_CELL). */
  readonly minCell: number;
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
          ).query({ where: { organisationId }, ...pageOptions(request) });
          return {
            // Documents are written by the ngo_cases projection alone, in the CaseView shape.
            cases: page.items.map(({ data }) => caseMessage(data as unknown as CaseView)),
            nextCursor: page.nextCursor ?? '',
          };
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
          ).query({ where: { providerOrganisationId }, ...pageOptions(request) });
          return {
            items: page.items.map(({ data }) => inboxMessage(data as unknown as InboxItem)),
            nextCursor: page.nextCursor ?? '',
          };
        },
      },
      getPublicStatistics: {
        callers: CALLERS,
        // Public: no organisation needed, and any organisation reads the same suppressed tables.
        handle: async (request) => ({
          minCell: deps.minCell,
          tables: await tables(await deps.facts(), PUBLIC_TABLES, periodsOf(request), deps.minCell),
        }),
      },
      getMonitorDashboard: {
        callers: CALLERS,
        handle: async (request, call) => {
          organisationOf(call.caller.principal, 'monitor');
          const periods = periodsOf(request);
          return { tables: await tables(await deps.facts(), MONITOR_TABLES, periods, undefined) };
        },
      },
    },
    deps,
  );
}
