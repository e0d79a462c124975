import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { accountability } from '@aman/contracts';
import { ValidationError } from '@aman/errors';
import { eventually, expectAmanError } from '@aman/testing';

import { loadConfig, env, ConfigError } from './config.ts';
import { ServiceClient, grpcHealth, implement, startGrpcServer, type GrpcServer } from './grpc.ts';
import { ServiceIdentity, type Principal } from './identity.ts';
import { createLogger } from './logger.ts';

const monitor: Principal = {
  organisationId: 'org-monitor',
  organisationType: 'monitor',
  keyId: 'k1',
};

describe('service identity and the gRPC server', () => {
  const keys = mkdtempSync(join(tmpdir(), 'aman-keys-'));
  let server: GrpcServer;
  let gateway: ServiceIdentity;
  let referral: ServiceIdentity;
  const seen: { caller: string; organisation: string | undefined }[] = [];

  beforeAll(async () => {
    const service = await ServiceIdentity.load('accountability', keys);
    gateway = await ServiceIdentity.load('gateway', keys);
    referral = await ServiceIdentity.load('referral', keys);
    const implementation = implement<accountability.AccountabilityServiceServer>(
      'aman.accountability.v1.AccountabilityService',
      {
        recordIncident: {
          callers: ['gateway'],
          handle: (request, call) => {
            seen.push({
              caller: call.caller.service,
              organisation: call.caller.principal?.organisationId,
            });
            if (request.caseId === '') throw new ValidationError('caseId is required');
            if (request.caseId === 'boom') throw new Error('driver said: Canary Person');
            return Promise.resolve({ incidentId: `incident-for-${request.caseId}` });
          },
        },
      },
      { identity: service, logger: createLogger('test', 'silent') },
    );
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'aman.accountability.v1.AccountabilityService',
          definition: accountability.AccountabilityServiceService,
          implementation,
        },
      ],
    });
  });

  afterAll(async () => {
    await server.stop();
    rmSync(keys, { recursive: true, force: true });
  });

  const client = (identity: ServiceIdentity, audience = 'accountability') =>
    new ServiceClient({
      audience,
      address: `127.0.0.1:${server.port}`,
      client: accountability.AccountabilityServiceClient,
      identity,
    });

  const request = (caseId: string) =>
    accountability.RecordIncidentRequest.fromPartial({ caseId, idempotencyKey: 'k' });

  it('serves a signed call from an allowed service, with the principal it acts for', async () => {
    const response = await client(gateway).call('recordIncident', request('case-1'), {
      principal: monitor,
    });
    expect(response.incidentId).toBe('incident-for-case-1');
    expect(seen.at(-1)).toEqual({ caller: 'gateway', organisation: 'org-monitor' });
  });

  it('refuses a service that may not call, a token for another service, and no token', async () => {
    await expectAmanError(
      client(referral).call('recordIncident', request('c')),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      client(gateway, 'intake').call('recordIncident', request('c')),
      'AMAN_ERR_UNAUTHENTICATED',
    );
    const bare = new accountability.AccountabilityServiceClient(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
    );
    const status = await new Promise<grpc.ServiceError | null>((resolve) => {
      bare.recordIncident(request('c'), (error) => {
        resolve(error);
      });
    });
    expect(status?.code).toBe(grpc.status.UNAUTHENTICATED);
    bare.close();
  });

  it('maps AmanErrors to their status, and hides unexpected errors', async () => {
    const invalid = await expectAmanError(
      client(gateway).call('recordIncident', request('')),
      'AMAN_ERR_VALIDATION',
    );
    expect(invalid.message).toBe('caseId is required');
    const internal = await expectAmanError(
      client(gateway).call('recordIncident', request('boom')),
      'AMAN_ERR_INTERNAL',
    );
    expect(internal.message).not.toMatch(/canary/i);
  });

  it('answers the standard health check', async () => {
    const { Client } = grpc;
    const health = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const serving = await new Promise<Buffer>((resolve, reject) => {
      health.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.from([0x0a, 0x00]),
        (error, value) => {
          if (error !== null || value === undefined) reject(error ?? new Error('no response'));
          else resolve(value);
        },
      );
    });
    // HealthCheckResponse { status: SERVING (1) } is the bytes 08 01.
    expect([...serving]).toEqual([0x08, 0x01]);
    health.close();
  });

  it('answers NOT_SERVING while what the service depends on does not answer, and SERVING again after', async () => {
    let dependencies = true;
    const watched = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [],
      healthy: async () => {
        if (!dependencies) throw new Error('store closed');
        return true;
      },
      healthIntervalMs: 20,
    });
    const address = `127.0.0.1:${watched.port}`;
    try {
      expect(await grpcHealth(address)).toBe('SERVING');
      dependencies = false;
      await eventually('NOT_SERVING', async () =>
        (await grpcHealth(address)) === 'NOT_SERVING' ? true : undefined,
      );
      dependencies = true;
      await eventually('SERVING again', async () =>
        (await grpcHealth(address)) === 'SERVING' ? true : undefined,
      );
    } finally {
      await watched.stop();
    }
  });
});

describe('configuration', () => {
  it('names every bad variable at once', () => {
    const spec = {
      port: env.port('AMAN_TEST_PORT', 'a port', 1),
      mode: env.oneOf('AMAN_TEST_MODE', 'a mode', ['a', 'b'], 'a'),
      name: env.string('AMAN_TEST_NAME', 'a name'),
    };
    let caught: unknown;
    try {
      loadConfig(spec, { AMAN_TEST_PORT: '70000', AMAN_TEST_MODE: 'c' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'AMAN_TEST_PORT (a port): must be a TCP port from 0 to 65535',
      'AMAN_TEST_MODE (a mode): must be one of a, b',
      'AMAN_TEST_NAME (a name): is required',
    ]);
    expect(loadConfig(spec, { AMAN_TEST_NAME: 'x' })).toEqual({ port: 1, mode: 'a', name: 'x' });
  });
});
