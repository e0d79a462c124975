// Outgoing webhooks: what a provider is told (thin) and how it is signed (Standard Webhooks).
export {
  signedWebhook,
  type SignedWebhook,
  type WebhookHeaders,
  type WebhookMessage,
} from './signedWebhook.ts';
export {
  NOTIFICATION_TYPES,
  programmeChangedNotification,
  revocationNotification,
  routedNotification,
  type ProgrammeChangedNotification,
  type RevocationNotification,
  type RoutedNotification,
  type ThinNotification,
} from './thinNotification.ts';
