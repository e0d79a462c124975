import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { OutboundClient, OutboundFailedError } from './client.ts';
import type { ResolvedAddress, Resolver } from './target.ts';

// A self-signed certificate for hooks.example, valid for a century: a test fixture, trusted by
// no one but these tests.
const fixtures = join(__dirname, 'fixtures');
const tls = {
  key: readFileSync(join(fixtures, 'hooks.example.key.pem')),
  cert: readFileSync(join(fixtures, 'hooks.example.crt.pem')),
};

type Seen = { host: string; path: string; headers: Record<string, unknown>; body: string };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

/** A receiver on one loopback address; records what reached it. */
async function receiver(
  host: string,
  options: { https?: boolean; port?: number; answer?: RequestListener } = {},
): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handle: RequestListener = (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        host,
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (options.answer !== undefined) options.answer(request, response);
      else response.writeHead(204).end();
    });
  };
  const server = options.https === true ? createHttpsServer(tls, handle) : createHttpServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Answers `first` at the first lookup and `after` at every later one: a rebinding name. */
function rebinding(first: string, after: string): Resolver & { calls: number } {
  const resolver = Object.assign(
    (): Promise<readonly ResolvedAddress[]> => {
      resolver.calls += 1;
      const address = resolver.calls === 1 ? first : after;
      return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
    },
    { calls: 0 },
  );
  return resolver;
}

const post = { headers: { 'content-type': 'application/json' }, body: '{"type":"ping"}' };

describe('OutboundClient', () => {
  it('posts the body with its headers and answers the status, without reading the answer', async () => {
    const { port, seen } = await receiver('127.0.0.1', {
      answer: (_request, response) => {
        response.writeHead(202, { 'content-type': 'text/plain' });
        // An endpoint that talks a lot: the client must not wait for it, nor keep it.
        response.write('x'.repeat(64 * 1024));
      },
    });
    const client = new OutboundClient({ allowInsecureLoopback: true, timeoutMs: 2_000 });
    const answer = await client.post(`http://127.0.0.1:${port}/in?token=t`, {
      headers: {
        ...post.headers,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
      body: post.body,
    });
    expect(answer).toEqual({ status: 202, address: '127.0.0.1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: '/in?token=t', body: post.body });
    expect(seen[0]?.headers['traceparent']).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const { port, seen } = await receiver('127.0.0.1', {
      answer: (request, response) => {
        if (request.url === '/in') response.writeHead(307, { location: '/trap' }).end();
        else response.writeHead(200).end();
      },
    });
    const client = new OutboundClient({ allowInsecureLoopback: true });
    await expect(client.post(`http://127.0.0.1:${port}/in`, post)).resolves.toMatchObject({
      status: 307,
    });
    expect(seen.map((request) => request.path)).toEqual(['/in']);
  });

  it('connects to the address it checked though the name rebinds to another (http)', async () => {
    // The same port on two loopback addresses: 127.0.0.2 stands for the checked address,
    // 127.0.0.1 for the internal one the name points to by the time the socket would look again
    // (as the system's own lookup of `localhost` would also answer).
    const checked = await receiver('127.0.0.2');
    const internal = await receiver('127.0.0.1', { port: checked.port });
    const resolver = rebinding('127.0.0.2', '127.0.0.1');
    const client = new OutboundClient({ allowInsecureLoopback: true, resolver });
    const answer = await client.post(`http://localhost:${checked.port}/in`, post);
    expect(answer.address).toBe('127.0.0.2');
    expect(checked.seen).toHaveLength(1);
    expect(internal.seen).toHaveLength(0);
    expect(resolver.calls).toBe(1);
    // The receiver saw the name, not the address: virtual hosting keeps working.
    expect(checked.seen[0]?.headers['host']).toBe(`localhost:${checked.port}`);
  });

  it('connects to the address it checked over TLS, verifying the certificate for the name', async () => {
    const checked = await receiver('127.0.0.1', { https: true });
    const internal = await receiver('127.0.0.2', { https: true, port: checked.port });
    const resolver = rebinding('127.0.0.1', '127.0.0.2');
    const client = new OutboundClient({ allowInsecureLoopback: true, resolver, ca: tls.cert });
    const answer = await client.post(`https://hooks.example:${checked.port}/in`, post);
    expect(answer).toEqual({ status: 204, address: '127.0.0.1' });
    expect(checked.seen).toHaveLength(1);
    expect(internal.seen).toHaveLength(0);
    expect(resolver.calls).toBe(1);
  });

  it('sends nothing to 127.0.0.1 when the name answered a public address at the check', async () => {
    const local = await receiver('127.0.0.1', { https: true });
    const resolver = rebinding('93.184.215.14', '127.0.0.1');
    // No development setting: loopback is forbidden, the public address is what was checked.
    const client = new OutboundClient({ resolver, ca: tls.cert, connectTimeoutMs: 300 });
    const outcome = await client.post(`https://hooks.example:${local.port}/in`, post).then(
      (answer) => ({ address: answer.address }),
      (error: unknown) => ({ address: (error as OutboundFailedError).address, error }),
    );
    // Wherever this machine's network takes the public address (nowhere, usually), the socket
    // went there and not to the address the name answered afterwards.
    expect(outcome.address).toBe('93.184.215.14');
    expect(local.seen).toHaveLength(0);
    expect(resolver.calls).toBe(1);
  });

  it('refuses a self-signed certificate it was not told to trust', async () => {
    const { port, seen } = await receiver('127.0.0.1', { https: true });
    const client = new OutboundClient({
      allowInsecureLoopback: true,
      resolver: rebinding('127.0.0.1', '127.0.0.1'),
    });
    const error = await expectAmanError(
      client.post(`https://hooks.example:${port}/in`, post),
      'AMAN_ERR_UNAVAILABLE',
    );
    expect(error).toBeInstanceOf(OutboundFailedError);
    expect(seen).toHaveLength(0);
  });

  it('refuses loopback, private and metadata targets before connecting', async () => {
    const { port, seen } = await receiver('127.0.0.1');
    const client = new OutboundClient({ resolver: rebinding('169.254.169.254', '127.0.0.1') });
    await expectAmanError(client.post(`http://127.0.0.1:${port}/in`, post), 'AMAN_ERR_VALIDATION');
    await expectAmanError(client.post(`https://127.0.0.1:${port}/in`, post), 'AMAN_ERR_VALIDATION');
    await expectAmanError(
      client.post(`https://[::ffff:127.0.0.1]:${port}/in`, post),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(client.post(`https://metadata.example/in`, post), 'AMAN_ERR_VALIDATION');
    // The development setting opens loopback, never the rest.
    const dev = new OutboundClient({
      allowInsecureLoopback: true,
      resolver: rebinding('10.0.0.1', '10.0.0.1'),
    });
    await expectAmanError(dev.post(`https://internal.example/in`, post), 'AMAN_ERR_VALIDATION');
    expect(seen).toHaveLength(0);
  });

  it('checks at registration by the same rules, resolving the name', async () => {
    const client = new OutboundClient({ resolver: rebinding('10.0.0.1', '10.0.0.1') });
    await expectAmanError(client.check('https://hooks.example/in'), 'AMAN_ERR_VALIDATION');
    await expectAmanError(client.check('http://hooks.example/in'), 'AMAN_ERR_VALIDATION');
    const open = new OutboundClient({ resolver: rebinding('93.184.215.14', '93.184.215.14') });
    await expect(open.check('https://Hooks.Example/in#x')).resolves.toBe(
      'https://hooks.example/in',
    );
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const { port } = await receiver('127.0.0.1', { answer: () => undefined });
    const client = new OutboundClient({ allowInsecureLoopback: true, timeoutMs: 300 });
    const started = Date.now();
    const error = await expectAmanError(
      client.post(`http://127.0.0.1:${port}/in`, post),
      'AMAN_ERR_UNAVAILABLE',
    );
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops when its signal is aborted', async () => {
    const { port } = await receiver('127.0.0.1', { answer: () => undefined });
    const client = new OutboundClient({ allowInsecureLoopback: true });
    const error = await expectAmanError(
      client.post(`http://127.0.0.1:${port}/in`, { ...post, signal: AbortSignal.timeout(100) }),
      'AMAN_ERR_UNAVAILABLE',
    );
    expect(error).toMatchObject({ reason: 'aborted' });
  });

  it('reports a refused connection by its code and address, never the URL', async () => {
    const { port } = await receiver('127.0.0.1');
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const client = new OutboundClient({ allowInsecureLoopback: true });
    const error = await expectAmanError(
      client.post(`http://127.0.0.1:${port}/in?token=canary`, post),
      'AMAN_ERR_UNAVAILABLE',
    );
    expect(error).toMatchObject({ reason: 'ECONNREFUSED', address: '127.0.0.1' });
    expect(error.message).not.toContain('canary');
  });
});
