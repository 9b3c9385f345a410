import { DnsError } from '../kit/resolver.ts';

/** Turn a socket, TLS or DNS error into words for an alert: what failed and where. */
export function describeNetworkError(err: unknown, where: string): string {
  // Our resolver's errors name the host and say what the DNS answer was (NXDOMAIN, SERVFAIL ...).
  if (err instanceof DnsError) return err.message;
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return `connection reset by ${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed for ${where.replace(/:\d+$/, '')}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${where}`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out waiting for ${where}`;
    default:
      break;
  }
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) {
    return `TLS handshake with ${where} failed: ${e.message}`;
  }
  const message = e?.message ?? String(err);
  return `${message}${code ? ` (${code})` : ''} at ${where}`;
}
