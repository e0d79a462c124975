// `pnpm aman …`: the administrator's command line. Keys and secrets are printed once, here.
import { parseArgs } from 'node:util';

import { common, intake, referral } from '@aman/contracts';
import { ORGANISATION_TYPES, type OrganisationType } from '@aman/service-kit';

import type { KeyScope } from './adapters/keyStore.ts';
import { Admin, adminOptionsFromEnv, checkEnum, vocabularies } from './admin.ts';

const USAGE = `usage:
  pnpm aman org create --type ngo|provider|monitor|operator --name NAME
  pnpm aman org list
  pnpm aman org revoke --org ORGANISATION_ID        (revokes every key of the organisation)
  pnpm aman key create --org ORGANISATION_ID [--days N] [--scopes read|read,write]
      (a key lives a year unless --days says otherwise, at most 730; a read key may only GET)
  pnpm aman key list --org ORGANISATION_ID
  pnpm aman key revoke --key KEY_ID
  pnpm aman report access --key KEY_ID | --org ORGANISATION_ID [--revoke]
      (the compromised-key report: every case whose personal data the key or organisation read,
      when, and the NGO to warn; --revoke revokes the key, or every key of the organisation, first)
  pnpm aman provider register --org ORGANISATION_ID --type RECIPIENT_TYPE_… \\
      --services NEED_…,NEED_… --levels RISK_LEVEL_…,… --webhook-url URL
  pnpm aman provider suspend|activate --org ORGANISATION_ID
  pnpm aman programme define --id PROGRAMME_ID --org PROVIDER_ORGANISATION_ID --name NAME \
      --services NEED_…,… [--levels RISK_LEVEL_…,…] [--profiles PROFILE_…,…] \
      [--provinces AF-KAB,…] [--genders GENDER_…,…] [--quota N]
  pnpm aman programme status --id PROGRAMME_ID --status PROGRAMME_STATUS_…
  pnpm aman webhooks dead-letters
  pnpm aman webhooks redeliver|discard --org PROVIDER_ORGANISATION_ID --case CASE_ID --id NOTIFICATION_ID
Reads AMAN_DATA_DIR (default ./data), or KAFKA_BROKERS and MONGODB_URI for the distributed mode.`;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      type: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      services: { type: 'string' },
      levels: { type: 'string' },
      'webhook-url': { type: 'string' },
      case: { type: 'string' },
      id: { type: 'string' },
      profiles: { type: 'string' },
      provinces: { type: 'string' },
      genders: { type: 'string' },
      quota: { type: 'string' },
      status: { type: 'string' },
      key: { type: 'string' },
      revoke: { type: 'boolean' },
      days: { type: 'string' },
      scopes: { type: 'string' },
    },
  });
  const command = positionals.join(' ');
  const admin = await Admin.open(adminOptionsFromEnv());
  try {
    if (command === 'org create') {
      const type = values.type as OrganisationType | undefined;
      if (type === undefined || !ORGANISATION_TYPES.includes(type) || type === 'admin') {
        throw new Error('--type must be ngo, provider, monitor or operator');
      }
      if (values.name === undefined) throw new Error('--name is required');
      const created = await admin.createOrganisation(values.name, type);
      write(`organisation ${created.organisation.id} (${type})`);
      write(`API key (shown once): ${created.key}`);
    } else if (command === 'org list') {
      for (const organisation of await admin.organisations()) {
        write(`${organisation.id} ${organisation.type} ${organisation.name}`);
      }
    } else if (command === 'org revoke') {
      if (values.org === undefined) throw new Error('--org is required');
      const revoked = await admin.revokeOrganisation(values.org);
      for (const key of revoked) write(`${key.keyId} revoked at ${key.revokedAt}`);
      write(`${String(revoked.length)} keys of ${values.org} revoked`);
    } else if (command === 'key list') {
      if (values.org === undefined) throw new Error('--org is required');
      for (const key of await admin.keys(values.org)) {
        write(
          `${key.keyId} ${key.scopes.join(',')} created ${key.createdAt} ` +
            `expires ${key.expiresAt || 'never'} last used ${key.lastUsedAt || 'never'}` +
            (key.revokedAt === '' ? '' : ` revoked ${key.revokedAt}`),
        );
      }
    } else if (command === 'key revoke') {
      if (values.key === undefined) throw new Error('--key is required (a key id, key_…)');
      const revoked = await admin.revokeKey(values.key);
      write(`${revoked.keyId} revoked at ${revoked.revokedAt}`);
    } else if (command === 'report access') {
      if ((values.key === undefined) === (values.org === undefined)) {
        throw new Error('give one of --key KEY_ID or --org ORGANISATION_ID');
      }
      if (values.revoke === true) {
        const revoked =
          values.key === undefined
            ? await admin.revokeOrganisation(values.org ?? '')
            : [await admin.revokeKey(values.key)];
        write(`${String(revoked.length)} keys revoked`);
      }
      const accesses = await admin.accessReport(
        values.key === undefined ? { organisationId: values.org ?? '' } : { keyId: values.key },
      );
      const toWarn = new Map<string, Set<string>>();
      for (const access of accesses) {
        write(
          `${access.at?.toISOString() ?? ''} ${access.keyId} ` +
            `${intake.accessKindToJSON(access.kind)} ${intake.accessOutcomeToJSON(access.outcome)} ` +
            `case ${access.caseId} (NGO ${access.ownerOrganisationId})` +
            (access.fieldGroups.length === 0
              ? ''
              : ` ${access.fieldGroups.map((group) => common.fieldGroupToJSON(group)).join(',')}`),
        );
        const cases = toWarn.get(access.ownerOrganisationId) ?? new Set<string>();
        cases.add(access.caseId);
        toWarn.set(access.ownerOrganisationId, cases);
      }
      write(`${String(accesses.length)} accesses`);
      for (const [ngo, cases] of toWarn) {
        write(`NGO ${ngo}: ${String(cases.size)} cases to warn: ${[...cases].join(' ')}`);
      }
    } else if (command === 'key create') {
      if (values.org === undefined) throw new Error('--org is required');
      const issued = await admin.issueKey(values.org, {
        ...(values.days === undefined ? {} : { days: Number(values.days) }),
        ...(values.scopes === undefined
          ? {}
          : { scopes: values.scopes.split(',').filter(Boolean) as KeyScope[] }),
      });
      write(`API key ${issued.keyId} (shown once, expires ${issued.expiresAt}): ${issued.key}`);
    } else if (command === 'provider register') {
      if (values.org === undefined || values['webhook-url'] === undefined) {
        throw new Error('--org and --webhook-url are required');
      }
      const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean);
      const registered = await admin.registerProvider({
        organisationId: values.org,
        type: checkEnum(vocabularies.recipientType, values.type ?? '', '--type'),
        services: list(values.services).map((s) => checkEnum(vocabularies.need, s, '--services')),
        riskLevels: list(values.levels).map((l) =>
          checkEnum(vocabularies.riskLevel, l, '--levels'),
        ),
        webhookUrl: values['webhook-url'],
      });
      write(`provider ${registered.providerId}`);
      write(`webhook secret (shown once): ${registered.webhookSecret}`);
    } else if (command === 'provider suspend' || command === 'provider activate') {
      if (values.org === undefined) throw new Error('--org is required');
      const active = await admin.setProviderActive(values.org, command === 'provider activate');
      write(`provider ${values.org} ${active ? 'active' : 'suspended'}`);
    } else if (command === 'programme define') {
      if (values.id === undefined || values.org === undefined || values.name === undefined) {
        throw new Error('--id, --org and --name are required');
      }
      const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean);
      const quota = Number(values.quota ?? '0');
      if (!Number.isInteger(quota) || quota < 0) throw new Error('--quota must be a whole number');
      const defined = await admin.defineProgramme(
        referral.RegisterProgrammeRequest.fromJSON({
          programmeId: values.id,
          providerOrganisationId: values.org,
          name: values.name,
          services: list(values.services).map((s) => checkEnum(vocabularies.need, s, '--services')),
          criteria: {
            riskLevels: list(values.levels).map((l) =>
              checkEnum(vocabularies.riskLevel, l, '--levels'),
            ),
            profiles: list(values.profiles).map((p) =>
              checkEnum(vocabularies.profile, p, '--profiles'),
            ),
            provinces: list(values.provinces),
            genders: list(values.genders).map((g) =>
              checkEnum(vocabularies.gender, g, '--genders'),
            ),
          },
          quota,
        }),
      );
      write(
        `programme ${values.id}: criteria version ${String(defined.criteriaVersion)}, ` +
          referral.programmeStatusToJSON(defined.status),
      );
    } else if (command === 'programme status') {
      if (values.id === undefined || values.status === undefined) {
        throw new Error('--id and --status are required');
      }
      const status = await admin.setProgrammeStatus(
        values.id,
        checkEnum(vocabularies.programmeStatus, values.status, '--status'),
      );
      write(`programme ${values.id}: ${status}`);
    } else if (command === 'webhooks dead-letters') {
      const letters = await admin.deadLetters();
      for (const letter of letters) {
        write(
          `${letter.notificationId} ${letter.notice} provider ${letter.providerOrganisationId} ` +
            `case ${letter.caseId}: ${String(letter.attempts)} attempts, ${letter.reason}, ` +
            `${String(letter.heldBack)} held back`,
        );
      }
      write(`${String(letters.length)} dead-lettered`);
    } else if (command === 'webhooks redeliver' || command === 'webhooks discard') {
      if (values.org === undefined || values.case === undefined || values.id === undefined) {
        throw new Error('--org, --case and --id are required');
      }
      await admin.settleDeadLetter(command === 'webhooks redeliver' ? 'redeliver' : 'discard', {
        providerOrganisationId: values.org,
        caseId: values.case,
        notificationId: values.id,
      });
      write(command === 'webhooks redeliver' ? 'redelivering' : 'discarded');
    } else {
      write(USAGE);
      process.exitCode = command === '' ? 0 : 2;
    }
  } finally {
    await admin.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`aman: ${(error as Error).message}\n`);
  process.exit(1);
});
