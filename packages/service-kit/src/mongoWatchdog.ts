import { MongoClient } from 'mongodb';

import type { Logger } from './logger.ts';

export interface MongoWatchdogOptions {
  /** The service's one client, shared by its stores. */
  readonly client: MongoClient;
  /** Where a fresh probe connects: the same URI as the client. */
  readonly uri: string;
  readonly logger: Logger;
  /** Between two checks (default 5 s). */
  readonly intervalMs?: number;
  /**
   * How long the client may know no server before the database is asked through a fresh client
   * (default 20 s: twice the driver's heartbeat, within which a healthy client sees a server
   * that came back).
   */
  readonly stuckAfterMs?: number;
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
 * So the watchdog follows the client's server descriptions (the driver's public SDAM events).
 * When every server the client knows has been Unknown for `stuckAfterMs`, the database is asked
 * through a fresh client: if it answers, the service's client is closed and connected again
 * (operations in flight fail as an outage, which callers retry and consumers wait out). A
 * database that is really down fails the probe too, and nothing is done.
 */
export class MongoWatchdog {
  readonly #options: MongoWatchdogOptions;
  /** Each server the client knows, by address, and its type now. */
  readonly #servers = new Map<string, string>();
  /** Since when no server the client knows is usable (undefined: one is). */
  #noServerSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #stopped = false;
  #reconnects = 0;

  constructor(options: MongoWatchdogOptions) {
    this.#options = options;
    options.client.on('serverDescriptionChanged', (event) => {
      this.#servers.set(event.address, event.newDescription.type);
      this.#follow();
    });
    options.client.on('serverClosed', (event) => {
      this.#servers.delete(event.address);
      this.#follow();
    });
  }

  #follow(): void {
    const none =
      this.#servers.size > 0 && [...this.#servers.values()].every((type) => type === 'Unknown');
    if (!none) this.#noServerSince = undefined;
    else this.#noServerSince ??= Date.now();
  }

  start(): void {
    const every = this.#options.intervalMs ?? 5_000;
    const tick = () => {
      this.#checking = this.check().finally(() => {
        this.#checking = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, every).unref();
      });
    };
    this.#timer = setTimeout(tick, every).unref();
  }

  /** How often the client was connected again. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** One check: when the client has known no server for too long, a probe, and perhaps more. */
  async check(): Promise<void> {
    const since = this.#noServerSince;
    if (since === undefined || Date.now() - since < (this.#options.stuckAfterMs ?? 20_000)) return;
    if (this.#stopped || !(await this.#databaseAnswers())) return;
    const { client, logger } = this.#options;
    logger.warn(
      { event: 'database_client_reconnected', seconds: Math.round((Date.now() - since) / 1000) },
      'the database answers a new connection but this client knew no server; reconnecting it',
    );
    this.#reconnects += 1;
    this.#noServerSince = undefined;
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
