const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * A W3C trace-context `traceparent` (version-traceid-parentid-flags in lowercase hex), as an event
 * stores it in its metadata and a CloudEvent carries it in its `traceparent` header.
 */
export function isTraceparent(value: string): boolean {
  return TRACEPARENT.test(value);
}
