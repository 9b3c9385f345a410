/** The one place that decides whether an error is worth another try. */
import { describe, expect, it } from 'vitest';
import { SendError } from '../../shared/channels/channel.ts';
import { ConflictError } from '../../shared/engine/evaluator.ts';
import { DataDirError } from '../../shared/adapters/local/data-dir.ts';
import { describeError, isRetryable, PagerlessError } from '../../shared/kit/errors.ts';

const sys = (code: string) => Object.assign(new Error(code), { code });
const aws = (name: string, status?: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

describe('isRetryable', () => {
  it('trusts our own errors', () => {
    expect(isRetryable(new SendError('answered 500', true))).toBe(true);
    expect(isRetryable(new SendError('answered 400', false))).toBe(false);
    expect(isRetryable(new ConflictError('kept changing'))).toBe(true);
    expect(isRetryable(new DataDirError('is a file'))).toBe(false);
    expect(new SendError('x', true)).toBeInstanceOf(PagerlessError);
  });

  it('network and store failures are transient', () => {
    for (const c of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'ENOSPC']) expect(isRetryable(sys(c)), c).toBe(true);
    expect(isRetryable(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe(true);
  });

  it('AWS: throttling and 5xx are retried, named client errors are not', () => {
    expect(isRetryable(aws('ThrottlingException', 400, { $retryable: { throttling: true } }))).toBe(true);
    expect(isRetryable(aws('InternalError', 500))).toBe(true);
    expect(isRetryable(aws('AuthorizationErrorException', 403))).toBe(false);
    expect(isRetryable(aws('NotFoundException', 404))).toBe(false);
    expect(isRetryable(aws('SomethingElse', 400))).toBe(false);
    expect(isRetryable(aws('SomethingElse', 503))).toBe(true);
  });

  it('programming errors are permanent; anything unknown is tried again', () => {
    expect(isRetryable(new TypeError('x is undefined'))).toBe(false);
    expect(isRetryable(new Error('who knows'))).toBe(true);
    expect(describeError(new SendError('POST x answered 500', true))).toBe('POST x answered 500');
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
  });
});
