import type { ChannelCredentials, Client } from '@grpc/grpc-js';

import { common, intake, referral } from '@aman/contracts';
import { enumNames } from '@aman/contracts/vocabulary';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  addressOf,
  createLogger,
  environmentOf,
  loadConfig,
  type Environment,
  type OrganisationType,
  type Principal,
} from '@aman/service-kit';

import {
  ApiKeyStore,
  type ApiKeyRecord,
  type KeyScope,
  type Organisation,
} from './adapters/keyStore.ts';
import { newWebhookSecret } from './adapters/webhookSecrets.ts';

/** Where the admin tools find the platform: the same variables the services read. */
export interface AdminOptions {
  readonly environment: Environment;
  readonly referralAddress: string;
  readonly intakeAddress: string;
}

export function adminOptionsFromEnv(source: NodeJS.ProcessEnv = process.env): AdminOptions {
  const addresses = loadConfig(
    { referral: addressOf('referral'), intake: addressOf('intake') },
    source,
  );
  return {
    environment: environmentOf(source),
    referralAddress: addresses.referral,
    intakeAddress: addresses.intake,
  };
}

/**
 * The administrator's operations: organisations and API keys (the gateway's own store), and
 * providers (the referral service, over gRPC as the `admin` identity).
 */
export class Admin {
  readonly #platform: Platform;
  readonly #keys: ApiKeyStore;
  readonly #identity: ServiceIdentity;
  readonly #options: AdminOptions;

  private constructor(
    platform: Platform,
    keys: ApiKeyStore,
    identity: ServiceIdentity,
    options: AdminOptions,
  ) {
    this.#platform = platform;
    this.#keys = keys;
    this.#identity = identity;
    this.#options = options;
  }

  static async open(options: AdminOptions): Promise<Admin> {
    const platform = new Platform(
      options.environment.platform,
      'gateway',
      createLogger('admin', 'warn'),
    );
    const keys = await ApiKeyStore.open(await platform.readModels());
    const identity = await ServiceIdentity.load('admin', options.environment.keysDir);
    return new Admin(platform, keys, identity, options);
  }

  /** A new organisation and its first API key (shown once). */
  async createOrganisation(
    name: string,
    type: OrganisationType,
  ): Promise<{ organisation: Organisation; key: string; keyId: string }> {
    const organisation = await this.#keys.createOrganisation(name, type);
    return { organisation, ...(await this.#keys.issueKey(organisation.id)) };
  }

  /** A new key (shown once): a year unless `days` says otherwise; `scopes` read and/or write. */
  async issueKey(
    organisationId: string,
    options: { readonly days?: number; readonly scopes?: readonly KeyScope[] } = {},
  ): Promise<{ key: string; keyId: string; expiresAt: string }> {
    return this.#keys.issueKey(organisationId, options);
  }

  async organisations(): Promise<Organisation[]> {
    return this.#keys.organisations();
  }

  /** An organisation's keys: ids, creation, last use and revocation, never a secret. */
  async keys(organisationId: string): Promise<ApiKeyRecord[]> {
    return this.#keys.keys(organisationId);
  }

  /** Revokes one key: the very next request with it is refused. */
  async revokeKey(keyId: string): Promise<ApiKeyRecord> {
    return this.#keys.revokeKey(keyId);
  }

  /** Revokes every key of an organisation at once. */
  async revokeOrganisation(organisationId: string): Promise<ApiKeyRecord[]> {
    return this.#keys.revokeOrganisation(organisationId);
  }

  /** Registers a provider organisation with the referral service; returns its webhook secret. */
  async registerProvider(provider: {
    readonly organisationId: string;
    readonly type: string;
    readonly services: readonly string[];
    readonly riskLevels: readonly string[];
    readonly webhookUrl: string;
  }): Promise<{ providerId: string; webhookSecret: string }> {
    const webhookSecret = newWebhookSecret();
    return this.#referral(async (client) => {
      const registered = await client.call(
        'registerProvider',
        referral.RegisterProviderRequest.fromJSON({
          organisationId: provider.organisationId,
          type: provider.type,
          services: provider.services,
          riskLevels: provider.riskLevels,
          webhookUrl: provider.webhookUrl,
          webhookSecret,
        }),
        { principal: OPERATOR },
      );
      return { providerId: registered.providerId, webhookSecret };
    });
  }

  /** Defines a provider's programme, or a new version of its criteria. */
  async defineProgramme(
    programme: referral.RegisterProgrammeRequest,
  ): Promise<referral.RegisterProgrammeResponse> {
    return this.#referral((client) =>
      client.call('registerProgramme', programme, { principal: OPERATOR }),
    );
  }

  /** Opens, fills, suspends or closes a programme; the NGOs of pending referrals are told. */
  async setProgrammeStatus(programmeId: string, status: string): Promise<string> {
    return this.#referral(async (client) => {
      const changed = await client.call(
        'setProgrammeStatus',
        referral.SetProgrammeStatusRequest.fromJSON({ programmeId, status }),
        { principal: OPERATOR },
      );
      return referral.programmeStatusToJSON(changed.status);
    });
  }

  /** Suspends a provider (routing passes it by) or makes it active again. */
  async setProviderActive(organisationId: string, active: boolean): Promise<boolean> {
    return this.#referral(async (client) => {
      const changed = await client.call(
        'setProviderStatus',
        { organisationId, active },
        { principal: OPERATOR },
      );
      return changed.active;
    });
  }

  /** Webhook notifications in the dead-letter state, each holding back its provider and case. */
  async deadLetters(): Promise<referral.WebhookDeadLetter[]> {
    return this.#referral(async (client) => {
      const listed = await client.call('listWebhookDeadLetters', {}, { principal: OPERATOR });
      return listed.deadLetters;
    });
  }

  /** Redelivers (a new round of attempts) or discards one dead-lettered notification. */
  async settleDeadLetter(
    how: 'redeliver' | 'discard',
    notification: referral.WebhookNotificationRef,
  ): Promise<void> {
    await this.#referral((client) =>
      client.call(
        how === 'redeliver' ? 'redeliverWebhook' : 'discardWebhook',
        { notification },
        {
          principal: OPERATOR,
        },
      ),
    );
  }

  /**
   * The compromised-key report: every access to personal data by one key, or by every key of one
   * organisation, oldest first, from intake's audit events (each with the NGO holding the case,
   * the one to warn its person).
   */
  async accessReport(
    by: { readonly keyId: string } | { readonly organisationId: string },
  ): Promise<intake.Access[]> {
    return this.#call(
      'intake',
      this.#options.intakeAddress,
      intake.IntakeServiceClient,
      async (client) => {
        const accesses: intake.Access[] = [];
        let pageToken = '';
        do {
          const page = await client.call(
            'reportAccess',
            intake.ReportAccessRequest.fromPartial({ ...by, pageSize: 500, pageToken }),
            { principal: OPERATOR },
          );
          accesses.push(...page.accesses);
          pageToken = page.nextPageToken;
        } while (pageToken !== '');
        return accesses;
      },
    );
  }

  #referral<T>(
    use: (client: ServiceClient<referral.ReferralServiceClient>) => Promise<T>,
  ): Promise<T> {
    return this.#call(
      'referral',
      this.#options.referralAddress,
      referral.ReferralServiceClient,
      use,
    );
  }

  /** One use of a service as the admin identity; the connection is closed after it. */
  async #call<C extends Client, T>(
    audience: string,
    address: string,
    type: new (address: string, credentials: ChannelCredentials) => C,
    use: (client: ServiceClient<C>) => Promise<T>,
  ): Promise<T> {
    const client = new ServiceClient({
      audience,
      address,
      client: type,
      identity: this.#identity,
      deadlineMs: 30_000,
    });
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  async close(): Promise<void> {
    await this.#platform.close();
  }
}

/** Who the admin CLI acts as towards the services. */
const OPERATOR: Principal = {
  organisationId: 'operator',
  organisationType: 'admin',
  keyId: 'admin-cli',
};

/** Checks a vocabulary value against its protobuf enum, for clear CLI errors. */
export function checkEnum(
  values: Record<string, string | number>,
  value: string,
  what: string,
): string {
  const names = enumNames(values);
  if (!names.includes(value)) throw new Error(`${what} must be one of ${names.join(', ')}`);
  return value;
}

export const vocabularies = {
  recipientType: common.RecipientType,
  need: common.Need,
  riskLevel: common.RiskLevel,
  profile: common.Profile,
  gender: common.Gender,
  programmeStatus: referral.ProgrammeStatus,
};
