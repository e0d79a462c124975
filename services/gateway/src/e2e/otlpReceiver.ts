import { startOtlpReceiver as startReceiver, type OtlpReceiver } from '@aman/service-kit';

export type { ReceivedSpan } from '@aman/service-kit';

/**
 * The loopback OTLP/JSON receiver that `pnpm trace` uses (OTEL_EXPORTER_OTLP_PROTOCOL=http/json),
 * keeping the raw bodies too, so that the redaction proof can look for a canary in them.
 */
export function startOtlpReceiver(): Promise<OtlpReceiver> {
  return startReceiver({ keepBodies: true });
}
