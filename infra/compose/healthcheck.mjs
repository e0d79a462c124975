// The container health check of an Aman service (the image's HEALTHCHECK): exit 0 when healthy.
// A gRPC service answers the standard grpc.health.v1 Check with SERVING (service-kit's server
// reports SERVING once started and NOT_SERVING while it stops); the gateway answers GET /health.
// The service is named by AMAN_SERVICE (set by the image) and its port comes from the same
// variables, with the same defaults, as the service's own.
/* global fetch, AbortSignal, URL */
import { createRequire } from 'node:module';

const TIMEOUT_MS = 4000;
const service = process.env.AMAN_SERVICE ?? '';

function fail(reason) {
  process.stderr.write(`${service || 'service'} unhealthy: ${reason}\n`);
  process.exit(1);
}

async function gatewayHealthy() {
  // services/gateway/src/main.ts: AMAN_HTTP_PORT, 8080 by default.
  const port = process.env.AMAN_HTTP_PORT || '8080';
  const response = await fetch(`http://127.0.0.1:${port}/health`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) fail(`GET /health answered ${response.status}`);
}

async function grpcServing() {
  // grpc-js and the health service's definition, from the package that serves them.
  const require = createRequire(
    new URL('../../packages/service-kit/package.json', import.meta.url),
  );
  const grpc = require('@grpc/grpc-js');
  const { service: healthService } = require('grpc-health-check');
  const { portOf } = await import('../../packages/service-kit/dist/services.js');
  const port = portOf(service).parse(process.env[portOf(service).name]);
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const status = await new Promise((resolve, reject) => {
    client.check({ service: '' }, { deadline: Date.now() + TIMEOUT_MS }, (error, response) => {
      if (error) reject(error);
      else resolve(response.status);
    });
  });
  client.close();
  if (status !== 'SERVING') fail(`health status ${status}`);
}

try {
  if (service === 'gateway') await gatewayHealthy();
  else if (service !== '') await grpcServing();
  else fail('AMAN_SERVICE is not set');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
