import { common, referral } from '@aman/contracts';
import { NotFoundError, UnauthenticatedError, UnavailableError } from '@aman/errors';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { ProviderDirectory } from '../application/providerDirectory.ts';
import type { ProviderFeed } from '../application/providerFeed.ts';
import type { Referrals } from '../application/referrals.ts';
import type { RoutingProcess } from '../application/routingProcess.ts';
import type { WebhookDelivery } from '../application/webhookDelivery.ts';
import type {
  DeliveryChannel,
  Gender,
  Need,
  Profile,
  ProgrammeStatus,
  RecipientType,
  ReferralAction,
  RiskLevel,
} from '../domain/index.ts';

export const REFERRAL_SERVICE_NAME = 'aman.referral.v1.ReferralService';

const needs = (values: readonly common.Need[]) =>
  values.map((need) => common.needToJSON(need) as Need);
const levels = (values: readonly common.RiskLevel[]) =>
  values.map((level) => common.riskLevelToJSON(level) as RiskLevel);
const profiles = (values: readonly common.Profile[]) =>
  values.map((profile) => common.profileToJSON(profile) as Profile);
const genders = (values: readonly common.Gender[]) =>
  values.map((gender) => common.genderToJSON(gender) as Gender);

/** UNSPECIFIED reads as the webhook channel, as every registration did before issue 9. */
function channelOf(channel: referral.DeliveryChannel): DeliveryChannel {
  return channel === referral.DeliveryChannel.DELIVERY_CHANNEL_UNSPECIFIED
    ? 'DELIVERY_CHANNEL_WEBHOOK'
    : (referral.deliveryChannelToJSON(channel) as DeliveryChannel);
}

function deliveriesOf(deps: {
  readonly deliveries?: Pick<WebhookDelivery, 'deadLetters' | 'redeliver' | 'discard'>;
}): Pick<WebhookDelivery, 'deadLetters' | 'redeliver' | 'discard'> {
  if (deps.deliveries === undefined) throw new UnavailableError('webhook delivery is not running');
  return deps.deliveries;
}

function refOf(ref: referral.WebhookNotificationRef | undefined) {
  return {
    providerOrganisationId: ref?.providerOrganisationId ?? '',
    caseId: ref?.caseId ?? '',
    notificationId: ref?.notificationId ?? '',
  };
}

/**
 * ReferralService over gRPC: the admin CLI registers providers and programmes; providers, through
 * the gateway, fetch packets, answer and read their feed; NGOs, through the gateway, answer
 * requests for information and follow their referrals. Enums become the domain's names here; the
 * deciders refuse UNSPECIFIED and unknown values. Responses are built from the domain's
 * protobuf-JSON shapes.
 */
export function referralServer(deps: {
  readonly providers: ProviderDirectory;
  readonly referrals: Referrals;
  readonly feed?: ProviderFeed;
  /** The operator's hold on webhook delivery: dead letters, redelivery, discard. */
  readonly deliveries?: Pick<WebhookDelivery, 'deadLetters' | 'redeliver' | 'discard'>;
  /** The programmes as routing knows them (the routing process). */
  readonly routing?: Pick<RoutingProcess, 'programmes' | 'caseOwner'>;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): referral.ReferralServiceServer {
  return implement<referral.ReferralServiceServer>(
    REFERRAL_SERVICE_NAME,
    {
      registerProvider: {
        callers: ['admin'],
        handle: async (request, call) =>
          deps.providers.register(call.caller.principal, {
            organisationId: request.organisationId,
            type: common.recipientTypeToJSON(request.type) as RecipientType,
            services: needs(request.services),
            riskLevels: levels(request.riskLevels),
            webhookUrl: request.webhookUrl,
            webhookSecret: request.webhookSecret,
            profiles: profiles(request.profiles),
            provinces: request.provinces,
            genders: genders(request.genders),
            genderSensitive: request.genderSensitive,
            capacity: request.capacity,
            languages: request.languages,
            deliveryChannel: channelOf(request.deliveryChannel),
          }),
      },
      setProviderStatus: {
        callers: ['admin'],
        handle: async (request, call) => ({
          active: await deps.providers.setStatus(
            call.caller.principal,
            request.organisationId,
            request.active,
          ),
        }),
      },
      registerProgramme: {
        callers: ['admin'],
        handle: async (request, call) => {
          const criteria = request.criteria ?? referral.Eligibility.fromPartial({});
          const defined = await deps.providers.defineProgramme(call.caller.principal, {
            programmeId: request.programmeId,
            providerOrganisationId: request.providerOrganisationId,
            name: request.name,
            services: needs(request.services),
            criteria: {
              profiles: profiles(criteria.profiles),
              riskLevels: levels(criteria.riskLevels),
              provinces: criteria.provinces,
              genders: genders(criteria.genders),
            },
            quota: request.quota,
          });
          return {
            criteriaVersion: defined.criteriaVersion,
            status: referral.programmeStatusFromJSON(defined.status),
          };
        },
      },
      setProgrammeStatus: {
        callers: ['admin'],
        handle: async (request, call) => ({
          status: referral.programmeStatusFromJSON(
            await deps.providers.setProgrammeStatus(
              call.caller.principal,
              request.programmeId,
              referral.programmeStatusToJSON(request.status) as ProgrammeStatus,
            ),
          ),
        }),
      },
      rotateWebhookSecret: {
        callers: ['gateway', 'admin'],
        handle: async (request, call) => {
          const rotated = await deps.providers.rotateWebhookSecret(
            call.caller.principal,
            request.organisationId,
            { secret: request.secret, overlapSeconds: request.overlapSeconds },
          );
          return { previousValidUntil: new Date(rotated.previousValidUntil) };
        },
      },
      setWebhookUrl: {
        callers: ['gateway', 'admin'],
        handle: async (request, call) => {
          await deps.providers.setWebhookUrl(
            call.caller.principal,
            request.organisationId,
            request.url,
          );
          return {};
        },
      },
      listProgrammes: {
        callers: ['gateway', 'admin'],
        handle: async (_request, call) => {
          if (call.caller.principal === undefined) throw new UnauthenticatedError();
          if (deps.routing === undefined) throw new UnavailableError('routing is not running');
          return {
            programmes: (await deps.routing.programmes()).map((programme) =>
              referral.ProgrammeSummary.fromJSON({
                programmeId: programme.programmeId,
                providerOrganisationId: programme.providerOrganisationId,
                name: programme.name ?? '',
                services: programme.services,
                criteria: { riskLevels: programme.riskLevels, ...programme.eligibility },
                criteriaVersion: programme.criteriaVersion,
                quota: programme.quota,
                status: programme.status,
              }),
            ),
          };
        },
      },
      listWebhookDeadLetters: {
        callers: ['gateway', 'admin'],
        handle: async (_request, call) => ({
          deadLetters: (await deliveriesOf(deps).deadLetters(call.caller.principal)).map((letter) =>
            referral.WebhookDeadLetter.fromJSON({
              notificationId: letter.notificationId,
              providerOrganisationId: letter.providerOrganisationId,
              caseId: letter.caseId,
              referralId: letter.referralId,
              notice: letter.notice,
              attempts: letter.attempts,
              reason: letter.reason,
              deadAt: letter.deadAt,
              heldBack: letter.heldBack,
            }),
          ),
        }),
      },
      redeliverWebhook: {
        callers: ['gateway', 'admin'],
        handle: async (request, call) => {
          await deliveriesOf(deps).redeliver(call.caller.principal, refOf(request.notification));
          return {};
        },
      },
      discardWebhook: {
        callers: ['admin'],
        handle: async (request, call) => {
          await deliveriesOf(deps).discard(call.caller.principal, refOf(request.notification));
          return {};
        },
      },
      getPacket: {
        callers: ['gateway'],
        handle: async (request, call) => ({
          packet: await deps.referrals.packet(call.caller.principal, request.referralId),
        }),
      },
      respondToReferral: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const status = await deps.referrals.respond(
            call.caller.principal,
            request.referralId,
            referral.referralActionToJSON(request.action) as ReferralAction,
            request.reason,
          );
          return { status: referral.referralStatusFromJSON(status) };
        },
      },
      answerInfoRequest: {
        callers: ['gateway'],
        handle: async (request, call) => ({
          status: referral.referralStatusFromJSON(
            await deps.referrals.answerInfoRequest(call.caller.principal, request.referralId),
          ),
        }),
      },
      getReferralFeedback: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const feedback = await deps.referrals.feedback(call.caller.principal, request.caseId);
          // Another NGO's case, or one that does not exist: the same 404, not an empty list
          // that would tell the two apart. (Also until routing has seen a new case.)
          if (
            deps.routing !== undefined &&
            (await deps.routing.caseOwner(request.caseId)) !== call.caller.principal?.organisationId
          ) {
            throw new NotFoundError('no such case');
          }
          return { referrals: feedback.map((item) => referral.ReferralFeedback.fromJSON(item)) };
        },
      },
      readFeed: {
        callers: ['gateway'],
        handle: async (request, call) => {
          if (deps.feed === undefined) throw new Error('the pull feed is not wired');
          const page = await deps.feed.read(call.caller.principal, request.cursor, request.limit);
          return {
            notifications: page.notifications.map(({ id, type, timestamp, data }) =>
              referral.FeedNotification.fromJSON({ id, type, timestamp, ...data }),
            ),
            nextCursor: page.nextCursor,
          };
        },
      },
    },
    deps,
  );
}
