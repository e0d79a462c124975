import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

// docker-compose.yml cannot run here (no Docker engine): this checks what a parser can. Every
// service of services/ has a container in the distributed mode; every long-running container
// has a health check; start-up order waits on health; Kafka and MongoDB authenticate with SCRAM;
// no secret is written in the file (they come from .env).

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');

interface Healthcheck {
  readonly test?: string | readonly string[];
}
interface DependsOn {
  readonly condition?: string;
}
interface Container {
  readonly image?: string;
  readonly build?: { readonly context?: string; readonly args?: Record<string, string> };
  readonly user?: string;
  readonly command?: readonly string[];
  readonly restart?: string;
  readonly environment?: Record<string, string | number>;
  readonly ports?: readonly string[];
  readonly healthcheck?: Healthcheck;
  readonly depends_on?: Record<string, DependsOn>;
}

// YAML merge keys (`<<: *anchor`), as compose reads them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Container>;
};
const containers = compose.services;
const dockerfile = read('Dockerfile');

/** The Aman services: the folders of services/ with a main.ts. */
const amanServices = readdirSync(`${root}services`).filter((name) =>
  existsSync(`${root}services/${name}/src/main.ts`),
);

/** Containers other containers wait for to finish: run once, no health to check. */
const oneShots = new Set(
  Object.values(containers).flatMap((container) =>
    Object.entries(container.depends_on ?? {})
      .filter(([, dependency]) => dependency.condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);

const builtFromDockerfile = (container: Container): boolean =>
  container.build?.context === '.' && container.build.args?.['SERVICE'] !== undefined;

const environmentOf = (name: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(containers[name]?.environment ?? {}).map(([key, value]) => [key, String(value)]),
  );

/** `${VAR}`, `${VAR:?message}`, …: a value compose takes from .env or the environment. */
const INTERPOLATION = /^\$\{([A-Z0-9_]+)(:?[?-][^}]*)?\}$/;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|_KEY$/;

describe('docker-compose.yml', () => {
  it('runs every service of services/ from the Dockerfile, each as a uid of its own', () => {
    expect(amanServices.length).toBeGreaterThanOrEqual(6);
    const users = new Set<string>();
    for (const service of amanServices) {
      const container = containers[service];
      expect(container).toBeDefined();
      expect(container?.build?.context).toBe('.');
      expect(container?.build?.args?.['SERVICE']).toBe(service);
      expect(container?.user).toMatch(/^[1-9]\d*:10000$/);
      users.add(String(container?.user));
      expect(environmentOf(service)['AMAN_MODE']).toBe('distributed');
    }
    expect(users.size).toBe(amanServices.length);
    expect(dockerfile).toMatch(/^USER 10001:10000$/m);
  });

  it('gives every long-running container a health check', () => {
    // The Aman images carry theirs (the Dockerfile's HEALTHCHECK).
    expect(dockerfile).toMatch(
      /^HEALTHCHECK .*\\\n\s+CMD \["node", "\/app\/infra\/compose\/healthcheck\.mjs"\]/m,
    );
    for (const [name, container] of Object.entries(containers)) {
      if (oneShots.has(name)) {
        expect([name, container.restart]).toEqual([name, 'no']);
      } else if (!builtFromDockerfile(container)) {
        expect([name, container.healthcheck?.test]).toEqual([name, expect.anything()]);
      }
    }
  });

  it('starts each container after what it needs is healthy (or, for one-shots, done)', () => {
    for (const [name, container] of Object.entries(containers)) {
      for (const [dependency, { condition }] of Object.entries(container.depends_on ?? {})) {
        expect([name, dependency, dependency in containers]).toEqual([name, dependency, true]);
        expect([name, dependency, condition]).toEqual([
          name,
          dependency,
          oneShots.has(dependency) ? 'service_completed_successfully' : 'service_healthy',
        ]);
      }
    }
    for (const service of amanServices) {
      const needs = containers[service]?.depends_on ?? {};
      for (const infrastructure of ['kafka', 'mongodb', 'keys-init']) {
        expect([service, infrastructure in needs]).toEqual([service, true]);
      }
      // A service that calls another (AMAN_<SERVICE>_ADDRESS) waits for it, at its compose name.
      for (const [variable, address] of Object.entries(environmentOf(service))) {
        const called = /^AMAN_([A-Z_]+)_ADDRESS$/.exec(variable)?.[1];
        if (called === undefined) continue;
        const target = called.toLowerCase().replaceAll('_', '-');
        expect(address).toMatch(new RegExp(`^${target}:\\d+$`));
        expect([service, target, needs[target]?.condition]).toEqual([
          service,
          target,
          'service_healthy',
        ]);
      }
    }
  });

  it('has no cycle in its start-up order', () => {
    const done = new Set<string>();
    const visiting = new Set<string>();
    const visit = (name: string, path: readonly string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' → ')}`);
      visiting.add(name);
      for (const dependency of Object.keys(containers[name]?.depends_on ?? {})) {
        visit(dependency, [...path, name]);
      }
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(containers)) visit(name, []);
    expect(done.size).toBe(Object.keys(containers).length);
  });

  it('authenticates every Kafka client from outside the broker with SASL/SCRAM-SHA-512', () => {
    const kafka = environmentOf('kafka');
    const protocols = new Map(
      (kafka['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP'] ?? '').split(',').map((entry) => {
        const [listener = '', protocol = ''] = entry.split(':');
        return [listener, protocol] as const;
      }),
    );
    const listeners = (kafka['KAFKA_LISTENERS'] ?? '').split(',');
    expect(listeners.length).toBeGreaterThan(0);
    for (const listener of listeners) {
      const [, name = '', host] = /^([A-Z_]+):\/\/([^:]*):\d+$/.exec(listener) ?? [];
      if (host === 'localhost') continue; // inside the broker's container only
      expect([listener, protocols.get(name)]).toEqual([listener, 'SASL_PLAINTEXT']);
      expect(kafka[`KAFKA_LISTENER_NAME_${name}_SCRAM___SHA___512_SASL_JAAS_CONFIG`]).toContain(
        'org.apache.kafka.common.security.scram.ScramLoginModule required',
      );
    }
    expect(kafka['KAFKA_SASL_ENABLED_MECHANISMS']).toBe('SCRAM-SHA-512');
    // The user is created when the storage is formatted, before the broker starts.
    const format = environmentOf('kafka-format');
    expect(containers['kafka']?.depends_on?.['kafka-format']?.condition).toBe(
      'service_completed_successfully',
    );
    expect(format['SCRAM_USERNAME']).toMatch(INTERPOLATION);
    expect(format['SCRAM_PASSWORD']).toMatch(INTERPOLATION);
    expect(read('infra/compose/kafka-format.sh')).toContain('--add-scram "SCRAM-SHA-512=');
    for (const service of amanServices) {
      const environment = environmentOf(service);
      expect(environment['KAFKA_SASL_MECHANISM']).toBe('scram-sha-512');
      expect(environment['KAFKA_SASL_USERNAME']).toBe(format['SCRAM_USERNAME']);
      expect(environment['KAFKA_SASL_PASSWORD']).toBe(format['SCRAM_PASSWORD']);
    }
  });

  it('runs MongoDB with authentication, the services as a user of their own databases', () => {
    const mongodb = containers['mongodb'];
    const environment = environmentOf('mongodb');
    // A key file turns authorisation on (and lets replica set members authenticate).
    expect(mongodb?.command).toEqual(expect.arrayContaining(['--replSet', '--keyFile']));
    for (const variable of ['MONGO_INITDB_ROOT_USERNAME', 'MONGO_INITDB_ROOT_PASSWORD']) {
      expect(environment[variable]).toMatch(INTERPOLATION);
    }
    const init = read('infra/compose/mongo-init/create-app-user.js');
    for (const service of amanServices) {
      expect(init).toContain(`'${service}'`);
      expect(environmentOf(service)['MONGODB_URI']).toMatch(
        /^mongodb:\/\/\$\{MONGO_APP_USERNAME[^}]*\}:\$\{MONGO_APP_PASSWORD[^}]*\}@mongodb:27017\/\?.*authSource=admin/,
      );
    }
  });

  it('writes no secret in the file: each comes from .env, which git ignores', () => {
    const example = read('.env.example');
    for (const [name, container] of Object.entries(containers)) {
      for (const [variable, value] of Object.entries(container.environment ?? {})) {
        if (!SECRET_NAME.test(variable)) continue;
        expect([name, variable, String(value)]).toEqual([
          name,
          variable,
          expect.stringMatching(INTERPOLATION),
        ]);
        const source = INTERPOLATION.exec(String(value))?.[1];
        // Listed in .env.example with no value: every deployment makes its own.
        expect([variable, example]).toEqual([
          variable,
          expect.stringMatching(new RegExp(`^${String(source)}=$`, 'm')),
        ]);
      }
    }
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', '.env.*']));
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, container] of Object.entries(containers)) {
      for (const port of container.ports ?? []) {
        expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:/)]);
      }
    }
  });

  it('sends every service’s traces to Jaeger and metrics to Prometheus through the collector, redacting both', () => {
    const collector = parse(read('infra/otel-collector/config.yaml')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint?: string }>;
      service: {
        pipelines: Record<
          string,
          { receivers: string[]; processors: string[]; exporters: string[] }
        >;
      };
    };
    const { pipelines } = collector.service;
    expect(Object.keys(pipelines).sort()).toEqual(['metrics', 'traces']);
    for (const [name, pipeline] of Object.entries(pipelines)) {
      // Every component a pipeline names is defined; both redact before they export.
      for (const receiver of pipeline.receivers)
        expect([name, receiver in collector.receivers]).toEqual([name, true]);
      for (const processor of pipeline.processors)
        expect([name, processor in collector.processors]).toEqual([name, true]);
      for (const exporter of pipeline.exporters)
        expect([name, exporter in collector.exporters]).toEqual([name, true]);
      expect([name, pipeline.receivers]).toEqual([name, ['otlp']]);
      expect([name, pipeline.processors.includes('attributes/redact')]).toEqual([name, true]);
    }
    expect(pipelines['traces']?.exporters).toEqual(['otlp/jaeger']);
    expect(pipelines['metrics']?.exporters).toEqual(['prometheus']);
    // Prometheus scrapes the collector's exporter, and starts after it.
    const port = collector.exporters['prometheus']?.endpoint?.split(':').at(-1);
    const prometheus = parse(read('infra/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    expect(
      prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets)),
    ).toEqual([`otel-collector:${port ?? ''}`]);
    expect(containers['prometheus']?.depends_on?.['otel-collector']?.condition).toBe(
      'service_healthy',
    );
    for (const service of amanServices) {
      expect([service, environmentOf(service)['OTEL_EXPORTER_OTLP_ENDPOINT']]).toEqual([
        service,
        'http://otel-collector:4318',
      ]);
    }
  });
});
