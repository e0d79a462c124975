import {
  ForbiddenError,
  IntegrityError,
  UnauthenticatedError,
  ValidationError,
  requireIdentifier,
} from '@aman/errors';
import type { CheckpointStore, EventStore, JsonObject } from '@aman/eventstore';
import type { ReadModelCollection, ReadModelStore } from '@aman/projections';
import { actorOf, eventMetadata, type Logger, type Principal } from '@aman/service-kit';

import {
  accessOf,
  accessStream,
  caseStream,
  type Access,
  type CaseRecordRead,
  type CaseSubmitted,
  type FieldGroup,
} from '../domain/index.ts';

/** One access in the compromised-key report, with the NGO that holds the case. */
export type ReportedAccess = Access & { readonly ownerOrganisationId: string };

/** Whose accesses, when, and which page. Times are ISO-8601; `until` is exclusive. */
export interface AccessQuery {
  readonly by: { readonly keyId: string } | { readonly organisationId: string };
  readonly since: string | undefined;
  readonly until: string | undefined;
  /** 1–500; 0 or undefined: 100. */
  readonly pageSize: number | undefined;
  readonly pageToken: string | undefined;
}

export interface AccessReport {
  readonly accesses: readonly ReportedAccess[];
  readonly nextPageToken: string | undefined;
}

const CHECKPOINT = 'intake:access-index';
const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;

function admin(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'admin') {
    throw new ForbiddenError('only an administrator reports accesses');
  }
  return principal;
}

/**
 * The access audit and the compromised-key report. The audit events are the authority: each is
 * appended before anything is opened. The report reads an index of them by key and organisation
 * (a read model in intake's own store), filled from the event log behind a checkpoint; every
 * report first brings the index up to the log's head, so it lists every access acknowledged
 * before the call, and never scans the whole log for one key.
 */
export class AccessLog {
  readonly #store: EventStore;
  readonly #index: ReadModelCollection;
  readonly #checkpoints: CheckpointStore;
  readonly #logger: Logger;
  #chain: Promise<unknown> = Promise.resolve();
  #queued: Promise<number> | undefined;

  private constructor(options: {
    store: EventStore;
    index: ReadModelCollection;
    checkpoints: CheckpointStore;
    logger: Logger;
  }) {
    this.#store = options.store;
    this.#index = options.index;
    this.#checkpoints = options.checkpoints;
    this.#logger = options.logger;
  }

  static async open(options: {
    readonly store: EventStore;
    readonly readModels: ReadModelStore;
    readonly checkpoints: CheckpointStore;
    readonly logger: Logger;
  }): Promise<AccessLog> {
    return new AccessLog({
      store: options.store,
      index: await options.readModels.collection('access_audit', {
        indexes: ['keyId', 'organisationId', 'at'],
      }),
      checkpoints: options.checkpoints,
      logger: options.logger,
    });
  }

  /** Audits the NGO's read of its own record; the caller opens nothing until this returned. */
  async recordRead(
    reader: Principal,
    caseId: string,
    fieldGroups: readonly FieldGroup[],
  ): Promise<void> {
    const event: CaseRecordRead = {
      type: 'CaseRecordRead',
      data: {
        caseId,
        organisationId: reader.organisationId,
        organisationType: 'ngo',
        keyId: reader.keyId,
        fieldGroups: [...fieldGroups],
        readAt: new Date().toISOString(),
      },
    };
    await this.#store.append(
      accessStream(caseId),
      [
        {
          ...event,
          schemaVersion: 1,
          metadata: eventMetadata({ actor: actorOf(reader), correlationId: caseId }),
        },
      ],
      { expectedVersion: 'any' },
    );
  }

  /**
   * Indexes the audit events from the checkpoint to the log's head. Runs one at a time in this
   * process; a call made while another waits joins it (it starts after the call, so it sees every
   * event appended before). Returns how many accesses it indexed.
   */
  catchUp(): Promise<number> {
    this.#queued ??= this.#chain.then(() => {
      this.#queued = undefined;
      return this.#catchUpOnce();
    });
    const run = this.#queued;
    this.#chain = run.catch(() => undefined);
    return run;
  }

  catchUpSoon(): void {
    this.catchUp().catch((error: unknown) => {
      this.#logger.error({ err: error }, 'access index catch-up failed');
    });
  }

  /** The compromised-key report: one page of a key's or an organisation's accesses, oldest first. */
  async report(principal: Principal | undefined, query: AccessQuery): Promise<AccessReport> {
    admin(principal);
    const where =
      'keyId' in query.by
        ? { keyId: requireIdentifier(query.by.keyId, 'keyId') }
        : { organisationId: requireIdentifier(query.by.organisationId, 'organisationId') };
    const pageSize =
      query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE : query.pageSize;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
      throw new ValidationError(`pageSize must be from 1 to ${MAX_PAGE}`);
    }
    const { since, until } = query;
    if (since !== undefined && until !== undefined && since >= until) {
      throw new ValidationError('since must be before until');
    }
    await this.catchUp();
    // The index answers equality only: the time window is applied here, in time order.
    const accesses: ReportedAccess[] = [];
    let cursor = query.pageToken === '' ? undefined : query.pageToken;
    for (;;) {
      const page = await this.#index.query({
        where,
        orderBy: 'at',
        limit: pageSize - accesses.length,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const item of page.items) {
        const access = item.data as unknown as ReportedAccess;
        if (until !== undefined && access.at >= until) {
          return { accesses, nextPageToken: undefined };
        }
        if (since === undefined || access.at >= since) accesses.push(access);
      }
      if (page.nextCursor === undefined) return { accesses, nextPageToken: undefined };
      cursor = page.nextCursor;
      if (accesses.length === pageSize) return { accesses, nextPageToken: cursor };
    }
  }

  async #catchUpOnce(): Promise<number> {
    let after = await this.#checkpoints.load(CHECKPOINT);
    let indexed = 0;
    for (;;) {
      const page = await this.#store.readAll({ after, limit: 500 });
      const last = page.at(-1);
      if (last === undefined) return indexed;
      const found = page.flatMap((event) => {
        const access = accessOf(event);
        return access === undefined ? [] : [{ id: event.id, access }];
      });
      const owners = new Map<string, string>();
      const documents = [];
      for (const { id, access } of found) {
        const ownerOrganisationId = await this.#ownerOf(access, owners);
        const data: ReportedAccess = { ...access, ownerOrganisationId };
        // The event id: indexing an event again (after a crash before the checkpoint) rewrites it.
        documents.push({ id, data: data as unknown as JsonObject, versions: {} });
      }
      if (documents.length > 0) await this.#index.write(documents);
      indexed += documents.length;
      after = last.position;
      await this.#checkpoints.save(CHECKPOINT, after);
    }
  }

  /** Only the NGO that holds a case reads its record; a packet's case names it when submitted. */
  async #ownerOf(access: Access, known: Map<string, string>): Promise<string> {
    if (access.kind === 'record') return access.organisationId;
    const cached = known.get(access.caseId);
    if (cached !== undefined) return cached;
    const [first] = await this.#store.readStream<CaseSubmitted>(caseStream(access.caseId), {
      limit: 1,
    });
    if (first?.type !== 'CaseSubmitted') {
      throw new IntegrityError('an audited case does not begin with its submission');
    }
    known.set(access.caseId, first.data.organisationId);
    return first.data.organisationId;
  }
}
