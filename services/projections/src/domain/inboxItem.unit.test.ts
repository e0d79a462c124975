import { describe, expect, it } from '@jest/globals';

import type { ViewEvent } from './events.ts';
import { foldInboxItem, type InboxItem } from './inboxItem.ts';

const routed: ViewEvent = {
  type: 'ReferralRouted',
  data: {
    referralId: 'ref-1',
    caseId: 'case-1',
    providerOrganisationId: 'org-embassy',
    organisationId: 'org-ngo',
    recipientType: 'RECIPIENT_TYPE_EMBASSY',
    deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
    respondBy: '2026-11-03T10:00:00.000Z',
    routedAt: '2026-11-02T10:00:00.000Z',
  },
};
const changed = (status: string, changedAt: string): ViewEvent => ({
  type: 'ReferralStatusChanged',
  data: {
    referralId: 'ref-1',
    caseId: 'case-1',
    providerOrganisationId: 'org-embassy',
    organisationId: 'org-ngo',
    status,
    changedAt,
  },
});
const delivered = changed('REFERRAL_STATUS_DELIVERED', '2026-11-02T10:00:01.000Z');
const acknowledged = changed('REFERRAL_STATUS_ACKNOWLEDGED', '2026-11-02T12:00:00.000Z');

const fold = (events: readonly ViewEvent[]): InboxItem | undefined =>
  events.reduce<InboxItem | undefined>(foldInboxItem, undefined);

const expected: InboxItem = {
  referralId: 'ref-1',
  caseId: 'case-1',
  providerOrganisationId: 'org-embassy',
  status: 'REFERRAL_STATUS_ACKNOWLEDGED',
  deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
  respondBy: '2026-11-03T10:00:00.000Z',
  routedAt: '2026-11-02T10:00:00.000Z',
};

describe("the provider's inbox entry", () => {
  it('holds the referral with its deadline and furthest status', () => {
    expect(fold([routed, delivered, acknowledged])).toEqual(expected);
  });

  it('is the same in every arrival order', () => {
    for (const order of [
      [routed, acknowledged, delivered],
      [delivered, routed, acknowledged],
      [delivered, acknowledged, routed],
      [acknowledged, delivered, routed],
      [acknowledged, routed, delivered],
    ]) {
      expect(fold(order)).toEqual(expected);
    }
  });

  it('starts from a status change that comes before the routing, without a deadline yet', () => {
    expect(fold([delivered])).toEqual({
      ...expected,
      status: 'REFERRAL_STATUS_DELIVERED',
      deadlineClass: '',
      respondBy: '',
      routedAt: '',
    });
  });

  it('changes nothing for an event that comes again or is not about a referral', () => {
    const item = fold([routed, delivered, acknowledged]);
    expect(fold([routed, delivered, acknowledged, delivered, routed])).toEqual(item);
    expect(foldInboxItem(item, { type: 'CaseSubmitted', data: { caseId: 'case-1' } })).toBe(item);
    expect(foldInboxItem(undefined, { type: 'ReferralRouted', data: {} })).toBeUndefined();
  });
});
