import { common, intake, risk } from '@aman/contracts';
import { ServiceClient, addressOf, env, runService } from '@aman/service-kit';

import { DataKeyVault } from './adapters/dataKeyVault.ts';
import { INTAKE_SERVICE, intakeServer, riskFactsOf } from './adapters/grpcServer.ts';
import { loadMasterKey } from './adapters/masterKeys.ts';
import { IntakeCases } from './application/intakeCases.ts';

await runService(
  'intake',
  async (kit, config) => {
    const store = await kit.platform.eventStore();
    await kit.platform.publish('intake', store);
    const riskAssessment = new ServiceClient({
      audience: 'risk-assessment',
      address: config.risk,
      client: risk.RiskAssessmentServiceClient,
      identity: kit.identity,
      deadlineMs: config.triageDeadlineMs,
    });
    const cases = new IntakeCases({
      store,
      vault: await DataKeyVault.open(await kit.platform.readModels()),
      master: loadMasterKey({
        configured: { id: config.masterKeyId, key: config.masterKey },
        mode: kit.platform.mode,
        dataDir: kit.dataDir,
        logger: kit.logger,
      }),
      triage: {
        assess: async (caseId, facts, principal) => {
          const { assessment } = await riskAssessment.call(
            'assessCase',
            { caseId, facts: riskFactsOf(facts) },
            { principal },
          );
          return assessment === undefined ? undefined : common.riskLevelToJSON(assessment.level);
        },
      },
    });
    return {
      grpc: [
        {
          name: INTAKE_SERVICE,
          definition: intake.IntakeServiceService,
          implementation: intakeServer({ cases, identity: kit.identity, logger: kit.logger }),
        },
      ],
      stop: () => {
        riskAssessment.close();
        return Promise.resolve();
      },
    };
  },
  {
    risk: addressOf('risk-assessment'),
    masterKey: env.optional('AMAN_MASTER_KEY', 'the master key, 32 bytes in base64'),
    masterKeyId: env.optional('AMAN_MASTER_KEY_ID', 'the id of AMAN_MASTER_KEY'),
    triageDeadlineMs: env.integer(
      'AMAN_TRIAGE_DEADLINE_MS',
      'how long a submission waits for risk assessment',
      2000,
      1,
    ),
  },
);
