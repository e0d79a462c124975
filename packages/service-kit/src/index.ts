export { ConfigError, env, loadConfig, type ConfigSpec, type Variable } from './config.ts';
export { CONTEXTS, codecsOf, type ContextName } from './contexts.ts';
export {
  DEFAULT_DEADLINE_MS,
  PROTO_ROOT,
  ServiceClient,
  grpcHealth,
  implement,
  startGrpcServer,
  type CallContext,
  type GrpcServer,
  type Rpc,
  type Rpcs,
} from './grpc.ts';
export {
  ORGANISATION_TYPES,
  ServiceIdentity,
  type Caller,
  type OrganisationType,
  type Principal,
} from './identity.ts';
export { REDACTED_PATHS, createLogger, type Logger } from './logger.ts';
export { Platform, type ConsumedEvent, type PlatformConfig } from './platform.ts';
export {
  OPERATIONS_SERVICE_NAME,
  operationsService,
  pipelineStatusResponse,
} from './operations.ts';
export type {
  ConsumerProgress,
  ConsumerTopicProgress,
  PipelineStatus,
  RelayProgressStatus,
} from './pipeline.ts';
export {
  environmentOf,
  runService,
  type Environment,
  type ServiceKit,
  type StartedService,
} from './run.ts';
export {
  OTLP_JSON_ONLY,
  spansOfOtlpJson,
  startOtlpReceiver,
  type OtlpReceiver,
  type OtlpReceiverOptions,
  type ReceivedSpan,
} from './otlpReceiver.ts';
export { SERVICES, addressOf, portOf, type ServiceName } from './services.ts';
export { withLinkedTraces } from './traceView.ts';
export {
  SpanKind,
  activeTraceIds,
  contextFromTraceparent,
  currentTraceparent,
  inSpan,
  linkTo,
  startTelemetry,
  type SpanOptions,
  type Telemetry,
} from './telemetry.ts';
export { idFrom } from './ids.ts';
export { asOutage } from './outages.ts';
export { runTimers, tracedTimerStore, type TimersOptions } from './timers.ts';
export { actorOf, eventMetadata } from './eventMetadata.ts';
export { observePipeline, recordHttp, recordRpc, recordWebhookAttempt } from './metrics.ts';
