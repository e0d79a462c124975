import type { Projection } from '@aman/projections';

import {
  emptyCaseView,
  foldCaseView,
  foldInboxItem,
  type CaseView,
  type InboxItem,
} from '../domain/views.ts';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The NGO's case view, one document per case, queried by organisation. */
export const ngoCases: Projection = {
  name: 'ngo_cases',
  version: 1,
  collections: { cases: { indexes: ['organisationId'] } },
  handles: [
    'CaseSubmitted',
    'RiskAssessed',
    'ReferralRouted',
    'ReferralStatusChanged',
    'IncidentRecorded',
  ],
  project: async (event, context) => {
    const caseId = text(event.data['caseId']);
    if (caseId === '') return;
    const known = (await context.get('cases', caseId)) as CaseView | undefined;
    const view = foldCaseView(known ?? emptyCaseView(caseId), event);
    await context.put('cases', caseId, view);
  },
};

/** The provider's inbox, one document per referral, queried by provider organisation. */
export const providerInbox: Projection = {
  name: 'provider_inbox',
  version: 1,
  collections: { inbox: { indexes: ['providerOrganisationId'] } },
  handles: ['ReferralRouted', 'ReferralStatusChanged'],
  project: async (event, context) => {
    const referralId = text(event.data['referralId']);
    if (referralId === '') return;
    const known = (await context.get('inbox', referralId)) as InboxItem | undefined;
    const item = foldInboxItem(known, event);
    if (item !== undefined) await context.put('inbox', referralId, item);
  },
};
