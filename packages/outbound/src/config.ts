/**
 * The development setting that lets webhooks go to plain http on loopback (the demo's and the
 * end-to-end tests' local receivers). Off unless set to exactly `1` or `true`.
 */
export const INSECURE_LOOPBACK_VARIABLE = 'AMAN_ALLOW_INSECURE_LOOPBACK_WEBHOOKS';

/** Parses the variable's raw value; anything other than unset, 0/false or 1/true is an error. */
export function allowInsecureLoopbackFrom(raw: string | undefined): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error('must be 1 or true to allow, 0 or false (or unset) to refuse');
}
