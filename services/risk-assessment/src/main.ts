import { risk } from '@aman/contracts';
import { runService } from '@aman/service-kit';

import { RISK_SERVICE, riskServer } from './adapters/grpcServer.ts';
import { Assessments } from './application/assessments.ts';

await runService('risk-assessment', async (kit) => {
  const store = await kit.platform.eventStore();
  await kit.platform.publish('risk', store);
  const assessments = new Assessments(store);
  // A submission whose synchronous triage timed out is assessed here; an incident re-assesses.
  await kit.platform.subscribe('assessments', ['intake', 'accountability'], (event) =>
    assessments.onEvent(event),
  );
  return {
    grpc: [
      {
        name: RISK_SERVICE,
        definition: risk.RiskAssessmentServiceService,
        implementation: riskServer({ assessments, identity: kit.identity, logger: kit.logger }),
      },
    ],
  };
});
