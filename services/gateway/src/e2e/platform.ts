import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

import { Admin, adminOptionsFromEnv } from '../admin.ts';

/** The repository's root, where `pnpm start` and the services' dist/ are. */
export const ROOT = resolve(__dirname, '../../../..');

/** The six services, in the order `pnpm start` starts them: the gateway last. */
export const SERVICE_ORDER = [
  'risk-assessment',
  'intake',
  'referral',
  'accountability',
  'projections',
  'gateway',
] as const;
export type ServiceName = (typeof SERVICE_ORDER)[number];

export interface PlatformOptions {
  readonly mode: 'embedded' | 'distributed';
  readonly dataDir: string;
  /** Added to every port, so that suites running one after another never share one. */
  readonly offset: number;
  /** Names the run's databases and topics (distributed mode). */
  readonly prefix: string;
}

/** The API's base URL for a port offset. */
export const apiOf = (offset: number): string => `http://127.0.0.1:${String(18_080 + offset)}`;

/**
 * The environment of a platform under test: its data directory, its ports, its mode (with
 * distributed keys and prefixes), and limits high enough for tests that poll as fast as they can.
 */
export function platformEnv(options: PlatformOptions): NodeJS.ProcessEnv {
  const { offset } = options;
  const grpc = (name: string, port: number): NodeJS.ProcessEnv => ({
    [`AMAN_${name}_PORT`]: String(port + offset),
    [`AMAN_${name}_ADDRESS`]: `127.0.0.1:${String(port + offset)}`,
  });
  // Every fixed port sits below 32768, outside Linux's ephemeral range (32768–60999): a port in
  // that range can already hold the outgoing end of some other connection, and bind fails.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AMAN_DATA_DIR: options.dataDir,
    AMAN_HTTP_PORT: String(18_080 + offset),
    AMAN_DEMO_WEBHOOK_PORT: String(14_600 + offset),
    ...grpc('INTAKE', 21_051),
    ...grpc('RISK_ASSESSMENT', 21_052),
    ...grpc('REFERRAL', 21_053),
    ...grpc('ACCOUNTABILITY', 21_054),
    ...grpc('PROJECTIONS', 21_055),
    AMAN_ALLOW_INSECURE_LOOPBACK_WEBHOOKS: '1',
    // The tests poll as fast as they can with one key each.
    AMAN_RATE_LIMIT_PER_MINUTE: '100000',
    AMAN_AUTH_FAILURES_PER_KEY: '100000',
    AMAN_AUTH_FAILURES_PER_SOURCE: '100000',
    AMAN_DATABASE_PREFIX: options.prefix,
    AMAN_TOPIC_PREFIX: `${options.prefix}.`,
  };
  if (options.mode === 'embedded') {
    env['AMAN_MODE'] = 'embedded';
  } else {
    env['AMAN_MODE'] = 'distributed';
    env['AMAN_MASTER_KEY'] = Buffer.alloc(32, 7).toString('base64');
    env['AMAN_MASTER_KEY_ID'] = 'e2e-master';
    env['AMAN_BLIND_INDEX_KEY'] = Buffer.alloc(32, 9).toString('base64');
  }
  return env;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * The six services as separate processes (`node services/<name>/dist/main.js`, as `pnpm start`
 * runs them), each of which a fault test can kill, pause and start again. Each one's log is
 * appended to `<data dir>/logs/<name>.log`. Build first (`tsc -b`).
 */
export class ServiceProcesses {
  readonly #env: NodeJS.ProcessEnv;
  readonly #logs: string;
  readonly #running = new Map<ServiceName, Running>();
  readonly #stopping = new WeakSet<ChildProcess>();
  /** Services that exited without being killed or stopped, with the end of their output. */
  readonly unexpectedExits: string[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
    this.#logs = join(env['AMAN_DATA_DIR'] ?? '.', 'logs');
    mkdirSync(this.#logs, { recursive: true });
  }

  /** Starts every service in order, each once the one before is ready. */
  async startAll(): Promise<void> {
    for (const name of SERVICE_ORDER) await this.start(name);
  }

  /** Starts one service (with `extraEnv` over the platform's); resolves once it is ready. */
  start(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    if (this.#running.has(name)) throw new Error(`${name} is running already`);
    const child = spawn(process.execPath, [join(ROOT, `services/${name}/dist/main.js`)], {
      cwd: ROOT,
      env: { ...this.#env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: WriteStream = createWriteStream(join(this.#logs, `${name}.log`), { flags: 'a' });
    let tail = '';
    const exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        this.#running.delete(name);
        log.end();
        // Not asked to go: a service that dies by itself is a failure of the platform.
        if (!this.#stopping.has(child)) {
          this.unexpectedExits.push(
            `${name} exited by itself (${String(code ?? signal)}):\n${tail.slice(-3000)}`,
          );
        }
        done();
      });
    });
    this.#running.set(name, { child, exited });
    return new Promise((ready, fail) => {
      let buffered = '';
      let output = '';
      const timer = setTimeout(() => {
        fail(new Error(`${name} did not get ready:\n${output.slice(-4000)}`));
      }, 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        log.write(chunk);
        tail = (tail + chunk.toString()).slice(-6000);
        output += chunk.toString();
        buffered += chunk.toString();
        for (let newline = buffered.indexOf('\n'); newline >= 0;) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.includes(`"msg":"${name} ready"`)) {
            clearTimeout(timer);
            ready();
          }
          newline = buffered.indexOf('\n');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        log.write(chunk);
        tail = (tail + chunk.toString()).slice(-6000);
        output += chunk.toString();
      });
      void exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`${name} exited before it was ready:\n${output.slice(-4000)}`));
      });
    });
  }

  /** SIGKILL: no shutdown, no flush, whatever it was doing. Resolves once it is gone. */
  async kill(name: ServiceName): Promise<void> {
    const running = this.#running.get(name);
    if (running === undefined) return;
    this.#stopping.add(running.child);
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /** SIGSTOP or SIGCONT: the process stops (or goes on) where it is, connections open. */
  signal(name: ServiceName, signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.#running.get(name)?.child.kill(signal);
  }

  /** Stops every service gracefully (SIGTERM, then SIGKILL after 20 s), the gateway first. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#running.entries()].map(async ([, { child, exited }]) => {
        this.#stopping.add(child);
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** One call to the public API with an organisation's key: its status and JSON body. */
export async function callApi(
  base: string,
  method: string,
  path: string,
  key: string,
  options: {
    readonly body?: unknown;
    readonly idempotencyKey?: string | undefined;
    readonly traceparent?: string | undefined;
  } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const { body, idempotencyKey, traceparent } = options;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      ...(traceparent === undefined ? {} : { traceparent }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  try {
    return {
      status: response.status,
      json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  } catch {
    return { status: response.status, json: { unparsed: text.slice(0, 200) } };
  }
}

/**
 * The organisations of a fault suite, made with the admin's tools as `pnpm start` makes the demo's:
 * an NGO, and a provider taking every risk level whose webhooks go to `webhookUrl`. Their keys,
 * and the provider's webhook secret.
 */
export async function seedNgoAndProvider(
  env: NodeJS.ProcessEnv,
  provider: {
    readonly name: string;
    readonly type: string;
    readonly services: readonly string[];
    readonly webhookUrl: string;
  },
): Promise<{ ngo: string; provider: string; webhookSecret: string }> {
  const admin = await Admin.open(adminOptionsFromEnv(env));
  try {
    const ngo = await admin.createOrganisation(`${provider.name} NGO`, 'ngo');
    const organisation = await admin.createOrganisation(provider.name, 'provider');
    const registered = await admin.registerProvider({
      organisationId: organisation.organisation.id,
      type: provider.type,
      services: provider.services,
      riskLevels: ['RISK_LEVEL_LOW', 'RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
      webhookUrl: provider.webhookUrl,
    });
    return { ngo: ngo.key, provider: organisation.key, webhookSecret: registered.webhookSecret };
  } finally {
    await admin.close();
  }
}
