/**
 * Resolving `${ssm:/path}` and `${secret:name}` values at cold start: SSM Parameter Store
 * (decrypted) and Secrets Manager, cached for the life of the container (or `ttlMs`). No YAML here:
 * the functions resolve references in the compiled config's values (shared/config/compiled-json.ts).
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../../ports.ts';

export type SecretKind = 'ssm' | 'secret';

export interface SecretResolver {
  /** The value of one SSM parameter (decrypted) or one Secrets Manager secret (its SecretString). @throws SecretResolutionError */
  resolve(kind: SecretKind, name: string): Promise<string>;
}

export interface SecretResolverOptions {
  ssm: SSMClient;
  secrets: SecretsManagerClient;
  /** How long a value is reused. @default forever (until the container is recycled) */
  ttlMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** One reference that could not be resolved; the message names it: `${ssm:/x}: parameter not found`. */
export class SecretResolutionError extends Error {
  override name = 'SecretResolutionError';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BINARY' | 'ACCESS_DENIED' | 'INVALID' | 'UNAVAILABLE',
    /** True when trying again later may succeed (throttling, 5xx, network). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A config whose references could not all be resolved: a ConfigError with one issue per reference. */
export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { value: Promise<string>; at: number }>();
  const fetch = (kind: SecretKind, name: string) => (kind === 'ssm' ? readParameter(options.ssm, name) : readSecret(options.secrets, name));
  return {
    resolve(kind, name) {
      const key = `${kind}:${name}`;
      const hit = cache.get(key);
      if (hit && (options.ttlMs === undefined || clock.now() - hit.at < options.ttlMs)) return hit.value;
      // The promise is cached, so concurrent resolves of one name make one request; failures are not kept.
      const value = fetch(kind, name);
      cache.set(key, { value, at: clock.now() });
      value.catch(() => {
        if (cache.get(key)?.value === value) cache.delete(key);
      });
      return value;
    },
  };
}

async function readParameter(ssm: SSMClient, name: string): Promise<string> {
  const ref = `\${ssm:${name}}`;
  try {
    // Loaded on first use: most configs have no references, and a cold start should not pay for them.
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new SecretResolutionError(`${ref}: the parameter has no value`, 'INVALID', false);
    return value;
  } catch (err) {
    if (err instanceof SecretResolutionError) throw err;
    throw awsFailure(ref, err, { ParameterNotFound: 'parameter not found' });
  }
}

async function readSecret(secrets: SecretsManagerClient, name: string): Promise<string> {
  const ref = `\${secret:${name}}`;
  try {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) {
      throw new SecretResolutionError(`${ref}: the secret is binary (SecretBinary); only text secrets (SecretString) can be referenced`, 'BINARY', false);
    }
    throw new SecretResolutionError(`${ref}: the secret has no value`, 'INVALID', false);
  } catch (err) {
    if (err instanceof SecretResolutionError) throw err;
    throw awsFailure(ref, err, { ResourceNotFoundException: 'secret not found' });
  }
}

/** AWS errors in words that name the reference; "not found" keeps its own code for `:-default`. */
function awsFailure(ref: string, err: unknown, notFound: Record<string, string>): SecretResolutionError {
  const e = err as Error & { $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const aws = `${name}: ${e?.message ?? String(err)}`;
  const options = { cause: err };
  if (notFound[name]) return new SecretResolutionError(`${ref}: ${notFound[name]}`, 'NOT_FOUND', false, options);
  if (/AccessDenied/.test(name)) return new SecretResolutionError(`${ref}: access denied (${aws})`, 'ACCESS_DENIED', false, options);
  if (/^(InvalidKeyId|DecryptionFailure|KMS)/.test(name)) return new SecretResolutionError(`${ref}: cannot be decrypted (${aws})`, 'ACCESS_DENIED', false, options);
  if (/^(ValidationException|InvalidParameterException|InvalidRequestException)$/.test(name)) {
    return new SecretResolutionError(`${ref}: cannot be read (${aws})`, 'INVALID', false, options);
  }
  const status = e?.$metadata?.httpStatusCode;
  const retryable = Boolean(e?.$retryable) || e?.$fault === 'server' || /Throttl|Internal/.test(name) || status === undefined || status >= 500 || status === 429;
  return new SecretResolutionError(`${ref}: could not be read (${aws})`, retryable ? 'UNAVAILABLE' : 'INVALID', retryable, options);
}

/** The reference grammar of the config loader: `${ssm:/path}`, `${secret:name}`, either with `:-default`. */
