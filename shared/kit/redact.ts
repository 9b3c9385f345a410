/**
 * Redaction of secrets: every value that came from a `${...}` reference is replaced by `***`
 * wherever it would be shown (API, dashboard, logs, alerts).
 */

/** Secrets shorter than this are not redacted: replacing every "1" or "on" would garble every line. */
export const MIN_REDACTED_LENGTH = 4;

export const REDACTED = '***';

/** A function that replaces every given secret (and its URL-encoded form) in a text by `***`. */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const values = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_REDACTED_LENGTH) continue;
    values.add(s);
    const encoded = encodeURIComponent(s);
    if (encoded !== s) values.add(encoded);
  }
  if (values.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp([...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
