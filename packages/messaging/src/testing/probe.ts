import { eventing } from '@aman/contracts';

import { EventCodecs, bind } from '../codecs.ts';

/** Codecs for the synthetic event bus tests send: a pipeline probe (no personal data at all). */
export function probeCodecs(): EventCodecs {
  return new EventCodecs({
    source: '/aman/test',
    bindings: [bind('PipelineProbe', 'aman.eventing.v1.PipelineProbe', eventing.PipelineProbe)],
  });
}
