/**
 * The one error vocabulary of channels, reactions, probes and stores: an error is retryable (the
 * same call may succeed later: a timeout, a 5xx, a busy database) or permanent (a 4xx, a bad
 * config), carries a `code` and its `cause`, and `isRetryable` is the one place that decides.
 */
export class PagerlessError extends Error {
  override name = 'PagerlessError';
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
  }
}

/** Network and system codes a later attempt may get past. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'ENOSPC', 'EMFILE', 'ENFILE',
]);

const AWS_PERMANENT = new Set([
  'AuthorizationError', 'NotFound', 'InvalidParameter', 'InvalidParameterValue', 'ParameterValueInvalid',
  'InvalidSecurity', 'EndpointDisabled', 'KMSAccessDenied', 'KMSDisabled', 'KMSInvalidState', 'KMSNotFound',
  'KMSOptInRequired', 'ValidationError', 'Validation', 'AccessDenied', 'UnauthorizedOperation', 'InvalidInstanceID.NotFound',
]);

/** Whether trying the same thing again may succeed. Unknown errors are retryable: losing a page is worse than a second try. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PagerlessError) return err.retryable;
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown } | undefined;
  if (!e || typeof e !== 'object') return true;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  if (typeof e.code === 'string' && [...TRANSIENT_CODES].some((c) => e.code === c || e.code!.startsWith(`${c}_`))) return true;
  // AWS SDK v3: the named client errors (access, a missing resource, a bad request, KMS keys)
  // cannot get past a retry; throttling, server faults and 5xx can.
  const aws = (e.name ?? '').replace(/Exception$/, '');
  if (AWS_PERMANENT.has(aws)) return false;
  if (e.$retryable || (e as { $fault?: string }).$fault === 'server' || /Throttl|InternalError|ServiceUnavailable/.test(aws)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  if (e.name === 'ZodError' || e.name === 'TypeError' || e.name === 'RangeError') return false;
  return true;
}

/** `Name: message` for a log line or a timeline entry (our own errors read as their message). */
export function describeError(err: unknown): string {
  if (err instanceof PagerlessError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
