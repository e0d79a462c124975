import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import type * as grpc from '@grpc/grpc-js';

import { ConfigError, env, loadConfig, type ConfigSpec } from './config.ts';
import { startGrpcServer, type GrpcServer } from './grpc.ts';
import { ServiceIdentity } from './identity.ts';
import { kafkaSecurityOf, kafkaSecuritySpec } from './kafkaSecurity.ts';
import { createLogger, type Logger } from './logger.ts';
import { observePipeline } from './metrics.ts';
import { operationsService } from './operations.ts';
import { Platform, type PlatformConfig } from './platform.ts';
import { portOf, type ServiceName } from './services.ts';
import { startTelemetry } from './telemetry.ts';

/** What every service is given at start. */
export interface ServiceKit {
  readonly name: string;
  readonly platform: Platform;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
  readonly dataDir: string;
}

export interface StartedService {
  /** gRPC services to serve, if any (the gateway serves HTTP instead). */
  readonly grpc?: readonly {
    readonly name: string;
    readonly definition: grpc.ServiceDefinition;
    readonly implementation: grpc.UntypedServiceImplementation;
  }[];
  /** Called on shutdown, after the server stopped taking calls, before stores close. */
  readonly stop?: () => Promise<void>;
}

const baseSpec = {
  dataDir: env.string('AMAN_DATA_DIR', 'directory of the embedded stores and keys', 'data'),
  keysDir: env.optional('AMAN_KEYS_DIR', 'directory of the service keys (default <data>/keys)'),
  mode: env.oneOf(
    'AMAN_MODE',
    'embedded (SQLite) or distributed (Kafka + MongoDB); default: distributed when KAFKA_BROKERS and MONGODB_URI are set',
    ['auto', 'embedded', 'distributed'],
    'auto',
  ),
  kafkaBrokers: env.list('KAFKA_BROKERS', 'Kafka bootstrap servers, host:port,…'),
  kafkaSessionTimeoutMs: env.integer(
    'KAFKA_SESSION_TIMEOUT_MS',
    'ms a consumer may miss heartbeats before its partitions go to another member (the broker allows 6000–1800000)',
    30_000,
    6_000,
  ),
  ...kafkaSecuritySpec,
  mongoUri: env.optional('MONGODB_URI', 'MongoDB connection string'),
  databasePrefix: env.string('AMAN_DATABASE_PREFIX', 'prefix of MongoDB database names', 'aman'),
  topicPrefix: env.optional('AMAN_TOPIC_PREFIX', 'prefix of Kafka topics and consumer groups'),
  host: env.string('AMAN_HOST', 'interface to listen on', '127.0.0.1'),
  sqliteMaxMb: env.integer(
    'AMAN_SQLITE_MAX_MB',
    'embedded mode: the most each service’s event store file may grow to, in MB (0: as the disk allows); a write past it is refused with 503 and nothing is stored',
    0,
    0,
  ),
  evidenceMinutes: env.integer(
    'AMAN_EVIDENCE_INTERVAL_MINUTES',
    'minutes between evidence checkpoints over the service store (0: none)',
    15,
    0,
  ),
};

type BaseConfig = { [K in keyof typeof baseSpec]: ReturnType<(typeof baseSpec)[K]['parse']> };

function platformConfig(config: BaseConfig, dataDir: string): PlatformConfig {
  const distributed =
    config.mode === 'distributed' ||
    (config.mode === 'auto' && config.kafkaBrokers.length > 0 && config.mongoUri !== undefined);
  if (!distributed) {
    return {
      mode: 'embedded',
      dataDir,
      ...(config.sqliteMaxMb === 0 ? {} : { sqliteMaxMb: config.sqliteMaxMb }),
    };
  }
  if (config.kafkaBrokers.length === 0 || config.mongoUri === undefined) {
    throw new ConfigError(['AMAN_MODE=distributed needs KAFKA_BROKERS and MONGODB_URI']);
  }
  return {
    mode: 'distributed',
    mongoUri: config.mongoUri,
    kafkaBrokers: config.kafkaBrokers,
    kafkaSecurity: kafkaSecurityOf(config),
    kafkaSessionTimeoutMs: config.kafkaSessionTimeoutMs,
    databasePrefix: config.databasePrefix,
    ...(config.topicPrefix === undefined ? {} : { topicPrefix: config.topicPrefix }),
  };
}

/** Where a process finds its data and keys, and which platform the environment asks for. */
export interface Environment {
  readonly dataDir: string;
  readonly keysDir: string;
  readonly host: string;
  readonly platform: PlatformConfig;
  /** How often a service checkpoints its store (ms; 0: never). */
  readonly evidenceIntervalMs: number;
}

/**
 * Reads the environment every service (and the admin CLI) shares, the same way for all of them;
 * a bad or missing variable is a ConfigError naming it.
 */
export function environmentOf(source: NodeJS.ProcessEnv = process.env): Environment {
  const config = loadConfig(baseSpec, source);
  const dataDir = resolve(config.dataDir);
  return {
    dataDir,
    keysDir: resolve(config.keysDir ?? resolve(dataDir, 'keys')),
    host: config.host,
    platform: platformConfig(config, dataDir),
    evidenceIntervalMs: config.evidenceMinutes * 60_000,
  };
}

/**
 * Runs one service: telemetry first, configuration checked once (a bad variable stops it with a
 * message naming it), its identity and logger, the platform in the configured mode, its gRPC
 * server with health and reflection, and a graceful stop on SIGTERM or SIGINT.
 */
export async function runService<Extra = Record<string, never>>(
  name: ServiceName | 'gateway',
  start: (kit: ServiceKit, extra: Extra) => Promise<StartedService>,
  extraSpec?: ConfigSpec<Extra>,
): Promise<void> {
  const telemetry = startTelemetry(name);
  const logger = createLogger(name);
  let environment: Environment;
  let extra: Extra;
  let port: number | undefined;
  try {
    environment = environmentOf();
    extra = extraSpec === undefined ? ({} as Extra) : loadConfig(extraSpec);
    port = name === 'gateway' ? undefined : loadConfig({ port: portOf(name) }).port;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(2);
  }
  const { dataDir, keysDir, host } = environment;
  const platform = new Platform(environment.platform, name, logger);
  mkdirSync(dataDir, { recursive: true });
  const identity = await ServiceIdentity.load(name, keysDir);
  const kit: ServiceKit = { name, platform, identity, logger, dataDir };
  const started = await start(kit, extra);
  // The pipeline as metrics too: read when they are collected (nothing, unless exported).
  observePipeline(() => platform.pipelineStatus());
  platform.issueCheckpoints(identity.checkpointSigner, environment.evidenceIntervalMs);
  let server: GrpcServer | undefined;
  if (started.grpc !== undefined && port !== undefined) {
    // Every service answers an operator's pipeline status, beside health and reflection.
    const operations = operationsService({ platform, identity, logger });
    server = await startGrpcServer({
      host,
      port,
      services: [...started.grpc, operations],
      healthy: () => platform.healthy(),
    });
    logger.info({ port: server.port, mode: platform.mode }, `${name} ready`);
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} stopping`);
    await server?.stop();
    await started.stop?.();
    await platform.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
