import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import { ValidationError } from '@aman/errors';

import { forbiddenRange, isLoopback } from './addresses.ts';

/** One answer of a name lookup. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (A and AAAA); the system resolver by default. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** What may be called: the same rules at registration and at every call. */
export interface OutboundPolicy {
  /**
   * Development only: plain http to a loopback host (127.0.0.0/8, ::1, `localhost`), and
   * loopback addresses behind https names too. Private and other reserved ranges stay refused.
   */
  readonly allowInsecureLoopback?: boolean;
}

export const MAX_URL_LENGTH = 2048;

/**
 * A refused target. Its message says which rule refused it and never repeats the URL, whose
 * path or query can hold the tenant's own token.
 */
export class OutboundRefusedError extends ValidationError {}

/**
 * Checks a URL's syntax by the policy, without looking the name up: absolute, https (http only
 * to a loopback host under `allowInsecureLoopback`), no credentials, at most 2048 characters,
 * and an IP literal host that is not in a forbidden range. The normalised URL, fragment dropped.
 */
export function checkOutboundUrl(value: unknown, policy: OutboundPolicy = {}): URL {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !URL.canParse(value)) {
    throw new OutboundRefusedError(
      `the URL must be an absolute https URL of at most ${MAX_URL_LENGTH} characters`,
    );
  }
  const url = new URL(value);
  url.hash = '';
  if (url.username !== '' || url.password !== '') {
    throw new OutboundRefusedError('the URL must not carry credentials');
  }
  const host = hostOf(url);
  if (url.protocol === 'http:') {
    if (policy.allowInsecureLoopback !== true || !isLoopbackHost(host)) {
      throw new OutboundRefusedError('the URL must use https');
    }
  } else if (url.protocol !== 'https:') {
    throw new OutboundRefusedError('the URL must use https');
  }
  if (host === '') throw new OutboundRefusedError('the URL must name a host');
  if (isIP(host) !== 0) refuseForbidden(host, policy);
  return url;
}

/**
 * The address to connect to for a URL that passed `checkOutboundUrl`: its IP literal, or the
 * first answer of the resolver when every answer is allowed (one forbidden answer refuses the
 * name: a rebinding name may hand out public and private answers in turn).
 */
export async function resolveTarget(
  url: URL,
  policy: OutboundPolicy,
  resolver: Resolver,
): Promise<ResolvedAddress> {
  const host = hostOf(url);
  const answers: readonly ResolvedAddress[] =
    isIP(host) === 0
      ? await resolveName(host, resolver)
      : [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  const [first] = answers;
  if (first === undefined) throw new OutboundRefusedError('the URL’s host has no address');
  for (const answer of answers) refuseForbidden(answer.address, policy);
  // Plain http goes to loopback only, whatever the name says.
  if (url.protocol === 'http:' && !answers.every((answer) => isLoopback(answer.address))) {
    throw new OutboundRefusedError('the URL must use https');
  }
  return first;
}

async function resolveName(host: string, resolver: Resolver): Promise<readonly ResolvedAddress[]> {
  try {
    return await resolver(host);
  } catch {
    // The resolver's message names the host.
    throw new OutboundRefusedError('the URL’s host does not resolve');
  }
}

function refuseForbidden(address: string, policy: OutboundPolicy): void {
  const range = forbiddenRange(address);
  if (range === undefined) return;
  if (range === 'loopback' && policy.allowInsecureLoopback === true) return;
  throw new OutboundRefusedError(`the URL’s host is a ${range} address, which is not called`);
}

/** The hostname without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (isIP(host) !== 0 && isLoopback(host));
}
