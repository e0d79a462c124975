import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  SignJWT,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
} from 'jose';

import { UnauthenticatedError } from '@aman/errors';
import { ed25519Signer, type CheckpointSigner } from '@aman/evidence';

export const ORGANISATION_TYPES = ['ngo', 'provider', 'monitor', 'operator', 'admin'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

/** Who a call acts for: an organisation and the API key (or admin) that authenticated it. */
export interface Principal {
  readonly organisationId: string;
  readonly organisationType: OrganisationType;
  readonly keyId: string;
}

/** A verified incoming call: the service that made it and the principal it acts for. */
export interface Caller {
  readonly service: string;
  readonly principal: Principal | undefined;
}

const ALGORITHM = 'EdDSA';
const TOKEN_TTL_SECONDS = 60;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,40}$/;

/**
 * A service's own identity: an Ed25519 key pair of its own (no key is shared between services).
 * It signs a short-lived token for every call it makes, naming the callee and the principal it
 * acts for; a callee verifies the token against the caller's public key. Keys live in a key
 * directory: the private key owner-only, the public keys readable by every service (the trust
 * root; a mounted secret volume in the distributed mode).
 */
export class ServiceIdentity {
  readonly name: string;
  /** Where every service's public key is (`<service>.pub.jwk`): the trust root. */
  readonly keysDir: string;
  /**
   * Signs the service's evidence checkpoints with its own key: detached Ed25519 over canonical
   * JSON, which can never be mistaken for a token's signing input (base64url, no braces).
   */
  readonly checkpointSigner: CheckpointSigner;
  readonly #privateKey: CryptoKey;
  readonly #publicKeys = new Map<string, CryptoKey>();

  private constructor(name: string, privateKey: CryptoKey, keysDir: string, jwk: JWK) {
    this.name = name;
    this.#privateKey = privateKey;
    this.keysDir = keysDir;
    this.checkpointSigner = ed25519Signer(name, jwk);
  }

  /** Loads `<name>.key.jwk` from the key directory, creating the key pair on first start. */
  static async load(name: string, keysDir: string): Promise<ServiceIdentity> {
    if (!SERVICE_NAME.test(name)) throw new Error(`not a service name: ${name}`);
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const privatePath = join(keysDir, `${name}.key.jwk`);
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(privatePath, 'utf8')) as JWK;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const pair = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
      jwk = await exportJWK(pair.privateKey);
      writeFileSync(privatePath, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
      const publicJwk: JWK = { ...jwk };
      delete publicJwk.d;
      writeFileSync(join(keysDir, `${name}.pub.jwk`), JSON.stringify(publicJwk), { mode: 0o644 });
    }
    const key = (await importJWK(jwk, ALGORITHM)) as CryptoKey;
    return new ServiceIdentity(name, key, keysDir, jwk);
  }

  /** A token for one call to `audience`, acting for `principal` (none for the service itself). */
  async sign(audience: string, principal: Principal | undefined): Promise<string> {
    const jwt = new SignJWT(principal === undefined ? {} : { principal: { ...principal } })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(this.name)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`);
    return jwt.sign(this.#privateKey);
  }

  /** Verifies a token made for this service; anything wrong is UnauthenticatedError. */
  async verify(token: string | undefined): Promise<Caller> {
    if (token === undefined) throw new UnauthenticatedError('the call carries no service token');
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new UnauthenticatedError('the service token is malformed');
    }
    if (typeof issuer !== 'string' || !SERVICE_NAME.test(issuer)) {
      throw new UnauthenticatedError('the service token names no valid issuer');
    }
    const key = await this.#publicKey(issuer);
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        audience: this.name,
        issuer,
        clockTolerance: 5,
      });
      return { service: issuer, principal: parsePrincipal(payload['principal']) };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      throw new UnauthenticatedError('the service token does not verify');
    }
  }

  async #publicKey(service: string): Promise<CryptoKey> {
    const known = this.#publicKeys.get(service);
    if (known !== undefined) return known;
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(join(this.keysDir, `${service}.pub.jwk`), 'utf8')) as JWK;
    } catch {
      throw new UnauthenticatedError('the calling service is not known');
    }
    const key = (await importJWK(jwk, ALGORITHM)) as CryptoKey;
    this.#publicKeys.set(service, key);
    return key;
  }
}

function parsePrincipal(value: unknown): Principal | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new UnauthenticatedError('the service token carries a malformed principal');
  }
  const principal: { organisationId?: unknown; keyId?: unknown; organisationType?: unknown } =
    value;
  if (
    typeof principal.organisationId !== 'string' ||
    typeof principal.keyId !== 'string' ||
    !(ORGANISATION_TYPES as readonly string[]).includes(String(principal.organisationType))
  ) {
    throw new UnauthenticatedError('the service token carries a malformed principal');
  }
  return {
    organisationId: principal.organisationId,
    organisationType: principal.organisationType as OrganisationType,
    keyId: principal.keyId,
  };
}
