import { describe, expect, it } from '@jest/globals';

import { emptyCaseView, foldCaseView, isCaseOf, type CaseView } from './caseView.ts';
import type { ViewEvent } from './events.ts';

// Events as consumers receive them: protobuf JSON (camelCase, enums by name, defaults left out).
const submitted: ViewEvent = {
  type: 'CaseSubmitted',
  data: {
    caseId: 'case-1',
    organisationId: 'org-ngo',
    profile: 'PROFILE_JOURNALIST',
    province: 'AF-HER',
    submittedAt: '2026-11-02T10:00:00.000Z',
  },
};
const assessed = (level: string, factors: string[], assessedAt: string): ViewEvent => ({
  type: 'RiskAssessed',
  data: {
    caseId: 'case-1',
    level,
    score: 4.5,
    factors,
    methodologyVersion: 'aman-risk-v1',
    deadlineClass: 'DEADLINE_CLASS_URGENT',
    assessedAt,
    organisationId: 'org-ngo',
  },
});
const triage = assessed('RISK_LEVEL_MEDIUM', ['death threat'], '2026-11-02T10:00:01.000Z');
const reassessment = assessed(
  'RISK_LEVEL_CRITICAL',
  ['death threat', 'attempted killing'],
  '2026-11-05T08:00:00.000Z',
);
const routed = (referralId: string, provider: string, routedAt: string): ViewEvent => ({
  type: 'ReferralRouted',
  data: {
    referralId,
    caseId: 'case-1',
    providerOrganisationId: provider,
    organisationId: 'org-ngo',
    recipientType: 'RECIPIENT_TYPE_EMBASSY',
    reasons: ['serves relocation abroad'],
    deadlineClass: 'DEADLINE_CLASS_URGENT',
    respondBy: '2026-11-05T10:00:02.000Z',
    routedAt,
  },
});
const changed = (referralId: string, status: string, changedAt: string): ViewEvent => ({
  type: 'ReferralStatusChanged',
  data: {
    referralId,
    caseId: 'case-1',
    providerOrganisationId: 'org-embassy',
    organisationId: 'org-ngo',
    status,
    changedAt,
  },
});
const incident = (incidentId: string): ViewEvent => ({
  type: 'IncidentRecorded',
  data: {
    incidentId,
    caseId: 'case-1',
    act: 'ACT_ATTEMPTED_KILLING',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2026-11-05T07:59:00.000Z',
  },
});

const journey: readonly ViewEvent[] = [
  submitted,
  triage,
  routed('ref-embassy', 'org-embassy', '2026-11-02T10:00:02.000Z'),
  changed('ref-embassy', 'REFERRAL_STATUS_DELIVERED', '2026-11-02T10:00:03.000Z'),
  changed('ref-embassy', 'REFERRAL_STATUS_ACKNOWLEDGED', '2026-11-02T11:00:00.000Z'),
  changed('ref-embassy', 'REFERRAL_STATUS_ACCEPTED', '2026-11-03T09:00:00.000Z'),
  routed('ref-legal', 'org-legal', '2026-11-02T10:00:02.500Z'),
  incident('inc-1'),
  reassessment,
];

const fold = (events: readonly ViewEvent[]): CaseView =>
  events.reduce(foldCaseView, emptyCaseView('case-1'));

/** A seeded shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [
      item,
      ...rest,
    ]),
  );
}

describe('the NGO case view', () => {
  it('shows every stage with its time, the referrals, the newest risk and the incidents', () => {
    expect(fold(journey)).toEqual({
      caseId: 'case-1',
      organisationId: 'org-ngo',
      riskLevel: 'RISK_LEVEL_CRITICAL',
      riskFactors: ['death threat', 'attempted killing'],
      riskAssessedAt: '2026-11-05T08:00:00.000Z',
      riskSequence: 0,
      stages: [
        { name: 'submitted', at: '2026-11-02T10:00:00.000Z' },
        { name: 'triaged', at: '2026-11-02T10:00:01.000Z' },
        { name: 're-assessed', at: '2026-11-05T08:00:00.000Z' },
      ],
      referrals: {
        'ref-embassy': {
          referralId: 'ref-embassy',
          providerOrganisationId: 'org-embassy',
          status: 'REFERRAL_STATUS_ACCEPTED',
          stages: [
            { name: 'routed', at: '2026-11-02T10:00:02.000Z' },
            { name: 'delivered', at: '2026-11-02T10:00:03.000Z' },
            { name: 'acknowledged', at: '2026-11-02T11:00:00.000Z' },
            { name: 'accepted', at: '2026-11-03T09:00:00.000Z' },
          ],
          respondBy: '2026-11-05T10:00:02.000Z',
        },
        'ref-legal': {
          referralId: 'ref-legal',
          providerOrganisationId: 'org-legal',
          status: 'REFERRAL_STATUS_ROUTED',
          stages: [{ name: 'routed', at: '2026-11-02T10:00:02.500Z' }],
          respondBy: '2026-11-05T10:00:02.000Z',
        },
      },
      incidents: 1,
      incidentIds: ['inc-1'],
    });
  });

  it('is the same view in every arrival order', () => {
    const expected = fold(journey);
    for (let seed = 1; seed <= 300; seed += 1) {
      expect(fold(shuffled(journey, seed))).toEqual(expected);
    }
  });

  it('is the same in all 720 orders of a submission, two assessments and a referral', () => {
    const events = [
      submitted,
      triage,
      reassessment,
      routed('ref-embassy', 'org-embassy', '2026-11-02T10:00:02.000Z'),
      changed('ref-embassy', 'REFERRAL_STATUS_DELIVERED', '2026-11-02T10:00:03.000Z'),
      incident('inc-1'),
    ];
    const expected = fold(events);
    for (const order of permutations(events)) expect(fold(order)).toEqual(expected);
  });

  it('starts from a referral that arrives before its case, and fills in when the case comes', () => {
    const early = fold([routed('ref-embassy', 'org-embassy', '2026-11-02T10:00:02.000Z')]);
    expect(early.organisationId).toBe('org-ngo');
    expect(early.stages).toEqual([]);
    expect(early.riskLevel).toBe('RISK_LEVEL_UNSPECIFIED');
    const later = foldCaseView(early, submitted);
    expect(later.stages).toEqual([{ name: 'submitted', at: '2026-11-02T10:00:00.000Z' }]);
    expect(later.referrals['ref-embassy']?.status).toBe('REFERRAL_STATUS_ROUTED');
  });

  it('names the earliest assessment the triage, even when a re-assessment arrives first', () => {
    const view = fold([reassessment, triage]);
    expect(view.stages).toEqual([
      { name: 'triaged', at: '2026-11-02T10:00:01.000Z' },
      { name: 're-assessed', at: '2026-11-05T08:00:00.000Z' },
    ]);
    // The older assessment arriving late does not replace the newer level.
    expect(view.riskLevel).toBe('RISK_LEVEL_CRITICAL');
    expect(view.riskFactors).toEqual(['death threat', 'attempted killing']);
  });

  it('adds a re-assessed stage for each later assessment', () => {
    const third = assessed('RISK_LEVEL_HIGH', [], '2026-11-20T00:00:00.000Z');
    const view = fold([submitted, triage, reassessment, third]);
    expect(view.stages.map((stage) => stage.name)).toEqual([
      'submitted',
      'triaged',
      're-assessed',
      're-assessed',
    ]);
    expect(view.riskLevel).toBe('RISK_LEVEL_HIGH');
    // Protobuf JSON leaves an empty list out: no factors.
    expect(view.riskFactors).toEqual([]);
  });

  it('keeps a referral at its furthest status, also when two steps share a millisecond', () => {
    const at = '2026-11-02T10:00:03.000Z';
    const view = fold([
      changed('ref-embassy', 'REFERRAL_STATUS_ACKNOWLEDGED', at),
      changed('ref-embassy', 'REFERRAL_STATUS_DELIVERED', at),
      routed('ref-embassy', 'org-embassy', '2026-11-02T10:00:02.000Z'),
    ]);
    const referral = view.referrals['ref-embassy'];
    expect(referral?.status).toBe('REFERRAL_STATUS_ACKNOWLEDGED');
    expect(referral?.stages.map((stage) => stage.name)).toEqual([
      'routed',
      'delivered',
      'acknowledged',
    ]);
    expect(referral?.respondBy).toBe('2026-11-05T10:00:02.000Z');
  });

  it('records a decline and a completion under their lower-case names', () => {
    const declined = fold([
      routed('ref-embassy', 'org-embassy', '2026-11-02T10:00:02.000Z'),
      changed('ref-embassy', 'REFERRAL_STATUS_DECLINED', '2026-11-03T00:00:00.000Z'),
    ]);
    expect(declined.referrals['ref-embassy']?.stages.at(-1)?.name).toBe('declined');
    const completed = fold([
      changed('ref-embassy', 'REFERRAL_STATUS_COMPLETED', '2026-11-09T00:00:00.000Z'),
      changed('ref-embassy', 'REFERRAL_STATUS_ACCEPTED', '2026-11-04T00:00:00.000Z'),
    ]);
    expect(completed.referrals['ref-embassy']?.status).toBe('REFERRAL_STATUS_COMPLETED');
    expect(completed.referrals['ref-embassy']?.stages.map((stage) => stage.name)).toEqual([
      'accepted',
      'completed',
    ]);
  });

  it('changes nothing when an event comes again', () => {
    const once = fold(journey);
    expect(fold([...journey, ...journey])).toEqual(once);
    expect(once.incidents).toBe(1);
  });

  it("shows the case's own steps: threats, updates, consent, withdrawal, erasure", () => {
    const step = (type: string, field: string, at: string): ViewEvent => ({
      type,
      data: { caseId: 'case-1', organisationId: 'org-ngo', [field]: at },
    });
    const view = fold([
      step('CaseErased', 'erasedAt', '2026-11-05T10:00:00.000Z'),
      submitted,
      step('ThreatReported', 'reportedAt', '2026-11-03T10:00:00.000Z'),
      step('ConsentUpdated', 'updatedAt', '2026-11-03T11:00:00.000Z'),
      step('CaseFactsUpdated', 'updatedAt', '2026-11-03T12:00:00.000Z'),
      step('CaseWithdrawn', 'withdrawnAt', '2026-11-04T10:00:00+01:00'),
    ]);
    expect(view.stages.map((stage) => stage.name)).toEqual([
      'submitted',
      'threat-reported',
      'consent-updated',
      'case-updated',
      'withdrawn',
      'erased',
    ]);
    expect(view.stages[4]).toEqual({ name: 'withdrawn', at: '2026-11-04T09:00:00.000Z' });
  });

  it('shows a revoked referral as revoked, whatever came before it', () => {
    const view = fold([
      changed('ref-9', 'REFERRAL_STATUS_REVOKED', '2026-11-02T12:00:00.000Z'),
      changed('ref-9', 'REFERRAL_STATUS_ACCEPTED', '2026-11-02T11:00:00.000Z'),
    ]);
    expect(view.referrals['ref-9']?.status).toBe('REFERRAL_STATUS_REVOKED');
    expect(view.referrals['ref-9']?.stages.map((stage) => stage.name)).toEqual([
      'accepted',
      'revoked',
    ]);
  });

  it('takes the highest-numbered assessment as the level, whatever the times say', () => {
    const numbered = (level: string, sequence: number, at: string): ViewEvent => ({
      type: 'RiskAssessed',
      data: { ...assessed(level, [], at).data, sequence },
    });
    const view = fold([
      numbered('RISK_LEVEL_HIGH', 2, '2026-11-02T10:00:05.000Z'),
      numbered('RISK_LEVEL_CRITICAL', 3, '2026-11-02T10:00:05.000Z'),
      numbered('RISK_LEVEL_LOW', 1, '2026-11-02T10:00:09.000Z'),
    ]);
    expect(view.riskLevel).toBe('RISK_LEVEL_CRITICAL');
  });

  it('shows a referral seen, escalated, its deadlines tightened and its programme full', () => {
    const moment = (type: string, data: Record<string, string>): ViewEvent => ({
      type,
      data: { referralId: 'ref-5', caseId: 'case-1', organisationId: 'org-ngo', ...data },
    });
    const view = fold([
      changed('ref-5', 'REFERRAL_STATUS_DELIVERED', '2026-11-02T10:00:00.000Z'),
      moment('ReferralSeen', { seenAt: '2026-11-02T10:05:00.000Z' }),
      moment('ReferralDeadlinesChanged', {
        acknowledgeBy: '2026-11-02T14:00:00.000Z',
        changedAt: '2026-11-02T10:06:00.000Z',
      }),
      moment('ReferralProgrammeChanged', {
        programmeStatus: 'PROGRAMME_STATUS_FULL',
        changedAt: '2026-11-02T10:07:00.000Z',
      }),
      moment('ReferralEscalated', {
        missed: 'acknowledgement',
        escalatedAt: '2026-11-02T14:00:01.000Z',
      }),
      changed('ref-5', 'REFERRAL_STATUS_EXPIRED', '2026-11-02T14:00:01.000Z'),
    ]);
    const referral = view.referrals['ref-5'];
    expect(referral?.stages.map((stage) => stage.name)).toEqual([
      'delivered',
      'seen',
      'deadlines-tightened',
      'programme-full',
      'escalated',
      'expired',
    ]);
    expect(referral?.status).toBe('REFERRAL_STATUS_EXPIRED');
    expect(referral?.respondBy).toBe('2026-11-02T14:00:00.000Z');
  });

  it('counts each incident of the case once', () => {
    expect(fold([incident('inc-1'), incident('inc-2'), incident('inc-1')]).incidents).toBe(2);
  });

  it('treats a referral id like "constructor" as any other id', () => {
    const view = fold([
      changed('constructor', 'REFERRAL_STATUS_DELIVERED', '2026-11-02T10:00:00.000Z'),
    ]);
    expect(view.referrals['constructor']?.stages).toEqual([
      { name: 'delivered', at: '2026-11-02T10:00:00.000Z' },
    ]);
  });

  it('compares times whatever offset a producer wrote them in', () => {
    const view = fold([
      assessed('RISK_LEVEL_LOW', [], '2026-11-02T14:30:00+04:30'),
      assessed('RISK_LEVEL_HIGH', [], '2026-11-02T10:30:00.000Z'),
    ]);
    expect(view.stages).toEqual([
      { name: 'triaged', at: '2026-11-02T10:00:00.000Z' },
      { name: 're-assessed', at: '2026-11-02T10:30:00.000Z' },
    ]);
    expect(view.riskLevel).toBe('RISK_LEVEL_HIGH');
  });

  it('ignores events it does not read, and a referral event without a referral id', () => {
    const view = fold([submitted]);
    expect(foldCaseView(view, { type: 'PacketReleased', data: { caseId: 'case-1' } })).toEqual(
      view,
    );
    expect(
      foldCaseView(view, { type: 'ReferralRouted', data: { caseId: 'case-1' } }).referrals,
    ).toEqual({});
  });
});

describe('who sees a case', () => {
  it('is its NGO only, and nobody while its NGO is not known', () => {
    const view = fold(journey);
    expect(isCaseOf(view, 'org-ngo')).toBe(true);
    expect(isCaseOf(view, 'org-other-ngo')).toBe(false);
    const orphan = fold([incident('inc-1')]);
    expect(orphan.organisationId).toBe('');
    expect(isCaseOf(orphan, '')).toBe(false);
  });
});
