import { createHmac } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';

import { expectAmanError } from '@aman/testing';

import type { OwedNotice, ReferralRoutedData } from '../domain/index.ts';
import { revocationNotification, routedNotification, signedWebhook } from './index.ts';

// The Standard Webhooks reference test key (24 bytes).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const routed: ReferralRoutedData = {
  referralId: '0195a1c2-7f00-7000-8000-000000000001',
  caseId: 'case-1',
  providerOrganisationId: 'org-legal',
  organisationId: 'org-ngo',
  recipientType: 'RECIPIENT_TYPE_LEGAL_AID',
  reasons: ['serves NEED_LEGAL_AID'],
  deadlineClass: 'DEADLINE_CLASS_URGENT',
  respondBy: '2025-03-04T10:00:00.000Z',
  routedAt: '2025-03-01T10:00:00.000Z',
};

describe('routedNotification', () => {
  it('carries the referral id and its deadline, nothing of the case', () => {
    expect(routedNotification(routed)).toEqual({
      type: 'referral.routed',
      timestamp: '2025-03-01T10:00:00.000Z',
      data: {
        referralId: '0195a1c2-7f00-7000-8000-000000000001',
        deadlineClass: 'DEADLINE_CLASS_URGENT',
        respondBy: '2025-03-04T10:00:00.000Z',
      },
    });
    const body = JSON.stringify(routedNotification(routed));
    for (const kept of [routed.caseId, routed.organisationId, 'serves', 'RECIPIENT_TYPE']) {
      expect(body).not.toContain(kept);
    }
  });
});

describe('revocationNotification', () => {
  it.each([
    ['referral.revoked', 'consent_withdrawn'],
    ['referral.revoked', 'case_withdrawn'],
    ['case.erased', 'case_erased'],
  ] as const)('says %s for %s with the ids only', (notice, reason) => {
    const owed: OwedNotice = { notice, reason, at: '2025-03-03T08:00:00.000Z' };
    expect(revocationNotification(routed, owed)).toEqual({
      type: notice,
      timestamp: '2025-03-03T08:00:00.000Z',
      data: { referralId: routed.referralId, caseId: 'case-1', reason },
    });
    const body = JSON.stringify(revocationNotification(routed, owed));
    for (const kept of [
      routed.organisationId,
      routed.providerOrganisationId,
      'serves',
      'DEADLINE',
    ]) {
      expect(body).not.toContain(kept);
    }
  });
});

describe('signedWebhook', () => {
  const message = () => ({
    id: routed.referralId,
    timestamp: new Date(),
    payload: routedNotification(routed),
  });

  it('signs so that a Standard Webhooks consumer verifies it', () => {
    const { body, headers } = signedWebhook(SECRET, message());
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(routedNotification(routed));
  });

  it('signs with every secret during a rotation, so a receiver knowing either one verifies', () => {
    const old = SECRET;
    const rotated = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { body, headers } = signedWebhook([rotated, old], message());
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(old).verify(body, headers)).toEqual(routedNotification(routed));
    expect(new Webhook(rotated).verify(body, headers)).toEqual(routedNotification(routed));
    // A secret that is in neither is still refused.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).verify(body, headers),
    ).toThrow('No matching signature');
  });

  it('refuses to sign with no secret at all', async () => {
    await expectAmanError(
      Promise.resolve().then(() => signedWebhook([], message())),
      'AMAN_ERR_VALIDATION',
    );
  });

  it('sends the minified JSON it signed and the attempt time in whole seconds', () => {
    const timestamp = new Date('2025-03-01T10:00:05.750Z');
    const { body, headers } = signedWebhook(SECRET, { ...message(), timestamp });
    expect(body).toBe(JSON.stringify(routedNotification(routed)));
    expect(headers['webhook-id']).toBe(routed.referralId);
    expect(headers['webhook-timestamp']).toBe('1740823205');
    // Recomputed from the spec: HMAC-SHA256 over `id.timestamp.body` with the decoded secret.
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key)
      .update(`${routed.referralId}.1740823205.${body}`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('fails verification once the body is altered', () => {
    const { body, headers } = signedWebhook(SECRET, message());
    const altered = body.replace('DEADLINE_CLASS_URGENT', 'DEADLINE_CLASS_NORMAL');
    expect(altered).not.toBe(body);
    expect(() => new Webhook(SECRET).verify(altered, headers)).toThrow('No matching signature');
  });

  it('fails verification with another id, another secret or an old timestamp', () => {
    const { body, headers } = signedWebhook(SECRET, message());
    expect(() =>
      new Webhook(SECRET).verify(body, { ...headers, 'webhook-id': 'another-id' }),
    ).toThrow();
    expect(() => new Webhook(`whsec_${'A'.repeat(32)}`).verify(body, headers)).toThrow();
    const old = signedWebhook(SECRET, {
      ...message(),
      timestamp: new Date(Date.now() - 6 * 60_000),
    });
    expect(() => new Webhook(SECRET).verify(old.body, old.headers)).toThrow('too old');
  });

  it('refuses an id that could shift the signed boundaries, and an invalid time', async () => {
    await expectAmanError(
      Promise.resolve().then(() => signedWebhook(SECRET, { ...message(), id: 'msg.1' })),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      Promise.resolve().then(() =>
        signedWebhook(SECRET, { ...message(), timestamp: new Date('not a date') }),
      ),
      'AMAN_ERR_VALIDATION',
    );
  });

  it('refuses a secret that is not whsec_ base64, without repeating it', async () => {
    for (const secret of ['whsec_', 'whsec_!!!!secret!!!!']) {
      const error = await expectAmanError(
        Promise.resolve().then(() => signedWebhook(secret, message())),
        'AMAN_ERR_VALIDATION',
      );
      expect(error.message).not.toContain('!!!!secret');
    }
  });
});
