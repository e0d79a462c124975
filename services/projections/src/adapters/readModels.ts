import type { Projection } from '@aman/projections';

import {
  CASE_VIEW_EVENTS,
  INBOX_EVENTS,
  REFERRALS_BY_OUTCOME,
  STATISTICS_EVENTS,
  caseIdOf,
  emptyCaseView,
  foldCaseView,
  foldInboxItem,
  cellOf,
  referralIdOf,
  statisticsFacts,
  type CaseView,
  type InboxItem,
  type StatisticsFact,
} from '../domain/index.ts';

/** The NGO's case view: one document per case, queried by the case's organisation. */
export const ngoCases: Projection = {
  name: 'ngo_cases',
  version: 1,
  collections: { cases: { indexes: ['organisationId'] } },
  handles: CASE_VIEW_EVENTS,
  project: async (event, context) => {
    const caseId = caseIdOf(event);
    if (caseId === '') return;
    // Documents are written by this projection alone, in the CaseView shape.
    const known = (await context.get('cases', caseId)) as CaseView | undefined;
    await context.put('cases', caseId, foldCaseView(known ?? emptyCaseView(caseId), event));
  },
};

/** The provider's inbox: one document per referral, queried by the provider's organisation. */
export const providerInbox: Projection = {
  name: 'provider_inbox',
  version: 1,
  collections: { inbox: { indexes: ['providerOrganisationId'] } },
  handles: INBOX_EVENTS,
  project: async (event, context) => {
    const referralId = referralIdOf(event);
    if (referralId === '') return;
    const known = (await context.get('inbox', referralId)) as InboxItem | undefined;
    const item = foldInboxItem(known, event);
    if (item !== undefined) await context.put('inbox', referralId, item);
  },
};

const factId = (table: string, id: string): string => `${table}:${id}`;

/**
 * The facts the statistics are counted from: one document per table and thing counted, with the
 * cell it is counted in, so that a table is one group-by and a replayed event counts nothing
 * twice. The documents hold case and referral ids but are never returned: only counts leave.
 */
export const statistics: Projection = {
  name: 'statistics',
  version: 1,
  collections: { facts: { indexes: ['table', 'cell'] } },
  handles: STATISTICS_EVENTS,
  project: async (event, context) => {
    const referralId = referralIdOf(event);
    const outcomeBefore =
      referralId === ''
        ? undefined
        : ((await context.get('facts', factId(REFERRALS_BY_OUTCOME, referralId))) as
            StatisticsFact | undefined);
    for (const fact of statisticsFacts(event, outcomeBefore)) {
      await context.put('facts', factId(fact.table, fact.id), { ...fact, cell: cellOf(fact) });
    }
  },
};

/** Every read model this service keeps. */
export const PROJECTIONS: readonly Projection[] = [ngoCases, providerInbox, statistics];
