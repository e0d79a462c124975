import { accountability, evidence, intake, referral, risk } from '@aman/contracts';
import { EventCodecs, bind } from '@aman/messaging';

/**
 * Every context also publishes its service's evidence checkpoints (`@aman/evidence`), which
 * accountability collects: a checkpoint leaves its service as its other events do.
 */
const checkpointIssued = bind(
  'EvidenceCheckpointIssued',
  'aman.evidence.v1.CheckpointIssued',
  evidence.CheckpointIssued,
);

/**
 * The producing contexts: each one's service, topic, CloudEvents source and the stored event
 * types that leave it (as which protobuf message). Stored event types without a binding stay
 * inside their context (sealed personal data, webhook secrets).
 */
export const CONTEXTS = {
  intake: {
    service: 'intake',
    topic: 'aman.intake.v1',
    source: '/aman/intake',
    bindings: [
      bind('CaseSubmitted', 'aman.intake.v1.CaseSubmitted', intake.CaseSubmitted),
      bind('CaseFactsUpdated', 'aman.intake.v1.CaseFactsUpdated', intake.CaseFactsUpdated),
      bind('ThreatReported', 'aman.intake.v1.ThreatReported', intake.ThreatReported),
      bind('ConsentUpdated', 'aman.intake.v1.ConsentUpdated', intake.ConsentUpdated),
      bind('CaseWithdrawn', 'aman.intake.v1.CaseWithdrawn', intake.CaseWithdrawn),
      bind('CaseErased', 'aman.intake.v1.CaseErased', intake.CaseErased),
      bind('PacketReleased', 'aman.intake.v1.PacketReleased', intake.PacketReleased),
      checkpointIssued,
    ],
  },
  risk: {
    service: 'risk-assessment',
    topic: 'aman.risk.v1',
    source: '/aman/risk',
    bindings: [
      bind('RiskAssessed', 'aman.risk.v1.RiskAssessed', risk.RiskAssessed),
      checkpointIssued,
    ],
  },
  referral: {
    service: 'referral',
    topic: 'aman.referral.v1',
    source: '/aman/referral',
    bindings: [
      bind(
        'ProviderRegistered',
        'aman.referral.v1.ProviderRegistered',
        referral.ProviderRegistered,
      ),
      bind('ReferralRouted', 'aman.referral.v1.ReferralRouted', referral.ReferralRouted),
      bind(
        'ReferralStatusChanged',
        'aman.referral.v1.ReferralStatusChanged',
        referral.ReferralStatusChanged,
      ),
      bind(
        'ProviderStatusChanged',
        'aman.referral.v1.ProviderStatusChanged',
        referral.ProviderStatusChanged,
      ),
      bind('ProgrammeDefined', 'aman.referral.v1.ProgrammeDefined', referral.ProgrammeDefined),
      bind(
        'ProgrammeStatusChanged',
        'aman.referral.v1.ProgrammeStatusChanged',
        referral.ProgrammeStatusChanged,
      ),
      bind('ReferralSeen', 'aman.referral.v1.ReferralSeen', referral.ReferralSeen),
      bind(
        'ReferralDeadlinesChanged',
        'aman.referral.v1.ReferralDeadlinesChanged',
        referral.ReferralDeadlinesChanged,
      ),
      bind('ReferralEscalated', 'aman.referral.v1.ReferralEscalated', referral.ReferralEscalated),
      bind(
        'ReferralProgrammeChanged',
        'aman.referral.v1.ReferralProgrammeChanged',
        referral.ReferralProgrammeChanged,
      ),
      checkpointIssued,
    ],
  },
  accountability: {
    service: 'accountability',
    topic: 'aman.accountability.v1',
    source: '/aman/accountability',
    bindings: [
      bind(
        'IncidentRecorded',
        'aman.accountability.v1.IncidentRecorded',
        accountability.IncidentRecorded,
      ),
      checkpointIssued,
    ],
  },
} as const;

export type ContextName = keyof typeof CONTEXTS;

const codecs = new Map<ContextName, EventCodecs>();

/** The codecs of a context: its key (the case id, or the stream for non-case events). */
export function codecsOf(name: ContextName): EventCodecs {
  let known = codecs.get(name);
  if (known === undefined) {
    const spec = CONTEXTS[name];
    known = new EventCodecs({
      source: spec.source,
      bindings: spec.bindings,
      subjectOf: (event) => {
        const caseId = event.data['caseId'];
        return typeof caseId === 'string' ? caseId : event.stream;
      },
    });
    codecs.set(name, known);
  }
  return known;
}
