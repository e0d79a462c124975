// Closed-loop throughput with autocannon: every connection sends its next submission as soon as
// the previous one is answered, for a fixed time. Each request gets a fresh body and
// Idempotency-Key, so every one is a new case.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import type { Sample } from '../measure.ts';
import { caseBody, submissionHeaders } from './submissions.ts';

export interface BareRoute {
  readonly url: string;
  stop(): Promise<void>;
}

export function startBareRoute(port: number): Promise<BareRoute> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'bareRoute.js');
  const child: ChildProcess = spawn(process.execPath, [script, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ready, fail) => {
    child.stdout?.once('data', () => {
      ready({
        url: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise((stopped) => {
            child.once('exit', () => {
              stopped();
            });
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      fail(new Error(`the bare route exited (${String(code)})`));
    });
  });
}

/** Successful (2xx) submissions per second over `seconds`; other answers count as failures. */
export async function submissionsPerSecond(options: {
  readonly url: string;
  readonly ngoKey: string;
  readonly connections: number;
  readonly seconds: number;
}): Promise<Sample> {
  const result = await autocannon({
    url: `${options.url}/v1/cases`,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({
          ...request,
          headers: submissionHeaders(options.ngoKey),
          body: caseBody(),
        }),
      },
    ],
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  const sample = { units: result['2xx'], seconds: result.duration, failures };
  return failures === 0
    ? sample
    : { ...sample, firstError: `${result.non2xx} non-2xx, ${result.errors} errors` };
}
