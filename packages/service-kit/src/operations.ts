import { operations } from '@aman/contracts';
import { ForbiddenError } from '@aman/errors';

import { implement } from './grpc.ts';
import type { OrganisationType, ServiceIdentity } from './identity.ts';
import type { Logger } from './logger.ts';
import type { PipelineStatus } from './pipeline.ts';
import type { Platform } from './platform.ts';

export const OPERATIONS_SERVICE_NAME = 'aman.operations.v1.OperationsService';

/** Who may read a pipeline's status: the platform's operators (and its administrators). */
const OPERATOR_TYPES: readonly OrganisationType[] = ['operator', 'admin'];

/**
 * The OperationsService every service serves (runService adds it): its pipeline status, for the
 * gateway acting for an operator. It holds positions, counts and the names of topics and groups:
 * no personal data, yet still only for operators, as it shows how the platform is used.
 */
export function operationsService(deps: {
  readonly platform: Platform;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): {
  readonly name: string;
  readonly definition: typeof operations.OperationsServiceService;
  readonly implementation: operations.OperationsServiceServer;
} {
  return {
    name: OPERATIONS_SERVICE_NAME,
    definition: operations.OperationsServiceService,
    implementation: implement<operations.OperationsServiceServer>(
      OPERATIONS_SERVICE_NAME,
      {
        getPipelineStatus: {
          callers: ['gateway'],
          handle: async (_request, call) => {
            const type = call.caller.principal?.organisationType;
            if (type === undefined || !OPERATOR_TYPES.includes(type)) {
              throw new ForbiddenError('only an operator reads the pipeline status');
            }
            return pipelineStatusResponse(await deps.platform.pipelineStatus(), new Date());
          },
        },
      },
      deps,
    ),
  };
}

export function pipelineStatusResponse(
  status: PipelineStatus,
  observedAt: Date,
): operations.GetPipelineStatusResponse {
  return operations.GetPipelineStatusResponse.fromPartial({
    service: status.service,
    mode:
      status.mode === 'embedded' ? operations.Mode.MODE_EMBEDDED : operations.Mode.MODE_DISTRIBUTED,
    observedAt,
    ...(status.headPosition === undefined ? {} : { store: { headPosition: status.headPosition } }),
    relays: status.relays.map(({ topic, publishedPosition, backlog }) => ({
      topic,
      publishedPosition,
      backlog,
    })),
    consumers: status.consumers.map(({ name, groupId, topics }) => ({
      name,
      groupId,
      topics: topics.map((topic) => ({
        context: topic.context,
        topic: topic.topic,
        lag: topic.lag,
        deadLetters: topic.deadLetters,
        ...(topic.mode === 'embedded'
          ? {
              checkpointPosition: topic.checkpointPosition,
              sourceHeadPosition: topic.sourceHeadPosition,
            }
          : {
              partitions: topic.partitions.map(
                ({ partition, committedOffset, endOffset, lag }) => ({
                  partition,
                  committedOffset,
                  endOffset,
                  lag,
                }),
              ),
            }),
      })),
    })),
    counters: status.counters.map(({ name, value }) => ({ name, value })),
  });
}
