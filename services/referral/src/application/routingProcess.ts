import type { JsonObject, JsonValue } from '@aman/eventstore';
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '@aman/projections';
import { CONTEXTS, type ConsumedEvent, type Logger } from '@aman/service-kit';

import {
  DEADLINE_CLASSES,
  FIELD_GROUPS,
  NEEDS,
  RECIPIENT_TYPES,
  RISK_LEVELS,
  revocationReason,
  route,
  type CaseFacts,
  type CaseStatus,
  type ConsentGrant,
  type DeadlineClass,
  type ProviderDescription,
  type RevocationReason,
  type RiskLevel,
} from '../domain/index.ts';
import { everyDocument } from './everyDocument.ts';
import type { Referrals } from './referrals.ts';

/** The case as it now stands: who it is for (the NGO), what it needs, what consent allows. */
type CaseStanding = Pick<CaseFacts, 'caseId' | 'organisationId' | 'needs' | 'consent'> & {
  readonly status: CaseStatus;
};
/** The newest risk assessment of a case. */
type CaseRisk = { readonly level: RiskLevel; readonly deadlineClass: DeadlineClass };

/** What each of intake's events changes in a case's standing (an erased case stays erased). */
const CASE_CHANGES = new Map<string, (standing: CaseStanding, data: JsonObject) => CaseStanding>([
  [
    'CaseSubmitted',
    (standing, data) => ({
      ...standing,
      needs: valuesOf(data['needs'], NEEDS),
      consent: consentOf(data['consent']),
    }),
  ],
  [
    'CaseFactsUpdated',
    (standing, data) => ({ ...standing, needs: valuesOf(data['needs'], NEEDS) }),
  ],
  ['ConsentUpdated', (standing, data) => ({ ...standing, consent: consentOf(data['consent']) })],
  [
    'CaseWithdrawn',
    (standing) => ({ ...standing, status: standing.status === 'erased' ? 'erased' : 'withdrawn' }),
  ],
  ['CaseErased', (standing) => ({ ...standing, status: 'erased' })],
]);

/**
 * The routing process manager: it remembers what routing needs — each case's needs, current
 * consent and standing (intake's events), its newest risk level (risk's RiskAssessed), the
 * provider directory (ProviderRegistered) — routes an open case once it has both its facts and a
 * level, and revokes the referrals the case no longer allows: a provider that lost all consent,
 * every provider of a withdrawn or erased case (which is never routed again). Both are
 * idempotent, so redelivered events and re-assessments change only what is not yet so (a higher
 * level or a wider consent can bring new providers).
 *
 * Facts and levels are separate documents, each written by one stream's events only: events of
 * different topics arrive concurrently (and, distributed, at different instances), and neither
 * write can then undo the other. Whichever write comes second sees both and routes. For the same
 * reason revocation reads the case again after routing, and a routing indexes its referral
 * before appending it: a routing on an old consent and the consent's narrowing, concurrent,
 * cannot both miss the other.
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
    } else if (event.source === CONTEXTS.intake.source && CASE_CHANGES.has(event.type)) {
      const caseId = await this.#caseChanged(event);
      if (caseId !== undefined) await this.#settle(caseId, event.id);
    } else if (event.source === CONTEXTS.risk.source && event.type === 'RiskAssessed') {
      const caseId = await this.#riskAssessed(event);
      if (caseId !== undefined) await this.#settle(caseId, event.id);
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

  async #caseChanged(event: ConsumedEvent): Promise<string | undefined> {
    const caseId = text(event.data['caseId']);
    const organisationId = text(event.data['organisationId']);
    const change = CASE_CHANGES.get(event.type);
    if (caseId === undefined || organisationId === undefined || change === undefined) {
      return undefined;
    }
    // The case's events in order: one applied already (a redelivery) changes nothing.
    const known = await this.#cases.get(caseId);
    const applied = known?.versions[event.stream];
    if (applied === undefined || event.version > applied) {
      const standing = change(
        standingOf(known?.data) ?? opened(caseId, organisationId),
        event.data,
      );
      await this.#cases.write([document(caseId, standing, event)]);
    }
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

  /**
   * Brings the case's referrals in line with the case: routes it while open, then revokes what
   * it no longer allows. Also after a redelivery, so that work cut short by a crash is finished.
   */
  async #settle(caseId: string, causationId: string): Promise<void> {
    await this.#route(caseId, causationId);
    await this.#revoke(caseId, causationId);
  }

  async #route(caseId: string, causationId: string): Promise<void> {
    const [standing, risk] = await Promise.all([
      this.#cases.get(caseId).then((found) => standingOf(found?.data)),
      this.#risks.get(caseId).then((found) => found?.data as CaseRisk | undefined),
    ]);
    if (standing === undefined || risk === undefined || standing.status !== 'open') return;
    const caseFacts: CaseFacts = { ...standing, ...risk };
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

  async #revoke(caseId: string, causationId: string): Promise<void> {
    // Read again, after routing: see the class comment.
    const standing = standingOf((await this.#cases.get(caseId))?.data);
    if (standing === undefined) return;
    const reasons = new Map<RevocationReason, number>();
    for (const referral of await this.#referrals.ofCase(caseId)) {
      const reason = revocationReason(standing, {
        providerId: referral.providerId,
        type: referral.recipientType,
      });
      if (reason === undefined) continue;
      const { decided } = await this.#referrals.revoke(referral, reason, causationId);
      if (decided) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    for (const [reason, referrals] of reasons) {
      this.#logger.info({ caseId, reason, referrals }, 'referrals revoked or erasure requested');
    }
  }

  async #allProviders(): Promise<ProviderDescription[]> {
    const documents = await everyDocument(this.#providers);
    return documents.map((data) => data as unknown as ProviderDescription);
  }
}

function opened(caseId: string, organisationId: string): CaseStanding {
  return { caseId, organisationId, needs: [], consent: [], status: 'open' };
}

/**
 * A stored standing. Documents written before consent named providers and cases could be
 * withdrawn have neither: they are open, and their grants name no one.
 */
function standingOf(data: JsonObject | undefined): CaseStanding | undefined {
  if (data === undefined) return undefined;
  const standing = data as unknown as Omit<CaseStanding, 'status'> & { status?: CaseStatus };
  return {
    ...standing,
    status: standing.status ?? 'open',
    consent: consentOf(data['consent']),
  };
}

/** Consent grants as protobuf JSON gives them (empty lists left out). */
function consentOf(value: JsonValue | undefined): ConsentGrant[] {
  const grants: readonly JsonValue[] = Array.isArray(value) ? value : [];
  return grants.map((grant) => {
    const fields = isObject(grant) ? grant : {};
    return {
      recipientTypes: valuesOf(fields['recipientTypes'], RECIPIENT_TYPES),
      fieldGroups: valuesOf(fields['fieldGroups'], FIELD_GROUPS),
      providerIds: texts(fields['providerIds']),
    };
  });
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

function texts(value: JsonValue | undefined): string[] {
  const given: readonly JsonValue[] = Array.isArray(value) ? value : [];
  return given.filter((item): item is string => typeof item === 'string' && item !== '');
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
