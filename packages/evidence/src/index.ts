export {
  CHECKPOINT_FORMAT,
  FIRST_PREVIOUS_HASH,
  KeyDirectory,
  checkpointBytes,
  checkpointHash,
  ed25519Signer,
  parseCheckpoint,
  signatureHolds,
  type CheckpointBody,
  type CheckpointSigner,
  type PublicKeys,
  type SignedCheckpoint,
} from './checkpoint.ts';
export { CHECKPOINT_ISSUED, CHECKPOINT_STREAM, CheckpointIssuer } from './issuer.ts';
export { leafData, merkleRoot } from './merkle.ts';
export { verifyStoreAgainst, type EvidenceFinding, type EvidenceReport } from './verifyStore.ts';
export { CHECKPOINT_COLLECTED, CHECKPOINT_REFUSED, collectedStreamOf } from './collection.ts';
