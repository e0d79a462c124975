import { MongoClient } from 'mongodb';

import type { Logger } from './logger.ts';

export interface MongoWatchdogOptions {
  /** The service's one client, shared by its stores. */
  readonly client: MongoClient;
  /** Where a fresh probe connects: the same URI as the client. */
  readonly uri: string;
  readonly logger: Logger;
  /** Between two checks (default 10 s). */
  readonly intervalMs?: number;
  /** How long the probe may take to find the database (default 5 s). */
  readonly probeTimeoutMS?: number;
}

/**
 * Reconnects a MongoDB client that stays without a server while the database answers.
 *
 * The fault suite caught a service whose client, after FerretDB restarted, found no server for
 * minutes: every operation failed server selection with the error of the connection the restart
 * had closed, the server's description never changed again, while the other services' clients
 * (the same driver, the same database) were back within seconds. Whatever inside the driver
 * stopped, the service would have answered 503 and stalled its consumers until restarted.
 *
 * So every `intervalMs` the client is asked for a ping. Only when that fails server selection is
 * the database asked through a fresh client: if it answers, the service's client is closed and
 * connected again (operations in flight fail as an outage, which callers retry and consumers
 * wait out). A database that is really down fails the probe too, and nothing is done.
 */
export class MongoWatchdog {
  readonly #options: MongoWatchdogOptions;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #stopped = false;
  #reconnects = 0;

  constructor(options: MongoWatchdogOptions) {
    this.#options = options;
  }

  start(): void {
    const tick = () => {
      this.#checking = this.check().finally(() => {
        this.#checking = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs ?? 10_000);
        this.#timer?.unref();
      });
    };
    this.#timer = setTimeout(tick, this.#options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** How often the client was connected again. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** One check: a ping, and when it finds no server, a probe and perhaps a reconnection. */
  async check(): Promise<void> {
    const { client, logger } = this.#options;
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'MongoServerSelectionError') return;
    }
    if (this.#stopped || !(await this.#databaseAnswers())) return;
    logger.warn(
      { event: 'database_client_reconnected' },
      'the database answers a new connection but this client found no server; reconnecting it',
    );
    this.#reconnects += 1;
    await client.close();
    await client.connect().catch(() => undefined);
  }

  async #databaseAnswers(): Promise<boolean> {
    const probe = new MongoClient(this.#options.uri, {
      serverSelectionTimeoutMS: this.#options.probeTimeoutMS ?? 5_000,
      connectTimeoutMS: this.#options.probeTimeoutMS ?? 5_000,
    });
    try {
      await probe.connect();
      await probe.db('admin').command({ ping: 1 });
      return true;
    } catch {
      return false;
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  /** Stops checking; waits for a check under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#checking;
  }
}
