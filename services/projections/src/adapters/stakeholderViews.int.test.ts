/**
 * The public statistics, the monitor's dashboard, paged lists and a rebuild, over real gRPC with
 * the real stores in both modes: embedded (SQLite files, consumers tailing them) and distributed
 * (MongoDB/FerretDB, Kafka through each producer's relay). Synthetic data only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { projections } from '@aman/contracts';
import type { EventStore, JsonObject } from '@aman/eventstore';
import type { RebuildProgress } from '@aman/projections';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  createLogger,
  startGrpcServer,
  type GrpcServer,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import {
  describeWithKafka,
  describeWithMongo,
  dropMongoDatabases,
  eventually,
  expectAmanError,
} from '@aman/testing';

import { consumeIntoReadModels, type ReadModels } from './consumer.ts';
import { PROJECTIONS_SERVICE, projectionsServer } from './grpcServer.ts';
import { rebuildReadModels } from './rebuild.ts';

const logger = createLogger('projections-test', 'silent');
const MIN_CELL = 5;

const principal = (organisationId: string, type: Principal['organisationType']): Principal => ({
  organisationId,
  organisationType: type,
  keyId: `key_${organisationId}`,
});
const ngo = principal('org-ngo', 'ngo');
const otherNgo = principal('org-other-ngo', 'ngo');
const monitor = principal('org-monitor', 'monitor');
const embassy = principal('org-embassy', 'provider');

type Mode = {
  readonly name: string;
  readonly platform: () => PlatformConfig;
  readonly cleanUp: () => Promise<void>;
};

const caseIdOf = (index: number) => `0195a1c2-7f00-7000-8000-${String(index).padStart(12, '0')}`;

/**
 * Twelve cases in March 2026, by profile 6 journalists, 5 activists, 1 lawyer; by gender 7 women,
 * 5 men. The last is another NGO's; the lawyer's case is erased afterwards.
 */
const submissions = Array.from({ length: 12 }, (_, index) => ({
  caseId: caseIdOf(index + 1),
  organisationId: index === 11 ? otherNgo.organisationId : ngo.organisationId,
  profile: index < 6 ? 'PROFILE_JOURNALIST' : index < 11 ? 'PROFILE_ACTIVIST' : 'PROFILE_LAWYER',
  gender: index < 7 ? 'GENDER_WOMAN' : 'GENDER_MAN',
  province: 'AF-KAB',
  submittedAt: `2026-03-${String(index + 1).padStart(2, '0')}T09:00:00.000Z`,
}));
const lawyerCase = submissions[11]?.caseId ?? '';

function stakeholderViews(mode: Mode): void {
  describe(`stakeholder views over gRPC, ${mode.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'aman-projections-views-'));
    const platforms: Platform[] = [];
    let own: Platform;
    let readModels: ReadModels;
    let server: GrpcServer;
    let gateway: ServiceClient<projections.ProjectionsServiceClient>;
    let intakeService: ServiceClient<projections.ProjectionsServiceClient>;
    const stores: Partial<Record<'intake' | 'accountability', EventStore>> = {};

    const append = async (
      context: 'intake' | 'accountability',
      stream: string,
      type: string,
      data: JsonObject,
    ) => {
      const store = stores[context];
      if (store === undefined) throw new Error(`no ${context} store`);
      await store.append(
        stream,
        [
          {
            type,
            schemaVersion: 1,
            data,
            metadata: {
              actor: { organisationId: 'org', principalId: 'key' },
              correlationId: stream,
            },
          },
        ],
        { expectedVersion: 'any' },
      );
    };

    beforeAll(async () => {
      const keys = join(dir, 'keys');
      for (const context of ['intake', 'accountability'] as const) {
        const platform = new Platform(mode.platform(), context, logger);
        platforms.push(platform);
        const store = await platform.eventStore();
        await platform.publish(context, store);
        stores[context] = store;
      }
      own = new Platform(mode.platform(), 'projections', logger);
      readModels = await consumeIntoReadModels(own);
      server = await startGrpcServer({
        host: '127.0.0.1',
        port: 0,
        services: [
          {
            name: PROJECTIONS_SERVICE,
            definition: projections.ProjectionsServiceService,
            implementation: projectionsServer({
              cases: () => readModels.cases(),
              inbox: () => readModels.inbox(),
              facts: () => readModels.facts(),
              minCell: MIN_CELL,
              identity: await ServiceIdentity.load('projections', keys),
              logger,
            }),
          },
        ],
      });
      const client = async (name: string) =>
        new ServiceClient({
          audience: 'projections',
          address: `127.0.0.1:${server.port}`,
          client: projections.ProjectionsServiceClient,
          identity: await ServiceIdentity.load(name, keys),
          deadlineMs: 20_000,
        });
      gateway = await client('gateway');
      intakeService = await client('intake');

      for (const submission of submissions) {
        await append('intake', `case-${submission.caseId}`, 'CaseSubmitted', submission);
      }
      await append('intake', `case-${lawyerCase}`, 'CaseErased', {
        caseId: lawyerCase,
        organisationId: otherNgo.organisationId,
        erasedAt: '2026-04-02T09:00:00.000Z',
      });
      await append('accountability', 'incident-inc-1', 'IncidentRecorded', {
        incidentId: 'inc-1',
        caseId: caseIdOf(1),
        act: 'ACT_KILLING',
        occurredOn: '2026-03-20',
        province: 'AF-KAB',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
        sourceType: 'SOURCE_TYPE_NGO',
        recordedByOrganisationId: monitor.organisationId,
        recordedAt: '2026-03-21T08:00:00.000Z',
      });
    }, 120_000);

    afterAll(async () => {
      gateway.close();
      intakeService.close();
      await server.stop();
      await readModels.stop();
      await own.close();
      for (const platform of platforms) await platform.close();
      await mode.cleanUp();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    const statistics = (as?: Principal, from = '2026-02', to = '2026-03') =>
      gateway.call(
        'getPublicStatistics',
        { periodFrom: from, periodTo: to },
        as === undefined ? {} : { principal: as },
      );
    const dashboard = (as?: Principal) =>
      gateway.call(
        'getMonitorDashboard',
        { periodFrom: '2026-03', periodTo: '2026-03' },
        as === undefined ? {} : { principal: as },
      );
    const table = (response: { tables: projections.StatisticsTable[] }, name: string) => {
      const found = response.tables.find((candidate) => candidate.name === name);
      if (found === undefined) throw new Error(`no table ${name}`);
      return found;
    };
    /** A row as a reader sees it: category → count, or '*' where suppressed. */
    const seen = (found: projections.StatisticsTable, period: string) => {
      const row = found.rows.find((candidate) => candidate.period === period);
      const shown = (count: projections.StatisticsCount | undefined) =>
        count === undefined || count.suppressed ? '*' : count.count;
      return {
        cells: Object.fromEntries(
          found.categories.map((category, index) => [category, shown(row?.cells[index])]),
        ),
        total: shown(row?.total),
      };
    };
    const marchTotal = async (as?: Principal) => {
      const row = table(await statistics(as), 'cases_by_profile').rows[1];
      return row?.total?.suppressed === false ? row.total.count : 0;
    };

    it('publishes the statistics to anyone, suppressed, the erased case still counted', async () => {
      await eventually('every case and the incident counted', async () => {
        const incidents = table(await statistics(), 'incidents_by_province');
        return (await marchTotal()) === 12 && incidents.categories.length === 1 ? true : undefined;
      });
      const anonymous = await statistics();
      expect(anonymous.minCell).toBe(MIN_CELL);
      // The lawyer (1) is suppressed, then the smallest other cells until two or more hold ≥ 5:
      // every zero and the activists (5). The journalists and the total stay.
      expect(seen(table(anonymous, 'cases_by_profile'), '2026-03')).toEqual({
        cells: {
          PROFILE_HUMAN_RIGHTS_DEFENDER: '*',
          PROFILE_JOURNALIST: 6,
          PROFILE_MEDIA_WORKER: '*',
          PROFILE_ACTIVIST: '*',
          PROFILE_LAWYER: '*',
          PROFILE_WOMEN_RIGHTS_DEFENDER: '*',
          UNSPECIFIED: '*',
        },
        total: 12,
      });
      expect(seen(table(anonymous, 'cases_by_gender'), '2026-03')).toEqual({
        cells: {
          GENDER_WOMAN: 7,
          GENDER_MAN: '*',
          GENDER_NON_BINARY: '*',
          GENDER_UNDISCLOSED: '*',
          UNSPECIFIED: '*',
        },
        total: 12,
      });
      // An empty month is a row, suppressed like any small one; so is the one incident.
      expect(seen(table(anonymous, 'cases_by_profile'), '2026-02').total).toBe('*');
      expect(seen(table(anonymous, 'incidents_by_act'), '2026-03').total).toBe('*');
      // Monitors' source-type table is not public.
      expect(anonymous.tables.map((found) => found.name)).not.toContain('incidents_by_source_type');
      // Any organisation reads the same tables.
      expect(await statistics(embassy)).toEqual(anonymous);
      // The erasure was applied (the NGO's view shows it), and the case is still counted.
      await eventually('the erasure applied', async () => {
        const view = (await readModels.cases()).get(lawyerCase);
        const stages = ((await view)?.data?.['stages'] ?? []) as { name: string }[];
        return stages.some((stage) => stage.name === 'erased') ? true : undefined;
      });
      expect(await marchTotal()).toBe(12);
    }, 120_000);

    it('refuses a malformed or unbounded period, and services other than the gateway', async () => {
      await expectAmanError(statistics(undefined, '2026-3', '2026-03'), 'AMAN_ERR_VALIDATION');
      await expectAmanError(statistics(undefined, '2026-04', '2026-03'), 'AMAN_ERR_VALIDATION');
      await expectAmanError(statistics(undefined, '2000-01', '2026-03'), 'AMAN_ERR_VALIDATION');
      await expectAmanError(
        intakeService.call('getPublicStatistics', { periodFrom: '2026-03', periodTo: '2026-03' }),
        'AMAN_ERR_FORBIDDEN',
      );
    });

    it('gives a monitor the incident figures unsuppressed, and nobody else', async () => {
      const figures = await eventually('the incident counted', async () => {
        const response = await dashboard(monitor);
        const byAct = table(response, 'incidents_by_act');
        return seen(byAct, '2026-03').total === 1 ? response : undefined;
      });
      expect(seen(table(figures, 'incidents_by_act'), '2026-03').cells['ACT_KILLING']).toBe(1);
      expect(
        seen(table(figures, 'incidents_by_perpetrator_category'), '2026-03').cells[
          'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP'
        ],
      ).toBe(1);
      expect(seen(table(figures, 'incidents_by_source_type'), '2026-03').cells).toEqual({
        SOURCE_TYPE_NGO: 1,
      });
      await expectAmanError(dashboard(ngo), 'AMAN_ERR_FORBIDDEN');
      await expectAmanError(dashboard(embassy), 'AMAN_ERR_FORBIDDEN');
      await expectAmanError(dashboard(), 'AMAN_ERR_UNAUTHENTICATED');
    }, 120_000);

    it("pages through an NGO's own cases with an opaque cursor, never another NGO's", async () => {
      const page = (as: Principal, cursor: string) =>
        gateway.call('listCases', { limit: 4, cursor }, { principal: as });
      const mine = async () => {
        const ids: string[] = [];
        let cursor = '';
        do {
          const listed = await page(ngo, cursor);
          expect(listed.cases.length).toBeLessThanOrEqual(4);
          ids.push(...listed.cases.map((item) => item.caseId));
          cursor = listed.nextCursor;
        } while (cursor !== '');
        return ids;
      };
      const ids = await eventually('all eleven cases listed', async () => {
        const listed = await mine();
        return listed.length === 11 ? listed : undefined;
      });
      expect(ids).toEqual(submissions.slice(0, 11).map((submission) => submission.caseId));
      const first = await page(ngo, '');
      // Another NGO given this NGO's cursor gets its own cases after it, never this NGO's.
      expect((await page(otherNgo, first.nextCursor)).cases.map((item) => item.caseId)).toEqual([
        lawyerCase,
      ]);
      expect((await page(otherNgo, '')).cases.map((item) => item.caseId)).toEqual([lawyerCase]);
      await expectAmanError(page(ngo, 'not-a-cursor'), 'AMAN_ERR_VALIDATION');
      await expectAmanError(
        gateway.call('listInbox', { limit: 4, cursor: '' }, { principal: ngo }),
        'AMAN_ERR_FORBIDDEN',
      );
    }, 120_000);

    it('rebuilds every read model from the stores into a new version, and the service follows', async () => {
      const before = await statistics();
      const listedBefore = await gateway.call(
        'listCases',
        { limit: 50, cursor: '' },
        { principal: ngo },
      );
      const steps: { projection: string; step: RebuildProgress }[] = [];
      const reports = await rebuildReadModels(mode.platform(), logger, (projection, step) => {
        steps.push({ projection, step });
      });
      expect(reports.map((report) => [report.projection, report.version])).toEqual([
        ['ngo_cases', 2],
        ['provider_inbox', 2],
        ['statistics', 2],
      ]);
      // Every stored event read once per projection: 12 submissions, an erasure, an incident.
      for (const report of reports) expect(report.applied).toBeGreaterThanOrEqual(14);
      expect(steps.length).toBeGreaterThan(0);
      for (const { step } of steps) expect(step.applied).toBeLessThanOrEqual(step.head);
      expect(await statistics()).toEqual(before);
      expect(
        await gateway.call('listCases', { limit: 50, cursor: '' }, { principal: ngo }),
      ).toEqual(listedBefore);
      // A live event after the switch lands in the new version.
      await append('intake', `case-${caseIdOf(13)}`, 'CaseSubmitted', {
        ...submissions[0],
        caseId: caseIdOf(13),
      });
      await eventually('the new case counted', async () =>
        (await marchTotal()) === 13 ? true : undefined,
      );
    }, 180_000);
  });
}

stakeholderViews({
  name: 'embedded (SQLite)',
  platform: (() => {
    const dir = mkdtempSync(join(tmpdir(), 'aman-projections-embedded-'));
    return () => ({ mode: 'embedded', dataDir: dir });
  })(),
  cleanUp: () => Promise.resolve(),
});

describeWithKafka('projections, distributed', (kafka) => {
  describeWithMongo('MongoDB and Kafka', (mongo) => {
    const prefix = mongo.database;
    stakeholderViews({
      name: 'distributed (MongoDB, Kafka)',
      platform: () => ({
        mode: 'distributed',
        mongoUri: mongo.uri,
        kafkaBrokers: kafka.brokers,
        databasePrefix: prefix,
        topicPrefix: `${kafka.namespace}.`,
      }),
      cleanUp: () => dropMongoDatabases(mongo.uri, `${prefix}_`),
    });
  });
});
