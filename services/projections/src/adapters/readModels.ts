import type { Projection } from '@aman/projections';

import {
  CASE_VIEW_EVENTS,
  INBOX_EVENTS,
  caseIdOf,
  emptyCaseView,
  foldCaseView,
  foldInboxItem,
  referralIdOf,
  type CaseView,
  type InboxItem,
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
