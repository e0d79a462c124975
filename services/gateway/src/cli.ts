// `pnpm aman …`: the administrator's command line. Keys and secrets are printed once, here.
import { parseArgs } from 'node:util';

import { ORGANISATION_TYPES, type OrganisationType } from '@aman/service-kit';

import { Admin, adminOptionsFromEnv, checkEnum, vocabularies } from './admin.ts';

const USAGE = `usage:
  pnpm aman org create --type ngo|provider|monitor|operator --name NAME
  pnpm aman key create --org ORGANISATION_ID
  pnpm aman provider register --org ORGANISATION_ID --type RECIPIENT_TYPE_… \\
      --services NEED_…,NEED_… --levels RISK_LEVEL_…,… --webhook-url URL
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
    } else if (command === 'key create') {
      if (values.org === undefined) throw new Error('--org is required');
      const issued = await admin.issueKey(values.org);
      write(`API key ${issued.keyId} (shown once): ${issued.key}`);
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
