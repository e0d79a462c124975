import { env, type Variable } from './config.ts';

/** Every service's gRPC port in the embedded mode; distributed deployments set the addresses. */
export const SERVICES = {
  intake: 50051,
  'risk-assessment': 50052,
  referral: 50053,
  accountability: 50054,
  projections: 50055,
} as const;

export type ServiceName = keyof typeof SERVICES;

function variableName(service: ServiceName, what: string): string {
  return `AMAN_${service.replaceAll('-', '_').toUpperCase()}_${what}`;
}

/** `AMAN_<SERVICE>_ADDRESS`: where to call a service (default 127.0.0.1 and its port). */
export function addressOf(service: ServiceName): Variable<string> {
  return env.string(
    variableName(service, 'ADDRESS'),
    `host:port of the ${service} gRPC service`,
    `127.0.0.1:${SERVICES[service]}`,
  );
}

/** `AMAN_<SERVICE>_PORT`: the port a service listens on. */
export function portOf(service: ServiceName): Variable<number> {
  return env.port(variableName(service, 'PORT'), `gRPC port of ${service}`, SERVICES[service]);
}
