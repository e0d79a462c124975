import { createHash } from 'node:crypto';

import type { StreamHead } from '@aman/eventstore';

const sha256 = (...parts: (Buffer | string)[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** A leaf's data: the head as a JSON array, fixed order, unambiguous. */
export function leafData(head: StreamHead): string {
  return JSON.stringify([head.stream, head.version, head.hash]);
}

/**
 * The Merkle tree hash of RFC 6962 §2.1 (Certificate Transparency) over the heads in the order
 * given: leaves prefixed 0x00, nodes 0x01, split at the largest power of two below the count.
 * Chosen so that a third party can recompute it with any CT library, and so that inclusion
 * proofs for one stream can be given later without changing the root.
 */
export function merkleRoot(heads: readonly StreamHead[]): string {
  return treeHash(heads.map((head) => sha256(LEAF, leafData(head)))).toString('hex');
}

function treeHash(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256('');
  if (leaves.length === 1) return leaves[0] as Buffer;
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return sha256(NODE, treeHash(leaves.slice(0, split)), treeHash(leaves.slice(split)));
}
