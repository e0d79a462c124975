// The six services as child processes, started the way `pnpm start` starts them (scripts/start.mjs):
// `node services/<name>/dist/main.js` with the platform's environment, dependencies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const SERVICES = [
  'risk-assessment',
  'intake',
  'referral',
  'accountability',
  'projections',
  'gateway',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export type Mode = 'embedded' | 'distributed';

const READY_TIMEOUT_MS = 120_000;

/** What the bench uses of the gateway's admin (services/gateway/dist/admin.js). */
interface Admin {
  createOrganisation(
    name: string,
    type: 'ngo' | 'provider',
  ): Promise<{ organisation: { id: string }; key: string }>;
  registerProvider(provider: {
    organisationId: string;
    type: string;
    services: readonly string[];
    riskLevels: readonly string[];
    webhookUrl: string;
  }): Promise<{ webhookSecret: string }>;
  close(): Promise<void>;
}

interface AdminModule {
  readonly Admin: { readonly open: (options: unknown) => Promise<Admin> };
  readonly adminOptionsFromEnv: (source: NodeJS.ProcessEnv) => unknown;
}

export interface Organisations {
  readonly ngoKey: string;
  readonly webhookSecret: string;
}

export interface PlatformOptions {
  readonly mode: Mode;
  /**
   * Ports are offset from 28_080 (HTTP) and 22_151 (gRPC), clear of the tests' ranges and below
   * Linux's ephemeral range (32768–60999), where another connection's end may hold the port.
   */
  readonly portOffset: number;
  /** Runs on the fresh data directory before any service starts (embedded: pre-filled stores). */
  readonly prepare?: (dataDir: string) => Promise<void>;
  readonly webhookUrl: string;
  readonly kafkaBrokers: string;
  readonly mongodbUri: string;
}

/** Needs and levels of the bench's provider: every submission is routed to it. */
export const PROVIDER = {
  type: 'RECIPIENT_TYPE_EMBASSY',
  services: ['NEED_RELOCATION_ABROAD', 'NEED_EMERGENCY_GRANT'],
  riskLevels: ['RISK_LEVEL_LOW', 'RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
} as const;

/** One running platform: six processes, a data directory, and (distributed) a prefix. */
export class RunningPlatform {
  readonly api: string;
  readonly mode: Mode;
  readonly #children = new Map<ServiceName, ChildProcess>();
  readonly #dataDir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #prefix: string;
  readonly #options: PlatformOptions;

  private constructor(options: PlatformOptions) {
    this.mode = options.mode;
    this.#options = options;
    this.#dataDir = mkdtempSync(join(tmpdir(), `aman-bench-${options.mode}-`));
    this.#prefix = `bench${Date.now().toString(36)}`;
    const http = 28_080 + options.portOffset;
    const grpc = 22_151 + options.portOffset * 10;
    this.api = `http://127.0.0.1:${http}`;
    const address = (index: number): string => `127.0.0.1:${grpc + index}`;
    this.#env = {
      ...process.env,
      AMAN_MODE: options.mode,
      AMAN_DATA_DIR: this.#dataDir,
      AMAN_HTTP_PORT: String(http),
      AMAN_INTAKE_PORT: String(grpc),
      AMAN_INTAKE_ADDRESS: address(0),
      AMAN_RISK_ASSESSMENT_PORT: String(grpc + 1),
      AMAN_RISK_ASSESSMENT_ADDRESS: address(1),
      AMAN_REFERRAL_PORT: String(grpc + 2),
      AMAN_REFERRAL_ADDRESS: address(2),
      AMAN_ACCOUNTABILITY_PORT: String(grpc + 3),
      AMAN_ACCOUNTABILITY_ADDRESS: address(3),
      AMAN_PROJECTIONS_PORT: String(grpc + 4),
      AMAN_PROJECTIONS_ADDRESS: address(4),
      AMAN_ALLOW_INSECURE_LOOPBACK_WEBHOOKS: '1',
      // The load comes from one key and one address: the limits would measure themselves.
      AMAN_RATE_LIMIT_PER_MINUTE: '10000000',
      AMAN_DATABASE_PREFIX: this.#prefix,
      AMAN_TOPIC_PREFIX: `${this.#prefix}.`,
      KAFKA_BROKERS: options.kafkaBrokers,
      MONGODB_URI: options.mongodbUri,
      // The platform's own telemetry stays off, as in `pnpm start` without a collector.
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_TRACES_EXPORTER: '',
    };
    if (options.mode === 'distributed') {
      this.#env['AMAN_MASTER_KEY'] = Buffer.alloc(32, 3).toString('base64');
      this.#env['AMAN_MASTER_KEY_ID'] = 'bench-master';
      this.#env['AMAN_BLIND_INDEX_KEY'] = Buffer.alloc(32, 5).toString('base64');
    }
  }

  /** Starts every service (dependencies first), then creates an NGO and the provider. */
  static async start(options: PlatformOptions): Promise<{
    platform: RunningPlatform;
    organisations: Organisations;
  }> {
    const platform = new RunningPlatform(options);
    try {
      await options.prepare?.(platform.#dataDir);
      for (const name of SERVICES) await platform.#startService(name);
      return { platform, organisations: await platform.#seed() };
    } catch (error) {
      await platform.stop();
      throw error;
    }
  }

  #startService(name: ServiceName): Promise<void> {
    return new Promise((ready, fail) => {
      // BENCH_CPU_PROFILE_DIR: each service writes a V8 CPU profile there when it stops.
      const profileDir = process.env['BENCH_CPU_PROFILE_DIR'];
      const profiling =
        profileDir === undefined || profileDir === ''
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`];
      const main = join(ROOT, `services/${name}/dist/main.js`);
      const child = spawn(process.execPath, [...profiling, main], {
        cwd: ROOT,
        env: this.#env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.#children.set(name, child);
      const log = createWriteStream(join(this.#dataDir, `${name}.log`), { flags: 'a' });
      const timer = setTimeout(() => {
        fail(new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString();
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.includes(`"${name} ready"`)) {
            clearTimeout(timer);
            ready();
          }
        }
      });
      child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`${name} exited (${String(code ?? signal)}) before it was ready`));
      });
    });
  }

  async #seed(): Promise<Organisations> {
    const adminPath = join(ROOT, 'services/gateway/dist/admin.js');
    const { Admin, adminOptionsFromEnv } = (await import(adminPath)) as AdminModule;
    const admin = await Admin.open(adminOptionsFromEnv(this.#env));
    try {
      const ngo = await admin.createOrganisation('Bench NGO', 'ngo');
      const provider = await admin.createOrganisation('Bench Embassy', 'provider');
      const { webhookSecret } = await admin.registerProvider({
        organisationId: provider.organisation.id,
        ...PROVIDER,
        webhookUrl: this.#options.webhookUrl,
      });
      return { ngoKey: ngo.key, webhookSecret };
    } finally {
      await admin.close();
    }
  }

  /** Resident set size of every service now, in MiB (Linux: /proc/<pid>/status). */
  residentMemory(): Record<ServiceName, number> {
    const sizes = {} as Record<ServiceName, number>;
    for (const [name, child] of this.#children) {
      const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
      const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      sizes[name] = kib / 1024;
    }
    return sizes;
  }

  /**
   * Waits until every service has been idle (under `idlePercent` of a core together) for a whole
   * second: a platform that just started over a large log is still reading it, and a figure taken
   * meanwhile would measure that reading. Resolves with the seconds it took; after `timeoutMs`
   * (default 2 minutes) it resolves anyway, with `settled` false, and the figure says so.
   */
  async settle(
    options: { readonly idlePercent?: number; readonly timeoutMs?: number } = {},
  ): Promise<{ readonly seconds: number; readonly settled: boolean }> {
    // Idle, the embedded platform uses under 10 % of a core in all; the distributed one about
    // 45 %, its relays and consumers polling FerretDB and Kafka (measured on the 2-core machines).
    const idlePercent = options.idlePercent ?? (this.mode === 'embedded' ? 15 : 70);
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const started = Date.now();
    const ticks = (): number => {
      let sum = 0;
      for (const child of this.#children.values()) {
        // utime and stime, fields 14 and 15 of /proc/<pid>/stat, after the command's parenthesis.
        const stat = readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        sum += Number(fields[11]) + Number(fields[12]);
      }
      return sum;
    };
    for (;;) {
      const before = ticks();
      await new Promise((wait) => setTimeout(wait, 1_000));
      // Clock ticks are 1/100 s on Linux: ticks in one second are percent of a core.
      const seconds = (Date.now() - started) / 1000;
      if (ticks() - before < idlePercent) return { seconds, settled: true };
      if (Date.now() > deadline) return { seconds, settled: false };
    }
  }

  /** Stops every service (gateway first), then removes its data: directory, databases, topics. */
  async stop(): Promise<void> {
    for (const [, child] of [...this.#children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(this.#dataDir, { recursive: true, force: true });
    if (this.mode === 'distributed') await this.#dropDistributedData();
  }

  async #dropDistributedData(): Promise<void> {
    const client = new MongoClient(this.#options.mongodbUri, { serverSelectionTimeoutMS: 3_000 });
    try {
      const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
      for (const { name } of databases) {
        if (name.startsWith(this.#prefix)) await client.db(name).dropDatabase();
      }
    } finally {
      await client.close();
    }
    const admin = new Kafka({
      clientId: 'aman-bench',
      brokers: this.#options.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(this.#prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }
}
