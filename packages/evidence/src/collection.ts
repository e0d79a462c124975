/**
 * How accountability keeps every service's checkpoints in its own log: one stream per service,
 * one event per checkpoint collected (the signed checkpoint as data), in the service's order.
 */
export const CHECKPOINT_COLLECTED = 'EvidenceCheckpointCollected';
/** A checkpoint accountability would not keep (bad signature, a fork of the chain), and why. */
export const CHECKPOINT_REFUSED = 'EvidenceCheckpointRefused';

export function collectedStreamOf(service: string): string {
  return `evidence-${service}`;
}
