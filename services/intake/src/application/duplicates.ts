import { blindIndexTokens, type BlindIndexIdentifiers, type BlindIndexKey } from '@aman/crypto';
import { AmanError } from '@aman/errors';
import type { ReadModelCollection, ReadModelStore } from '@aman/projections';
import { idFrom, type Logger, type Principal } from '@aman/service-kit';

import type { Identity } from './intakeCases.ts';

/** A stored string field, '' when it is not one. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Two organisations' cases that the blind index says are likely the same person. */
export type MatchRecord = {
  readonly matchId: string;
  /** The earlier case: its NGO is told. */
  readonly holderCaseId: string;
  /** The later case: its NGO is told nothing until the holder's NGO proposes a link. */
  readonly submitterCaseId: string;
};

/** What the matcher does on a match: flag both cases (the application's case commands). */
export type FlagMatch = (match: MatchRecord, detectedAt: string) => Promise<void>;

/**
 * Likely cross-NGO duplicates through a blind index: keyed HMAC tokens over normalised
 * identifiers (name + date of birth, phone in E.164), never the identifiers. A submission writes
 * its tokens and returns; matching runs in the background (`sweep`), so neither the answer nor
 * its timing tells the submitter anything, and a stolen NGO key cannot probe for a person. Each
 * match is recorded (the audit); matches found for one key are limited per hour, beyond which
 * they are held back and counted for an operator.
 */
export class DuplicateMatcher {
  readonly #tokens: ReadModelCollection;
  readonly #matches: ReadModelCollection;
  readonly #key: BlindIndexKey;
  readonly #flag: FlagMatch;
  readonly #logger: Logger;
  readonly #maxMatchesPerKeyPerHour: number;
  #chain: Promise<unknown> = Promise.resolve();
  #queued: Promise<number> | undefined;

  private constructor(options: {
    tokens: ReadModelCollection;
    matches: ReadModelCollection;
    key: BlindIndexKey;
    flag: FlagMatch;
    logger: Logger;
    maxMatchesPerKeyPerHour: number;
  }) {
    this.#tokens = options.tokens;
    this.#matches = options.matches;
    this.#key = options.key;
    this.#flag = options.flag;
    this.#logger = options.logger;
    this.#maxMatchesPerKeyPerHour = options.maxMatchesPerKeyPerHour;
  }

  static async open(options: {
    readonly store: ReadModelStore;
    readonly key: BlindIndexKey;
    readonly flag: FlagMatch;
    readonly logger: Logger;
    readonly maxMatchesPerKeyPerHour?: number;
  }): Promise<DuplicateMatcher> {
    return new DuplicateMatcher({
      tokens: await options.store.collection('blind_index', {
        indexes: ['token', 'caseId', 'checked'],
      }),
      matches: await options.store.collection('duplicate_matches', {
        indexes: ['principalId', 'hour'],
      }),
      key: options.key,
      flag: options.flag,
      logger: options.logger,
      maxMatchesPerKeyPerHour: options.maxMatchesPerKeyPerHour ?? 20,
    });
  }

  /** Writes a new case's tokens, unchecked; the sweep matches them. */
  async index(caseId: string, submitter: Principal, identity: Identity): Promise<void> {
    // Each identifier on its own: one that does not normalise (a phone given as "through her
    // brother") gives no token, and never costs the case its other tokens or its submission.
    const parts: BlindIndexIdentifiers[] = [
      identity.fullName === '' || identity.dateOfBirth === ''
        ? {}
        : { fullName: identity.fullName, dateOfBirth: identity.dateOfBirth },
      identity.phone === '' ? {} : { phone: identity.phone },
    ];
    const tokens = parts.flatMap((part) => {
      try {
        return blindIndexTokens(part, this.#key);
      } catch (error) {
        if (AmanError.is(error, 'AMAN_ERR_VALIDATION')) return [];
        throw error;
      }
    });
    const indexedAt = new Date().toISOString();
    await this.#tokens.write(
      tokens.map((token: string) => ({
        id: idFrom('blind-index', token, caseId),
        data: {
          token,
          caseId,
          organisationId: submitter.organisationId,
          principalId: submitter.keyId,
          indexedAt,
          checked: false,
        },
        versions: {},
      })),
    );
    this.sweepSoon();
  }

  /** An erased case's tokens go: it can no longer be matched, nor reveal that it was. */
  async forget(caseId: string): Promise<void> {
    const page = await this.#tokens.query({ where: { caseId }, limit: 100 });
    await this.#tokens.write(
      page.items.map((item) => ({ id: item.id, data: undefined, versions: {} })),
    );
  }

  async match(matchId: string): Promise<MatchRecord | undefined> {
    const data = (await this.#matches.get(matchId))?.data;
    if (data === undefined) return undefined;
    return {
      matchId,
      holderCaseId: text(data['holderCaseId']),
      submitterCaseId: text(data['submitterCaseId']),
    };
  }

  /** Starts a sweep soon; errors are logged (the next sweep retries). */
  sweepSoon(): void {
    this.sweep().catch((error: unknown) => {
      this.#logger.error({ err: error }, 'duplicate sweep failed');
    });
  }

  /**
   * Matches every unchecked token; a token is marked checked only after its matches are flagged.
   * Sweeps run one after another (the hourly limit is counted, then written), and a sweep asked
   * for while another waits joins it: it will see every token written before it starts. Returns
   * the matches this sweep flagged. (Replicas of intake each sweep; flagging is idempotent, the
   * limit is then per replica.)
   */
  sweep(): Promise<number> {
    this.#queued ??= this.#chain.then(() => {
      this.#queued = undefined;
      return this.#sweepOnce();
    });
    const run = this.#queued;
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #sweepOnce(): Promise<number> {
    let found = 0;
    for (;;) {
      const page = await this.#tokens.query({ where: { checked: false }, limit: 50 });
      if (page.items.length === 0) return found;
      for (const item of page.items) {
        found += await this.#check(item.data);
        await this.#tokens.write([
          { id: item.id, data: { ...item.data, checked: true }, versions: {} },
        ]);
      }
    }
  }

  async #check(entry: Record<string, unknown>): Promise<number> {
    const token = text(entry['token']);
    const caseId = text(entry['caseId']);
    const organisationId = text(entry['organisationId']);
    const others = await this.#tokens.query({ where: { token }, limit: 100 });
    let found = 0;
    for (const other of others.items) {
      const otherCase = text(other.data['caseId']);
      // Within one organisation a duplicate is the NGO's own business: it sees both cases.
      if (otherCase === caseId || other.data['organisationId'] === organisationId) continue;
      const earlier =
        text(other.data['indexedAt']) < text(entry['indexedAt']) ||
        (other.data['indexedAt'] === entry['indexedAt'] && otherCase < caseId);
      const holder = earlier ? other.data : entry;
      const submitter = earlier ? entry : other.data;
      const match: MatchRecord = {
        matchId: idFrom('duplicate', text(holder['caseId']), text(submitter['caseId'])),
        holderCaseId: text(holder['caseId']),
        submitterCaseId: text(submitter['caseId']),
      };
      if ((await this.#matches.get(match.matchId)) !== undefined) continue;
      const principalId = text(submitter['principalId']);
      const detectedAt = new Date().toISOString();
      const hour = detectedAt.slice(0, 13);
      if ((await this.#matches.count({ principalId, hour })) >= this.#maxMatchesPerKeyPerHour) {
        // Far more matches than an NGO's caseload explains: probing. Held back, and loud.
        this.#logger.warn(
          { principalId, matches: this.#maxMatchesPerKeyPerHour },
          'duplicate matches for one key exceed the hourly limit; further matches held back',
        );
        continue;
      }
      await this.#matches.write([
        {
          id: match.matchId,
          data: { ...match, principalId, hour, detectedAt },
          versions: {},
        },
      ]);
      await this.#flag(match, detectedAt);
      found += 1;
    }
    return found;
  }
}
