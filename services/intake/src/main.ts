import { blindIndexKeyFromBase64 } from '@aman/crypto';
import { common, intake, risk } from '@aman/contracts';
import { ServiceClient, addressOf, env, runService } from '@aman/service-kit';

import { DataKeyVault } from './adapters/dataKeyVault.ts';
import { INTAKE_SERVICE, intakeServer, riskFactsOf } from './adapters/grpcServer.ts';
import { loadBlindIndexKey, loadMasterKeys } from './adapters/masterKeys.ts';
import { AccessLog } from './application/accessLog.ts';
import { DuplicateMatcher } from './application/duplicates.ts';
import { IntakeCases, flagDuplicate } from './application/intakeCases.ts';

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
    const keySettings = { mode: kit.platform.mode, dataDir: kit.dataDir, logger: kit.logger };
    const readModels = await kit.platform.readModels();
    const duplicates = await DuplicateMatcher.open({
      store: readModels,
      key: loadBlindIndexKey({
        configured: config.blindIndexKey,
        parse: blindIndexKeyFromBase64,
        ...keySettings,
      }),
      flag: (match, detectedAt) => flagDuplicate(store, match, detectedAt),
      logger: kit.logger,
      maxMatchesPerKeyPerHour: config.maxMatchesPerKeyPerHour,
    });
    const access = await AccessLog.open({
      store,
      readModels,
      checkpoints: await kit.platform.checkpoints(),
      logger: kit.logger,
    });
    const cases = new IntakeCases({
      store,
      access,
      vault: await DataKeyVault.open(await kit.platform.vault()),
      keys: loadMasterKeys({
        configured: {
          id: config.masterKeyId,
          key: config.masterKey,
          retired: config.retiredMasterKeys,
        },
        ...keySettings,
      }),
      duplicates,
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
    // Matching runs apart from submissions; a sweep also catches what a crash left unchecked.
    duplicates.sweepSoon();
    const sweeper = setInterval(() => {
      duplicates.sweepSoon();
    }, config.duplicateSweepMs);
    // The access index follows the log in the background; a report catches it up to the head.
    access.catchUpSoon();
    const indexer = setInterval(() => {
      access.catchUpSoon();
    }, config.accessIndexMs);
    return {
      grpc: [
        {
          name: INTAKE_SERVICE,
          definition: intake.IntakeServiceService,
          implementation: intakeServer({
            cases,
            access,
            identity: kit.identity,
            logger: kit.logger,
          }),
        },
      ],
      stop: () => {
        clearInterval(sweeper);
        clearInterval(indexer);
        riskAssessment.close();
        return Promise.resolve();
      },
    };
  },
  {
    risk: addressOf('risk-assessment'),
    masterKey: env.optional('AMAN_MASTER_KEY', 'the master key, 32 bytes in base64'),
    masterKeyId: env.optional('AMAN_MASTER_KEY_ID', 'the id of AMAN_MASTER_KEY'),
    retiredMasterKeys: env.optional(
      'AMAN_MASTER_KEYS_RETIRED',
      'master keys retired by a rotation, id:base64 separated by commas',
    ),
    blindIndexKey: env.optional(
      'AMAN_BLIND_INDEX_KEY',
      'the HMAC key of the duplicate index, 32 bytes in base64 (not the master key)',
    ),
    maxMatchesPerKeyPerHour: env.integer(
      'AMAN_DUPLICATE_MATCHES_PER_KEY_HOUR',
      'likely duplicates flagged per submitting key and hour before matching is held back',
      20,
      1,
    ),
    duplicateSweepMs: env.integer(
      'AMAN_DUPLICATE_SWEEP_MS',
      'how often unchecked blind index entries are matched',
      5000,
      100,
    ),
    accessIndexMs: env.integer(
      'AMAN_ACCESS_INDEX_MS',
      'how often the access-audit index catches up with the event log (reports catch it up anyway)',
      5000,
      100,
    ),
    triageDeadlineMs: env.integer(
      'AMAN_TRIAGE_DEADLINE_MS',
      'how long a submission waits for risk assessment',
      2000,
      1,
    ),
  },
);
