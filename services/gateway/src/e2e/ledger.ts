import { callApi } from './platform.ts';

/**
 * What the platform acknowledged, from the client's side (Jepsen-style): every submission the API
 * answered 201, with the case it named, and every provider answer it accepted. The fault suites
 * check the final state against it.
 */
export class Ledger {
  /** Idempotency key → the case id of its 201. */
  readonly submissions = new Map<string, string>();
  /** Referral ids the provider's acknowledgement was accepted for (200). */
  readonly acknowledged = new Set<string>();
  /** Answers other than the expected, by status, with what they said (a 5xx is never expected). */
  readonly refusals = new Map<string, number>();

  noteRefusal(what: string, status: number, code: unknown): void {
    const key = `${what} ${String(status)} ${typeof code === 'string' ? code : ''}`.trim();
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }
}

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Whether an answer means "try again": nothing answered, or the platform said it is unavailable. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Calls until the platform gives an answer that is not "unavailable" (the process behind it may be
 * dead and restarting), the same idempotency key each time. Network errors count as unavailable.
 * Gives up after `withinMs` with the last reason.
 */
export async function untilAnswered(
  call: () => ReturnType<typeof callApi>,
  withinMs = 120_000,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    let last: string;
    try {
      const answer = await call();
      if (!RETRY_STATUSES.has(answer.status)) return answer;
      last = `status ${String(answer.status)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`no answer within ${String(withinMs)} ms: ${last}`);
    await pause(200);
  }
}

/**
 * Every item of a listing (`path`, paged by `nextCursor` until ''): `field`'s items. A page the
 * platform cannot serve yet (503 while a database or a service comes back) is asked again, as a
 * client would, up to untilAnswered's limit.
 */
export async function everyItem<T>(
  api: string,
  path: string,
  key: string,
  field: string,
): Promise<T[]> {
  const items: T[] = [];
  for (let cursor = '', first = true; first || cursor !== ''; first = false) {
    const after = cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await untilAnswered(() => callApi(api, 'GET', `${path}?limit=100${after}`, key));
    if (page.status !== 200) throw new Error(`${path} answered ${String(page.status)}`);
    items.push(...((page.json[field] as T[] | undefined) ?? []));
    const next = page.json['nextCursor'];
    cursor = typeof next === 'string' ? next : '';
  }
  return items;
}
