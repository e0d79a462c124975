// The container health check of an Aman service (the image's HEALTHCHECK): exit 0 when healthy.
// A gRPC service answers the standard grpc.health.v1 Check with SERVING (service-kit's server
// reports SERVING once started and NOT_SERVING while it stops); the gateway answers GET /health.
// The service is named by AMAN_SERVICE (set by the image) and its port comes from the same
// variables, with the same defaults, as the service's own.
/* global fetch, AbortSignal, URL */

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
  // service-kit's own check of the standard grpc.health.v1 service, and its port settings.
  const { grpcHealth } = await import('../../packages/service-kit/dist/grpc.js');
  const { portOf } = await import('../../packages/service-kit/dist/services.js');
  const port = portOf(service).parse(process.env[portOf(service).name]);
  const status = await grpcHealth(`127.0.0.1:${port}`, TIMEOUT_MS);
  if (status !== 'SERVING') fail(`health status ${status}`);
}

try {
  if (service === 'gateway') await gatewayHealthy();
  else if (service !== '') await grpcServing();
  else fail('AMAN_SERVICE is not set');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
