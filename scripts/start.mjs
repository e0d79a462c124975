// `pnpm start`: runs the six services, each as its own process, in the embedded mode (SQLite
// files under the data directory; no Kafka, MongoDB or Docker) — or in the distributed mode when
// KAFKA_BROKERS and MONGODB_URI are set. Restarting keeps the data. On first run it creates a
// demo NGO, provider and monitor and prints their API keys once. Ctrl-C stops every process.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.AMAN_DATA_DIR ?? join(root, 'data'));
const logsDir = join(dataDir, 'logs');
const httpPort = Number(process.env.AMAN_HTTP_PORT ?? 8080);
const webhookPort = Number(process.env.AMAN_DEMO_WEBHOOK_PORT ?? 4600);
mkdirSync(logsDir, { recursive: true });

// Dependencies first: the gateway last, once every service it calls is up.
const services = [
  ['risk-assessment', 'services/risk-assessment/dist/main.js'],
  ['intake', 'services/intake/dist/main.js'],
  ['referral', 'services/referral/dist/main.js'],
  ['accountability', 'services/accountability/dist/main.js'],
  ['projections', 'services/projections/dist/main.js'],
  ['gateway', 'services/gateway/dist/main.js'],
];

// `pnpm start` is for trying Aman on one machine: the demo's webhook receiver listens on plain
// http on loopback, which the referral service refuses unless told otherwise.
const env = {
  AMAN_ALLOW_INSECURE_LOOPBACK_WEBHOOKS: '1',
  ...process.env,
  AMAN_DATA_DIR: dataDir,
};
const children = [];
let stopping = false;

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** Starts one service; resolves when it logs that it is ready. Its log goes to logs/<name>.log. */
function start(name, script) {
  return new Promise((resolveReady, reject) => {
    const child = spawn(process.execPath, [join(root, script)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push({ name, child });
    const log = createWriteStream(join(logsDir, `${name}.log`), { flags: 'a' });
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === `${name} ready`) resolveReady();
          if (entry.level >= 50) say(`  ${name}: ${entry.msg}`);
        } catch {
          // not JSON: the log file has it
        }
      }
    });
    child.stderr.on('data', (chunk) => {
      log.write(chunk);
      process.stderr.write(`  ${name}: ${chunk}`);
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        reject(
          new Error(`${name} exited (${code ?? signal}); see ${join(logsDir, `${name}.log`)}`),
        );
        void stopAll(1);
      }
    });
  });
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('\nstopping…');
  await Promise.all(
    children.reverse().map(
      ({ child }) =>
        new Promise((done) => {
          if (child.exitCode !== null) return done();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

/** First run: a demo NGO, a provider whose webhook points at `pnpm demo`'s receiver, a monitor. */
async function seedDemo() {
  const demoFile = join(dataDir, 'demo.json');
  if (existsSync(demoFile)) return JSON.parse(readFileSync(demoFile, 'utf8'));
  const { Admin, adminOptionsFromEnv } = await import(join(root, 'services/gateway/dist/admin.js'));
  const admin = await Admin.open(adminOptionsFromEnv(env));
  try {
    const ngo = await admin.createOrganisation('Demo NGO', 'ngo');
    const otherNgo = await admin.createOrganisation('Second NGO', 'ngo');
    const provider = await admin.createOrganisation('Demo Embassy', 'provider');
    const otherProvider = await admin.createOrganisation('Unrelated Shelter', 'provider');
    const monitor = await admin.createOrganisation('Demo Monitor', 'monitor');
    const registered = await admin.registerProvider({
      organisationId: provider.organisation.id,
      type: 'RECIPIENT_TYPE_EMBASSY',
      services: ['NEED_RELOCATION_ABROAD', 'NEED_EMERGENCY_GRANT'],
      riskLevels: ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
      webhookUrl: `http://127.0.0.1:${webhookPort}/webhooks/aman`,
    });
    const demo = {
      api: `http://127.0.0.1:${httpPort}`,
      webhookPort,
      ngo: { id: ngo.organisation.id, key: ngo.key },
      otherNgo: { id: otherNgo.organisation.id, key: otherNgo.key },
      provider: {
        id: provider.organisation.id,
        key: provider.key,
        webhookSecret: registered.webhookSecret,
      },
      otherProvider: { id: otherProvider.organisation.id, key: otherProvider.key },
      monitor: { id: monitor.organisation.id, key: monitor.key },
    };
    writeFileSync(demoFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
    say('\nFirst run: demo organisations created. Their API keys are shown once (also in');
    say(`${demoFile}, owner-only, for \`pnpm demo\`):`);
    say(`  NGO       ${ngo.organisation.id}  ${ngo.key}`);
    say(`  provider  ${provider.organisation.id}  ${provider.key}`);
    say(`  monitor   ${monitor.organisation.id}  ${monitor.key}`);
    return demo;
  } finally {
    await admin.close();
  }
}

try {
  const mode =
    env.KAFKA_BROKERS && env.MONGODB_URI && env.AMAN_MODE !== 'embedded'
      ? 'distributed'
      : 'embedded';
  say(`Aman (${mode} mode), data in ${dataDir}`);
  for (const [name, script] of services) {
    await start(name, script);
    say(`  ${name} ready`);
  }
  await seedDemo();
  say(
    `\nThe API:  http://127.0.0.1:${httpPort}/v1   contract: http://127.0.0.1:${httpPort}/openapi.json`,
  );
  say(`Logs:     ${logsDir}`);
  say('Try it:   pnpm demo        (in another terminal)        Ctrl-C stops everything.');
  say('Aman is running.');
} catch (error) {
  say(`Aman could not start: ${error.message}`);
  await stopAll(1);
}
