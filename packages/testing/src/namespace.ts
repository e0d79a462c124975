import { randomBytes } from 'node:crypto';

/**
 * A name no other test file in this run (or an earlier run against the same services) uses, for a
 * database or a topic prefix. Lower-case latin letters, digits and underscores only, short enough
 * for FerretDB's 63-character database names.
 */
export function testNamespace(label: string): string {
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 24);
  return `t_${cleaned}_${randomBytes(5).toString('hex')}`;
}
