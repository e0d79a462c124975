import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { MongoClient } from 'mongodb';

import { TcpProxy, describeWithMongo } from '@aman/testing';

import type { Logger } from './logger.ts';
import { MongoWatchdog } from './mongoWatchdog.ts';

const warnings: string[] = [];
const logger = {
  warn: (_fields: unknown, message: string) => warnings.push(message),
} as unknown as Logger;

describeWithMongo('MongoDB client watchdog', ({ uri, database }) => {
  const { hostname, port } = new URL(uri);
  const proxy = new TcpProxy({ host: hostname, port: Number(port || 27017) });
  let client: MongoClient;

  beforeAll(async () => {
    await proxy.open();
    client = new MongoClient(`mongodb://127.0.0.1:${String(proxy.port)}/`, {
      serverSelectionTimeoutMS: 1_000,
    });
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await proxy.close();
  });

  const ping = () => client.db(database).command({ ping: 1 });
  /** A watchdog of the client that probes through the proxy, quick to call the client stuck. */
  const watching = (more: { readonly probeTimeoutMS?: number } = {}) =>
    new MongoWatchdog({
      client,
      uri: `mongodb://127.0.0.1:${String(proxy.port)}/`,
      logger,
      stuckAfterMs: 300,
      ...more,
    });

  it('leaves a client that finds its server alone', async () => {
    const watchdog = new MongoWatchdog({ client, uri, logger });
    await watchdog.check();
    expect(watchdog.reconnects).toBe(0);
    await expect(ping()).resolves.toMatchObject({ ok: 1 });
  });

  it('reconnects a client left without a server while the database answers', async () => {
    const watchdog = watching();
    // The driver's state seen in the fault suite, made on purpose: the client's server monitor
    // stops (driver internals), then the database goes away and comes back. Nothing in the client
    // looks at the server again, so it keeps failing server selection.
    const topology = (client as unknown as { topology: { s: { servers: Map<string, unknown> } } })
      .topology;
    for (const server of topology.s.servers.values()) {
      (server as { monitor?: { close: () => void } }).monitor?.close();
    }
    await proxy.close();
    await expect(ping()).rejects.toThrow();
    await proxy.open();
    await expect(ping()).rejects.toMatchObject({ name: 'MongoServerSelectionError' });
    await expect(ping()).rejects.toMatchObject({ name: 'MongoServerSelectionError' });

    await watchdog.check();
    expect(watchdog.reconnects).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('reconnecting')]);
    await expect(ping()).resolves.toMatchObject({ ok: 1 });
    // Once it knows its server again, the next check leaves it be.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await watchdog.check();
    expect(watchdog.reconnects).toBe(1);
  });

  it('does nothing while the database itself does not answer', async () => {
    const watchdog = watching({ probeTimeoutMS: 500 });
    await proxy.close();
    try {
      await expect(ping()).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await watchdog.check();
      expect(watchdog.reconnects).toBe(0);
    } finally {
      await proxy.open();
    }
    await expect(
      (async () => {
        for (let attempt = 0; attempt < 50; attempt += 1) {
          try {
            return await ping();
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        return ping();
      })(),
    ).resolves.toMatchObject({ ok: 1 });
  });
});
