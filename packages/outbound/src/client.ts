import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';

import { UnavailableError, ValidationError } from '@aman/errors';

import { ipv6Bytes } from './addresses.ts';
import {
  checkOutboundUrl,
  OutboundRefusedError,
  resolveTarget,
  systemResolver,
  type OutboundPolicy,
  type ResolvedAddress,
  type Resolver,
} from './target.ts';

export interface OutboundClientOptions extends OutboundPolicy {
  /** How names are looked up (default the system's); tests inject one. */
  readonly resolver?: Resolver;
  /** Until the connection (and TLS) is up; default 3 s. */
  readonly connectTimeoutMs?: number;
  /** The whole call, answer's status line and headers included; default 10 s. */
  readonly timeoutMs?: number;
  /** Certificates to trust instead of the system's (a test's self-signed one). */
  readonly ca?: string | Buffer;
}

export interface OutboundRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly signal?: AbortSignal;
}

/** The answer: its status only (the body is never read), and where the socket was connected. */
export interface OutboundResponse {
  readonly status: number;
  readonly address: string;
}

/**
 * A call that was allowed but did not get an answer: no connection, a timeout, a TLS failure.
 * The message names the failure and the address tried, never the URL.
 */
export class OutboundFailedError extends UnavailableError {
  /** The address the call went to: the one that was checked. */
  readonly address: string;
  /** `timeout`, `connect-timeout`, `aborted`, or the socket error's code (`ECONNREFUSED`, ...). */
  readonly reason: string;

  constructor(reason: string, address: string) {
    super(`the endpoint did not answer (${reason})`);
    this.reason = reason;
    this.address = address;
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Every call the platform makes to a URL a tenant gave it (webhooks) goes through here. The URL
 * is checked (https; no credentials), the name resolved once and every answer checked against
 * the forbidden ranges, and the connection made to the address that was checked, whatever the
 * name resolves to by then (a pinned `lookup`, so DNS rebinding cannot redirect it). Redirects
 * are not followed (a 3xx is just the answer), the call has a connect and a total timeout, and
 * the answer's body is never read.
 */
export class OutboundClient {
  readonly #policy: OutboundPolicy;
  readonly #resolver: Resolver;
  readonly #connectTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #ca: string | Buffer | undefined;

  constructor(options: OutboundClientOptions = {}) {
    this.#policy = { allowInsecureLoopback: options.allowInsecureLoopback === true };
    this.#resolver = options.resolver ?? systemResolver;
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.#timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.#ca = options.ca;
  }

  /**
   * Registration-time check: the URL's syntax, and its name's current addresses, by the same
   * rules as every call. The normalised URL; OutboundRefusedError (AMAN_ERR_VALIDATION) if not.
   */
  async check(value: unknown): Promise<string> {
    const url = checkOutboundUrl(value, this.#policy);
    await resolveTarget(url, this.#policy, this.#resolver);
    return url.href;
  }

  /** POSTs the body; the answer's status, or OutboundRefusedError / OutboundFailedError. */
  async post(value: string, request: OutboundRequest): Promise<OutboundResponse> {
    const url = checkOutboundUrl(value, this.#policy);
    const target = await resolveTarget(url, this.#policy, this.#resolver);
    return this.#send(url, target, request);
  }

  #send(url: URL, target: ResolvedAddress, request: OutboundRequest): Promise<OutboundResponse> {
    const https = url.protocol === 'https:';
    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      // Where the socket was sent: the pinned lookup's answer, as the socket itself reports it.
      let address = target.address;
      const timers: NodeJS.Timeout[] = [];
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: Error): void => {
        finish(() => {
          reject(error);
        });
        call.destroy();
      };
      const onAbort = (): void => {
        fail(new OutboundFailedError('aborted', address));
      };
      if (request.signal?.aborted === true) {
        reject(new OutboundFailedError('aborted', target.address));
        return;
      }

      const options = {
        method: 'POST',
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        path: `${url.pathname}${url.search}`,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        // A socket of its own: a pooled one could have been opened to another address.
        agent: false,
        lookup: pinnedLookup(target),
        ...(https && this.#ca !== undefined ? { ca: this.#ca } : {}),
      } as const;
      const call: ClientRequest = https ? httpsRequest(options) : httpRequest(options);

      timers.push(
        setTimeout(() => {
          fail(new OutboundFailedError('timeout', address));
        }, this.#timeoutMs),
        setTimeout(() => {
          fail(new OutboundFailedError('connect-timeout', address));
        }, this.#connectTimeoutMs),
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });

      call.on('socket', (socket: Socket) => {
        socket.once('lookup', (_error: Error | null, looked: string) => {
          address = looked;
        });
        socket.once(https ? 'secureConnect' : 'connect', () => {
          clearTimeout(timers[1]);
          // The pin, checked once more on the socket itself.
          if (!sameAddress(socket.remoteAddress, target.address)) {
            fail(
              new OutboundRefusedError('the connection went to an address that was not checked'),
            );
          }
        });
      });
      call.on('response', (response: IncomingMessage) => {
        const connected = response.socket.remoteAddress ?? '';
        const status = response.statusCode ?? 0;
        // The body is not read: nothing a tenant's endpoint says is kept or passed on.
        response.destroy();
        if (!sameAddress(connected, target.address)) {
          fail(new OutboundRefusedError('the connection went to an address that was not checked'));
          return;
        }
        finish(() => {
          resolve({ status, address: connected });
        });
      });
      call.on('error', (error: NodeJS.ErrnoException) => {
        // The error's code only: its message can name the host.
        finish(() => {
          reject(new OutboundFailedError(error.code ?? error.name, address));
        });
      });
      call.end(request.body);
    });
  }
}

/** A `lookup` that answers the checked address whatever the name, so the socket goes there. */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: PinnedCallback) => {
    if (options.all === true) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

type PinnedCallback = (
  error: null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

function sameAddress(actual: string | undefined, expected: string): boolean {
  if (actual === undefined) return false;
  if (actual === expected) return true;
  if (isIP(actual) !== 6 || isIP(expected) !== 6) return false;
  return ipv6Bytes(actual)?.join(':') === ipv6Bytes(expected)?.join(':');
}

function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError('outbound timeouts must be positive integers of milliseconds');
  }
  return value;
}
