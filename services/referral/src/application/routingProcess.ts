import type { JsonObject, JsonValue } from '@aman/eventstore';
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '@aman/projections';
import { CONTEXTS, type ConsumedEvent, type Logger } from '@aman/service-kit';

import {
  DEADLINE_CLASSES,
  FIELD_GROUPS,
  NEEDS,
  RECIPIENT_TYPES,
  RISK_LEVELS,
  route,
  type CaseFacts,
  type ConsentGrant,
  type DeadlineClass,
  type ProviderDescription,
  type RiskLevel,
} from '../domain/index.ts';
import type { Referrals } from './referrals.ts';

/** The case as submitted: who it is for (the NGO), what it needs, what consent allows. */
type SubmittedCase = Pick<CaseFacts, 'caseId' | 'organisationId' | 'needs' | 'consent'>;
/** The newest risk assessment of a case. */
type CaseRisk = { readonly level: RiskLevel; readonly deadlineClass: DeadlineClass };

const PAGE = 500;

/**
 * The routing process manager: it remembers what routing needs — each case's needs and consent
 * (intake's CaseSubmitted), its newest risk level (risk's RiskAssessed), the provider directory
 * (ProviderRegistered) — and routes a case once it has both its facts and a level. Routing is
 * idempotent per case and provider, so redelivered events and re-assessments route only
 * providers that were not routed yet (a higher level can bring new ones).
 *
 * Facts and levels are separate documents, each written by one stream's events only: events of
 * different topics arrive concurrently (and, distributed, at different instances), and neither
 * write can then undo the other. Whichever write comes second sees both and routes.
 */
export class RoutingProcess {
  readonly #cases: ReadModelCollection;
  readonly #risks: ReadModelCollection;
  readonly #providers: ReadModelCollection;
  readonly #referrals: Referrals;
  readonly #logger: Logger;

  private constructor(
    collections: {
      readonly cases: ReadModelCollection;
      readonly risks: ReadModelCollection;
      readonly providers: ReadModelCollection;
    },
    referrals: Referrals,
    logger: Logger,
  ) {
    this.#cases = collections.cases;
    this.#risks = collections.risks;
    this.#providers = collections.providers;
    this.#referrals = referrals;
    this.#logger = logger;
  }

  static async open(
    readModels: ReadModelStore,
    referrals: Referrals,
    logger: Logger,
  ): Promise<RoutingProcess> {
    return new RoutingProcess(
      {
        cases: await readModels.collection('cases', { indexes: [] }),
        risks: await readModels.collection('case_risks', { indexes: [] }),
        providers: await readModels.collection('providers', { indexes: [] }),
      },
      referrals,
      logger,
    );
  }

  /** One consumed event; at least once, in order per stream. */
  async onEvent(event: ConsumedEvent): Promise<void> {
    if (event.source === CONTEXTS.referral.source && event.type === 'ProviderRegistered') {
      await this.#providerRegistered(event);
    } else if (event.source === CONTEXTS.intake.source && event.type === 'CaseSubmitted') {
      const caseId = await this.#caseSubmitted(event);
      if (caseId !== undefined) await this.#route(caseId, event.id);
    } else if (event.source === CONTEXTS.risk.source && event.type === 'RiskAssessed') {
      const caseId = await this.#riskAssessed(event);
      if (caseId !== undefined) await this.#route(caseId, event.id);
    }
  }

  async #providerRegistered(event: ConsumedEvent): Promise<void> {
    const organisationId = text(event.data['organisationId']);
    const type = oneOf(event.data['type'], RECIPIENT_TYPES);
    if (organisationId === undefined || type === undefined) return;
    const provider: ProviderDescription = {
      providerId: text(event.data['providerId']) ?? '',
      organisationId,
      type,
      services: valuesOf(event.data['services'], NEEDS),
      riskLevels: valuesOf(event.data['riskLevels'], RISK_LEVELS),
    };
    await this.#providers.write([document(organisationId, provider, event)]);
  }

  async #caseSubmitted(event: ConsumedEvent): Promise<string | undefined> {
    const caseId = text(event.data['caseId']);
    const organisationId = text(event.data['organisationId']);
    if (caseId === undefined || organisationId === undefined) return undefined;
    const consent = Array.isArray(event.data['consent']) ? event.data['consent'] : [];
    const submitted: SubmittedCase = {
      caseId,
      organisationId,
      needs: valuesOf(event.data['needs'], NEEDS),
      consent: consent.map((grant): ConsentGrant => {
        const fields = isObject(grant) ? grant : {};
        return {
          recipientTypes: valuesOf(fields['recipientTypes'], RECIPIENT_TYPES),
          fieldGroups: valuesOf(fields['fieldGroups'], FIELD_GROUPS),
        };
      }),
    };
    await this.#cases.write([document(caseId, submitted, event)]);
    return caseId;
  }

  async #riskAssessed(event: ConsumedEvent): Promise<string | undefined> {
    const caseId = text(event.data['caseId']);
    const level = oneOf(event.data['level'], RISK_LEVELS);
    const deadlineClass = oneOf(event.data['deadlineClass'], DEADLINE_CLASSES);
    if (caseId === undefined || level === undefined || deadlineClass === undefined) {
      return undefined;
    }
    // The newest assessment counts: a redelivered older one changes nothing.
    const known = await this.#risks.get(caseId);
    const applied = known?.versions[event.stream];
    if (applied === undefined || event.version > applied) {
      const risk: CaseRisk = { level, deadlineClass };
      await this.#risks.write([document(caseId, risk, event)]);
    }
    return caseId;
  }

  async #route(caseId: string, causationId: string): Promise<void> {
    const [submitted, risk] = await Promise.all([
      this.#cases.get(caseId).then((found) => found?.data as SubmittedCase | undefined),
      this.#risks.get(caseId).then((found) => found?.data as CaseRisk | undefined),
    ]);
    if (submitted === undefined || risk === undefined) return;
    const caseFacts: CaseFacts = { ...submitted, ...risk };
    const matches = route(caseFacts, await this.#allProviders());
    let routed = 0;
    for (const match of matches) {
      if (await this.#referrals.route(caseFacts, match, causationId)) routed += 1;
    }
    if (routed > 0) {
      this.#logger.info({ caseId, level: risk.level, routed }, 'case routed to providers');
    } else if (matches.length === 0) {
      this.#logger.info({ caseId, level: risk.level }, 'no provider matches the case');
    }
  }

  async #allProviders(): Promise<ProviderDescription[]> {
    const providers: ProviderDescription[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#providers.query({
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      providers.push(...page.items.map((item) => item.data as unknown as ProviderDescription));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return providers;
  }
}

function document(id: string, data: object, event: ConsumedEvent): ReadModelDocument {
  return { id, data: data as JsonObject, versions: { [event.stream]: event.version } };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function oneOf<T extends string>(
  value: JsonValue | undefined,
  allowed: readonly T[],
): T | undefined {
  return (allowed as readonly JsonValue[]).includes(value ?? null) ? (value as T) : undefined;
}

/** The values a vocabulary knows, in its order; protobuf JSON leaves empty lists out. */
function valuesOf<T extends string>(value: JsonValue | undefined, allowed: readonly T[]): T[] {
  const given: readonly JsonValue[] = Array.isArray(value) ? value : [];
  return allowed.filter((item) => given.includes(item));
}
