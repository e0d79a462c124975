import { ForbiddenError, UnauthenticatedError } from '@aman/errors';
import type { Principal } from '@aman/service-kit';

/** Incidents, investigations and interventions are recorded and read by monitors alone. */
export function monitor(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'monitor') {
    throw new ForbiddenError('only a monitor records and reads accountability records');
  }
  return principal;
}
