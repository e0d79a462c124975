import { parseArgs } from 'node:util';

import { ATTRIBUTES_SHOWN, idAttributeKeys, watchTraces, type TraceFilter } from './traceView.ts';

const USAGE = `usage: pnpm trace [--port <port>] [--trace <traceId> | --referral <id> | --case <id>]
                  [--quiet <ms>]
Receives OTLP/JSON traces on http://127.0.0.1:<port> (default 4318) and prints each trace as an
indented tree (service, span, duration, ids) once no span of it has come for --quiet ms (2000).
--trace prints that trace alone; --referral and --case print the traces with a span that names the
referral or case, and the traces linked from them. Ctrl-C prints what is left and stops.
Point the services at it: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \\
  OTEL_EXPORTER_OTLP_PROTOCOL=http/json pnpm start`;

class UsageError extends Error {}

function filterOf(values: {
  trace?: string | undefined;
  referral?: string | undefined;
  case?: string | undefined;
}): TraceFilter {
  const given = [values.trace, values.referral, values.case].filter((v) => v !== undefined);
  if (given.length > 1) throw new UsageError('give at most one of --trace, --referral, --case');
  if (values.trace !== undefined) return { traceId: values.trace.toLowerCase() };
  if (values.referral !== undefined) return { kind: 'referral', id: values.referral };
  if (values.case !== undefined) return { kind: 'case', id: values.case };
  return undefined;
}

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`--${name} must be a whole number, not ${text}`);
  }
  return value;
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      trace: { type: 'string' },
      referral: { type: 'string' },
      case: { type: 'string' },
      quiet: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const filter = filterOf(values);
  const port = wholeNumber('port', values.port, 4318);
  if (port > 65_535) throw new UsageError(`--port must be at most 65535, not ${port}`);
  const watch = await watchTraces({
    port,
    quietMs: wholeNumber('quiet', values.quiet, 2000),
    filter,
    print: (text) => process.stdout.write(text),
    warn: (text) => process.stderr.write(`${text}\n`),
  });
  const looking =
    filter === undefined
      ? 'every trace'
      : 'traceId' in filter
        ? `trace ${filter.traceId}`
        : `traces with ${filter.kind} ${filter.id} in ${idAttributeKeys(filter.kind).join(' or ')}, and those linked from them`;
  process.stderr.write(
    `receiving OTLP/JSON at ${watch.endpoint}/v1/traces; printing ${looking}\n` +
      `attributes shown: ${ATTRIBUTES_SHOWN.join(', ')} (no others)\n` +
      `run: OTEL_EXPORTER_OTLP_ENDPOINT=${watch.endpoint} OTEL_EXPORTER_OTLP_PROTOCOL=http/json pnpm start\n`,
  );
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  watch.flush();
  await watch.close();
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    error instanceof UsageError ? `${error.message}\n${USAGE}\n` : `${(error as Error).message}\n`,
  );
  process.exitCode = 2;
}
