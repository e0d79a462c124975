import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';

import { kafkaBrokers, mongoUri, readMongoDatabases } from '@aman/testing';

import { DEMO_DEFENDER } from '../demoPerson.ts';
import { startOtlpReceiver } from './otlpReceiver.ts';

// The journey of issue 7, through the README's two commands as child processes: `pnpm start`
// (all six services) and `pnpm demo` (the NGO, provider and monitor over the public API, with a
// verifying webhook receiver). Then: one trace across every process, and the canary person in no
// log line, stored event, Kafka record or span.

const root = resolve(__dirname, '../../../..');
const canaries = Object.values(DEMO_DEFENDER);
const SERVICES = [
  'gateway',
  'intake',
  'risk-assessment',
  'referral',
  'accountability',
  'projections',
];

interface Run {
  readonly output: string;
  readonly code: number | null;
}

function run(command: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command[0] ?? 'pnpm', command.slice(1), { cwd: root, env, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command.join(' ')} timed out:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ output, code });
    });
  });
}

function startPlatform(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((ready, fail) => {
    const child = spawn('pnpm', ['start'], { cwd: root, env, stdio: 'pipe', detached: true });
    let output = '';
    const timer = setTimeout(() => {
      fail(new Error(`pnpm start did not get ready:\n${output}`));
    }, 240_000);
    const listen = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Aman is running.')) {
        clearTimeout(timer);
        ready({ child, output: () => output });
      }
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`pnpm start exited with ${String(code)}:\n${output}`));
    });
  });
}

function stopPlatform(child: ChildProcess): Promise<void> {
  const group = (signal: NodeJS.Signals): void => {
    // The whole process group: pnpm, the start script and the six services. Gone already: fine.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // ESRCH: nothing left to signal
    }
  };
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    child.removeAllListeners('exit');
    const timer = setTimeout(() => {
      group('SIGKILL');
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    group('SIGINT');
  });
}

/** Every file under `dir`, as text (binary SQLite pages included: a canary would show). */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return [
      { path, text: readFileSync(path).toString('latin1') + readFileSync(path).toString('utf8') },
    ];
  });
}

function journey(mode: 'embedded' | 'distributed'): void {
  describe(`the journey, ${mode} mode`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `aman-e2e-${mode}-`));
    const offset = mode === 'embedded' ? 0 : 100;
    const prefix = `e2e${Date.now().toString(36)}`;
    let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
    let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
    let env: NodeJS.ProcessEnv;
    let demo: Run;

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      env = {
        ...process.env,
        AMAN_DATA_DIR: dataDir,
        AMAN_HTTP_PORT: String(18_080 + offset),
        AMAN_DEMO_WEBHOOK_PORT: String(14_600 + offset),
        AMAN_INTAKE_PORT: String(51_051 + offset),
        AMAN_INTAKE_ADDRESS: `127.0.0.1:${51_051 + offset}`,
        AMAN_RISK_ASSESSMENT_PORT: String(51_052 + offset),
        AMAN_RISK_ASSESSMENT_ADDRESS: `127.0.0.1:${51_052 + offset}`,
        AMAN_REFERRAL_PORT: String(51_053 + offset),
        AMAN_REFERRAL_ADDRESS: `127.0.0.1:${51_053 + offset}`,
        AMAN_ACCOUNTABILITY_PORT: String(51_054 + offset),
        AMAN_ACCOUNTABILITY_ADDRESS: `127.0.0.1:${51_054 + offset}`,
        AMAN_PROJECTIONS_PORT: String(51_055 + offset),
        AMAN_PROJECTIONS_ADDRESS: `127.0.0.1:${51_055 + offset}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        LOG_LEVEL: 'debug',
        AMAN_DATABASE_PREFIX: prefix,
        AMAN_TOPIC_PREFIX: `${prefix}.`,
      };
      if (mode === 'embedded') {
        env['AMAN_MODE'] = 'embedded';
      } else {
        env['AMAN_MODE'] = 'distributed';
        env['AMAN_MASTER_KEY'] = Buffer.alloc(32, 7).toString('base64');
        env['AMAN_MASTER_KEY_ID'] = 'e2e-master';
        env['AMAN_BLIND_INDEX_KEY'] = Buffer.alloc(32, 9).toString('base64');
      }
      platform = await startPlatform(env);
      demo = await run(['pnpm', 'demo'], env, 180_000);
    }, 480_000);

    afterAll(async () => {
      if (platform !== undefined) await stopPlatform(platform.child);
      await otlp.close();
      rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('completes the demo: submission, signed webhook, packet, answers, stages, re-assessment', () => {
      if (demo.code !== 0)
        throw new Error(
          `pnpm demo failed:\n${demo.output}\n--- platform:\n${platform?.output() ?? ''}`,
        );
      expect(demo.output).toContain('signature verified with the standardwebhooks library');
      expect(demo.output).toMatch(/risk RISK_LEVEL_\w+ → RISK_LEVEL_\w+/);
    });

    it('carries one trace through every process, the webhook call included', async () => {
      const traceId = /trace: ([0-9a-f]{32})/.exec(demo.output)?.[1];
      expect(traceId).toBeDefined();
      const deadline = Date.now() + 15_000;
      const servicesInTrace = (): string[] =>
        [...new Set(otlp.spans.filter((s) => s.traceId === traceId).map((s) => s.service))].sort();
      while (servicesInTrace().length < SERVICES.length && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 250));
      }
      expect(servicesInTrace()).toEqual([...SERVICES].sort());
      expect(otlp.spans.some((s) => s.traceId === traceId && s.name === 'webhook.deliver')).toBe(
        true,
      );
    });

    it('never lets the canary person reach a log line, a stored event, a Kafka record or a span', async () => {
      const leaks: string[] = [];
      for (const file of filesUnder(dataDir)) {
        for (const canary of canaries)
          if (file.text.includes(canary)) leaks.push(`${file.path}: ${canary}`);
      }
      for (const body of otlp.raw) {
        for (const canary of canaries) if (body.includes(canary)) leaks.push(`a span: ${canary}`);
      }
      if (mode === 'distributed') {
        for (const collection of await readMongoDatabases(mongoUri() ?? '', prefix)) {
          for (const canary of canaries) {
            if (collection.text.includes(canary)) leaks.push(`${collection.name}: ${canary}`);
          }
        }
        const kafka = new Kafka({ brokers: kafkaBrokers() ?? [], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        await admin.disconnect();
        expect(topics.length).toBeGreaterThan(0);
        const consumer = kafka.consumer({ groupId: `${prefix}-canary-check` });
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        let records = 0;
        let quietSince = Date.now();
        await consumer.run({
          eachMessage: async ({ message }) => {
            records += 1;
            quietSince = Date.now();
            const text = `${message.value?.toString('latin1') ?? ''}${JSON.stringify(message.headers ?? {})}`;
            for (const canary of canaries)
              if (text.includes(canary)) leaks.push(`kafka: ${canary}`);
          },
        });
        while (Date.now() - quietSince < 3_000 || records === 0) {
          await new Promise((done) => setTimeout(done, 250));
          if (Date.now() - quietSince > 30_000) break;
        }
        await consumer.disconnect();
        expect(records).toBeGreaterThan(0);
      }
      expect(leaks).toEqual([]);
    }, 120_000);
  });
}

journey('embedded');
if (kafkaBrokers() !== undefined && mongoUri() !== undefined) journey('distributed');
else
  describe.skip('the journey, distributed mode [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
