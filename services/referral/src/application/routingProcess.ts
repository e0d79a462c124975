import type { JsonObject, JsonValue } from '@aman/eventstore';
import {
  documentsOf,
  everyDocument,
  type ReadModelCollection,
  type ReadModelDocument,
  type ReadModelStore,
} from '@aman/projections';
import { CONTEXTS, type ConsumedEvent, type Logger } from '@aman/service-kit';

import {
  DEADLINE_CLASSES,
  FAILED,
  FIELD_GROUPS,
  GENDERS,
  NEEDS,
  PROFILES,
  PROGRAMME_STATUSES,
  RECIPIENT_TYPES,
  RISK_LEVELS,
  plan,
  revocationReason,
  route,
  type CaseFacts,
  type CaseStatus,
  type ConsentGrant,
  type Eligibility,
  type ExistingReferral,
  type ProgrammeDescription,
  type ProviderDescription,
  type RevocationReason,
  type RiskLevel,
} from '../domain/index.ts';
import type { ProviderDirectory } from './providerDirectory.ts';
import { Referrals, type CaseDeadlines } from './referrals.ts';

/** The case as it now stands: who it is for (the NGO), what it needs, what consent allows. */
type CaseStanding = Pick<
  CaseFacts,
  'caseId' | 'organisationId' | 'needs' | 'consent' | 'profile' | 'gender' | 'province'
> & {
  readonly status: CaseStatus;
};
/** The newest risk assessment of a case, and how fast its providers must answer. */
type CaseRisk = { readonly level: RiskLevel } & CaseDeadlines;

/** A programme as the routing process remembers it (placesTaken: its status says when full). */
export type KnownProgramme = Omit<ProgrammeDescription, 'placesTaken' | 'open'> & {
  readonly providerOrganisationId: string;
  readonly status: string;
  /** Absent from programmes remembered before it was kept. */
  readonly name?: string;
};

/** Who the defender is, as intake publishes it: the fields eligibility looks at. */
function profileOf(data: JsonObject): Pick<CaseStanding, 'profile' | 'gender' | 'province'> {
  const profile = oneOf(data['profile'], PROFILES);
  const gender = oneOf(data['gender'], GENDERS);
  const province = text(data['province']);
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(gender === undefined ? {} : { gender }),
    ...(province === undefined ? {} : { province }),
  };
}

/** What each of intake's events changes in a case's standing (an erased case stays erased). */
const CASE_CHANGES = new Map<string, (standing: CaseStanding, data: JsonObject) => CaseStanding>([
  [
    'CaseSubmitted',
    (standing, data) => ({
      ...standing,
      ...profileOf(data),
      needs: valuesOf(data['needs'], NEEDS),
      consent: consentOf(data['consent']),
    }),
  ],
  [
    'CaseFactsUpdated',
    (standing, data) => ({
      ...standing,
      ...profileOf(data),
      needs: valuesOf(data['needs'], NEEDS),
    }),
  ],
  ['ConsentUpdated', (standing, data) => ({ ...standing, consent: consentOf(data['consent']) })],
  [
    'CaseWithdrawn',
    (standing) => ({ ...standing, status: standing.status === 'erased' ? 'erased' : 'withdrawn' }),
  ],
  ['CaseErased', (standing) => ({ ...standing, status: 'erased' })],
]);

/**
 * The routing process manager: it remembers what routing needs — each case's needs, profile,
 * current consent and standing (intake's events), its newest risk level and deadlines (risk's
 * RiskAssessed), the provider directory and its programmes (referral's own events) — and brings
 * each case's referrals in line: it routes each need of an open case that no live referral covers
 * to the best-ranked provider or programme not yet tried (so a decline, a missed deadline or a
 * closure escalates to the next in rank), tightens the open deadlines on a raised level, and
 * revokes the referrals the case no longer allows: a provider that lost all consent, every
 * provider of a withdrawn or erased case (which is never routed again). It also counts a
 * programme's acceptances against its quota and tells the NGOs of pending referrals when a
 * programme fills, is suspended or closes. Everything is idempotent, so redelivered events change
 * only what is not yet so.
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
  readonly #programmes: ReadModelCollection;
  readonly #referrals: Referrals;
  readonly #directory: ProviderDirectory | undefined;
  readonly #logger: Logger;

  private constructor(
    collections: {
      readonly cases: ReadModelCollection;
      readonly risks: ReadModelCollection;
      readonly providers: ReadModelCollection;
      readonly programmes: ReadModelCollection;
    },
    referrals: Referrals,
    directory: ProviderDirectory | undefined,
    logger: Logger,
  ) {
    this.#cases = collections.cases;
    this.#risks = collections.risks;
    this.#providers = collections.providers;
    this.#programmes = collections.programmes;
    this.#referrals = referrals;
    this.#directory = directory;
    this.#logger = logger;
  }

  /** Without `directory`, programme quotas are not counted (tests of routing alone). */
  static async open(
    readModels: ReadModelStore,
    referrals: Referrals,
    logger: Logger,
    directory?: ProviderDirectory,
  ): Promise<RoutingProcess> {
    return new RoutingProcess(
      {
        cases: await readModels.collection('cases', { indexes: [] }),
        risks: await readModels.collection('case_risks', { indexes: [] }),
        providers: await readModels.collection('providers', { indexes: [] }),
        programmes: await readModels.collection('programmes', { indexes: [] }),
      },
      referrals,
      directory,
      logger,
    );
  }

  /** One consumed event; at least once, in order per stream. */
  async onEvent(event: ConsumedEvent): Promise<void> {
    if (event.source === CONTEXTS.referral.source) {
      await this.#referralEvent(event);
    } else if (event.source === CONTEXTS.intake.source && CASE_CHANGES.has(event.type)) {
      const caseId = await this.#caseChanged(event);
      if (caseId !== undefined) await this.#settle(caseId, event.id);
    } else if (event.source === CONTEXTS.risk.source && event.type === 'RiskAssessed') {
      const caseId = await this.#riskAssessed(event);
      if (caseId !== undefined) await this.#settle(caseId, event.id);
    }
  }

  async #referralEvent(event: ConsumedEvent): Promise<void> {
    const { data } = event;
    switch (event.type) {
      case 'ProviderRegistered':
        return this.#providerRegistered(event);
      case 'ProviderStatusChanged': {
        const organisationId = text(data['organisationId']);
        if (organisationId === undefined) return;
        await this.#update(this.#providers, organisationId, event, (known) => ({
          ...known,
          active: data['active'] === true,
        }));
        if (data['active'] === true) {
          const services = (await this.#providers.get(organisationId))?.data?.['services'];
          await this.#routeWaiting(valuesOf(services, NEEDS), event.id);
        }
        return;
      }
      case 'ProgrammeDefined':
      case 'ProgrammeStatusChanged':
        return this.#programmeChanged(event);
      case 'ReferralStatusChanged': {
        const status = data['status'];
        const caseId = text(data['caseId']);
        const referralId = text(data['referralId']);
        if (caseId === undefined || referralId === undefined) return;
        // An acceptance takes a place of its programme's quota.
        if (status === 'REFERRAL_STATUS_ACCEPTED') await this.#placeTaken(referralId, event.id);
        // A decline, a missed deadline or a closure: the next in rank is due, planned on an
        // index that shows this event (decided elsewhere, its index write may still be to come).
        // A revocation needs no catch-up: routing revokes for consent itself, one event at a
        // time, so its index write is done before the event comes back; an erasure's revocation
        // routes nothing again.
        if ((FAILED as readonly JsonValue[]).includes(status ?? null)) {
          if (status !== 'REFERRAL_STATUS_REVOKED') {
            await this.#referrals.catchUp(referralId, event.version);
          }
          await this.#settle(caseId, event.id);
        }
        return;
      }
    }
  }

  async #providerRegistered(event: ConsumedEvent): Promise<void> {
    const { data } = event;
    const organisationId = text(data['organisationId']);
    const type = oneOf(data['type'], RECIPIENT_TYPES);
    if (organisationId === undefined || type === undefined) return;
    const capacity = data['capacity'];
    const known = await this.#providers.get(organisationId);
    const provider: ProviderDescription = {
      providerId: text(data['providerId']) ?? '',
      organisationId,
      type,
      services: valuesOf(data['services'], NEEDS),
      riskLevels: valuesOf(data['riskLevels'], RISK_LEVELS),
      eligibility: eligibilityOf(data),
      genderSensitive: data['genderSensitive'] === true,
      capacity: typeof capacity === 'number' ? capacity : 0,
      // A status change read before the registration (another order after a replay) stays.
      active: known?.data?.['active'] !== false,
    };
    const applied = known?.versions[event.stream];
    if (applied !== undefined && event.version <= applied) return;
    await this.#providers.write([
      {
        id: organisationId,
        data: provider as unknown as JsonObject,
        versions: { [event.stream]: event.version },
      },
    ]);
    // Cases that waited for a provider of these services get one now.
    await this.#routeWaiting(provider.services, event.id);
  }

  async #programmeChanged(event: ConsumedEvent): Promise<void> {
    const { data } = event;
    const programmeId = text(data['programmeId']);
    const providerOrganisationId = text(data['providerOrganisationId']);
    if (programmeId === undefined || providerOrganisationId === undefined) return;
    await this.#update(this.#programmes, programmeId, event, (known) => {
      if (event.type === 'ProgrammeStatusChanged') {
        return {
          ...known,
          programmeId,
          providerOrganisationId,
          status: text(data['status']) ?? '',
        };
      }
      const criteria = isObject(data['criteria']) ? data['criteria'] : {};
      const programme: Omit<KnownProgramme, 'status'> = {
        programmeId,
        providerOrganisationId,
        name: text(data['name']) ?? '',
        services: valuesOf(data['services'], NEEDS),
        riskLevels: valuesOf(criteria['riskLevels'], RISK_LEVELS),
        eligibility: eligibilityOf(criteria),
        criteriaVersion: typeof data['criteriaVersion'] === 'number' ? data['criteriaVersion'] : 1,
        quota: typeof data['quota'] === 'number' ? data['quota'] : 0,
      };
      return { status: 'PROGRAMME_STATUS_OPEN', ...known, ...programme };
    });
    // Full, suspended, closed: the NGOs of its pending referrals are told (again after a
    // redelivery, which decides nothing new).
    const status = oneOf(data['status'], PROGRAMME_STATUSES);
    if (event.type === 'ProgrammeDefined' || status === 'PROGRAMME_STATUS_OPEN') {
      // Defined or open again: cases that waited for its services may go to it now.
      const known = await this.#programmes.get(programmeId);
      await this.#routeWaiting(valuesOf(known?.data?.['services'], NEEDS), event.id);
      return;
    }
    if (status === undefined) return;
    let told = 0;
    for (const referral of await this.#referrals.ofProgramme(programmeId)) {
      if (await this.#referrals.noteProgrammeStatus(referral, programmeId, status, event.id)) {
        told += 1;
      }
    }
    if (told > 0) {
      this.#logger.info(
        { programmeId, status, referrals: told },
        'pending referrals told of their programme',
      );
    }
  }

  async #placeTaken(referralId: string, causationId: string): Promise<void> {
    if (this.#directory === undefined) return;
    const state = await this.#referrals.state(referralId);
    if (state.status === 'NOT_ROUTED' || state.referral.programmeId === '') return;
    await this.#directory.takePlace(state.referral.programmeId, referralId, causationId);
  }

  /**
   * Writes one document from the events of one stream, in order: an event applied already
   * (a redelivery) changes nothing. True when it wrote.
   */
  async #update(
    collection: ReadModelCollection,
    id: string,
    event: ConsumedEvent,
    change: (known: JsonObject) => object,
  ): Promise<boolean> {
    const known = await collection.get(id);
    const applied = known?.versions[event.stream];
    if (applied !== undefined && event.version <= applied) return false;
    await collection.write([
      {
        id,
        data: change(known?.data ?? {}) as JsonObject,
        versions: { ...known?.versions, [event.stream]: event.version },
      },
    ]);
    return true;
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
      const risk: CaseRisk = {
        level,
        deadlineClass,
        acknowledgeWithinSeconds: seconds(event.data['acknowledgeWithinSeconds']),
        decideWithinSeconds: seconds(event.data['decideWithinSeconds']),
      };
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
    await this.#tighten(caseId, causationId);
    await this.#revoke(caseId, causationId);
  }

  /** Every open referral of the case gets the newest assessment's deadlines, if tighter. */
  async #tighten(caseId: string, causationId: string): Promise<void> {
    const risk = riskOf((await this.#risks.get(caseId))?.data);
    const standing = standingOf((await this.#cases.get(caseId))?.data);
    // A withdrawn or erased case's referrals are revoked, not hurried.
    if (risk === undefined || standing?.status !== 'open') return;
    for (const referral of await this.#referrals.ofCase(caseId)) {
      if (referral.open === false) continue;
      if (await this.#referrals.tighten(referral, risk, causationId)) {
        this.#logger.info({ caseId, referralId: referral.referralId }, 'deadlines tightened');
      }
    }
  }

  async #route(caseId: string, causationId: string): Promise<void> {
    const [standing, risk] = await Promise.all([
      this.#cases.get(caseId).then((found) => standingOf(found?.data)),
      this.#risks.get(caseId).then((found) => riskOf(found?.data)),
    ]);
    const existing: ExistingReferral[] = [];
    // Indexed before it is routed: an entry whose routing was cut short (a crash, a database
    // outage, between the two writes) is no referral yet. Left out, its match is planned again
    // and routed under the same id; counted, it would hold the case's need as covered forever.
    const unfinished: string[] = [];
    for (const referral of await this.#referrals.ofCase(caseId)) {
      const status = referral.status ?? 'UNKNOWN';
      if (status === 'UNKNOWN' && !(await this.#referrals.isRouted(referral.referralId))) {
        unfinished.push(referral.referralId);
        continue;
      }
      existing.push({
        providerOrganisationId: referral.providerOrganisationId,
        programmeId: referral.programmeId ?? '',
        ...(referral.needsServed === undefined ? {} : { needsServed: referral.needsServed }),
        status,
      });
    }
    const planned = new Set<string>();
    if (standing !== undefined && risk !== undefined && standing.status === 'open') {
      const caseFacts: CaseFacts & CaseDeadlines = { ...standing, ...risk };
      const matches = route(caseFacts, await this.#targets());
      let routed = 0;
      for (const match of plan(caseFacts, matches, existing)) {
        planned.add(Referrals.idOf(caseId, match.providerOrganisationId, match.programmeId));
        if (await this.#referrals.route(caseFacts, match, causationId)) routed += 1;
      }
      if (routed > 0) {
        // Not `level`: pino's own field, which the risk level would overwrite in the JSON line.
        this.#logger.info({ caseId, riskLevel: risk.level, routed }, 'case routed to providers');
      } else if (matches.length === 0) {
        this.#logger.info({ caseId, level: risk.level }, 'no provider matches the case');
      }
    }
    // One the plan no longer chooses (its provider or the case changed meanwhile) would count
    // against its provider's capacity for good, open and never routed: it goes.
    for (const referralId of unfinished) {
      if (!planned.has(referralId)) await this.#referrals.forgetUnrouted(referralId);
    }
  }

  async #revoke(caseId: string, causationId: string): Promise<void> {
    // Read again, after routing: see the class comment.
    const standing = standingOf((await this.#cases.get(caseId))?.data);
    if (standing === undefined) return;
    const reasons = new Map<RevocationReason, number>();
    for (const referral of await this.#referrals.ofCase(caseId)) {
      const reason = revocationReason(standing, {
        organisationId: referral.providerOrganisationId,
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

  /**
   * A provider (or one of its programmes) can take referrals it could not before: every open
   * case needing one of `services` is settled again, so that a need nobody covered gets routed
   * now. Settling decides nothing for a case already served.
   */
  async #routeWaiting(services: readonly string[], causationId: string): Promise<void> {
    if (services.length === 0) return;
    for await (const { id, data } of documentsOf(this.#cases)) {
      const standing = standingOf(data);
      if (standing?.status !== 'open') continue;
      if (!standing.needs.some((need) => services.includes(need))) continue;
      await this.#settle(id, causationId);
    }
  }

  /** The NGO holding a case, as routing knows it; undefined before routing has seen the case. */
  async caseOwner(caseId: string): Promise<string | undefined> {
    return standingOf((await this.#cases.get(caseId))?.data)?.organisationId;
  }

  /**
   * The programmes as routing knows them now: what cases are routed by. A programme whose status
   * was read before its definition has no services yet: left out until it has.
   */
  async programmes(): Promise<KnownProgramme[]> {
    return (await everyDocument(this.#programmes))
      .filter((data) => Array.isArray(data['services']))
      .map((data) => data as unknown as KnownProgramme);
  }

  /** Every provider, and each of its programmes, with the referrals it works on now. */
  async #targets(): Promise<ProviderDescription[]> {
    const providers = (await everyDocument(this.#providers)).map(
      (data) => data as unknown as ProviderDescription,
    );
    const programmes = await this.programmes();
    const targets: ProviderDescription[] = [];
    for (const provider of providers) {
      const load = provider.capacity ? await this.#referrals.load(provider.organisationId) : 0;
      targets.push({ ...provider, load });
      for (const programme of programmes) {
        if (programme.providerOrganisationId !== provider.organisationId) continue;
        targets.push({
          ...provider,
          load,
          programme: {
            ...programme,
            open: programme.status === 'PROGRAMME_STATUS_OPEN',
            placesTaken: 0,
          },
        });
      }
    }
    return targets;
  }
}

/** A stored risk; documents written before issue 9 have no deadlines: the class's then. */
function riskOf(data: JsonObject | undefined): CaseRisk | undefined {
  if (data === undefined) return undefined;
  const stored = data as unknown as Partial<CaseRisk> & Pick<CaseRisk, 'level' | 'deadlineClass'>;
  return {
    level: stored.level,
    deadlineClass: stored.deadlineClass,
    acknowledgeWithinSeconds: stored.acknowledgeWithinSeconds ?? 0,
    decideWithinSeconds: stored.decideWithinSeconds ?? 0,
  };
}

/** A whole, positive number of seconds; anything else (protobuf JSON leaves 0 out) is none. */
function seconds(value: JsonValue | undefined): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

function opened(caseId: string, organisationId: string): CaseStanding {
  return { caseId, organisationId, needs: [], consent: [], status: 'open' };
}

/**
 * A stored standing. Documents written before consent named providers and cases could be
 * withdrawn have neither: they are open, and their grants name no one.
 */
/** Whom a provider or a programme takes, as its event gives it (protobuf JSON, empty left out). */
function eligibilityOf(source: JsonObject): Eligibility {
  return {
    profiles: valuesOf(source['profiles'], PROFILES),
    provinces: texts(source['provinces']),
    genders: valuesOf(source['genders'], GENDERS),
  };
}

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
