/**
 * Outgoing HTTP to URLs a tenant gave the platform (a provider's webhook endpoint): the SSRF
 * rules in one place, for registration and for every call.
 *
 * ```ts
 * const outbound = new OutboundClient({ allowInsecureLoopback: config.allowInsecureLoopback });
 * const url = await outbound.check(registration.webhookUrl); // at registration
 * const { status } = await outbound.post(url, { headers, body }); // at every delivery
 * ```
 */
export { forbiddenRange, isLoopback, type ForbiddenRange } from './addresses.ts';
export {
  MAX_URL_LENGTH,
  OutboundRefusedError,
  checkOutboundUrl,
  resolveTarget,
  systemResolver,
  type OutboundPolicy,
  type ResolvedAddress,
  type Resolver,
} from './target.ts';
export {
  OutboundClient,
  OutboundFailedError,
  type OutboundClientOptions,
  type OutboundRequest,
  type OutboundResponse,
} from './client.ts';
export { INSECURE_LOOPBACK_VARIABLE, allowInsecureLoopbackFrom } from './config.ts';
