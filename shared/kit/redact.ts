/**
 * Redaction of secrets: every value that came from a `${...}` reference (CompiledConfig.secrets) is
 * replaced by `***` wherever it would be shown (API, dashboard, logs, alerts).
 */

/** Secrets shorter than this are not redacted: replacing every "1" or "on" would garble every line. */
export const MIN_REDACTED_LENGTH = 4;

export const REDACTED = '***';

/**
 * A function that replaces every given secret in a text by `***`: as written, and as it reads once
 * encoded in a URL (`encodeURIComponent`, a WHATWG URL's query or form encoding) or inside a JSON
 * string, the forms in which a secret reaches an error message, a redirect's Location or a log line.
 * @example createRedactor(['s3cret'])('GET https://x/?key=s3cret') // 'GET https://x/?key=***'
 */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const values = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_REDACTED_LENGTH) continue;
    for (const form of encodedForms(s)) values.add(form);
  }
  if (values.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp([...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => (typeof text === 'string' ? text.replace(pattern, REDACTED) : text);
}

/** A secret as written and in the encodings it is shown in. */
function encodedForms(s: string): string[] {
  const forms = [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)];
  // RFC 3986 strict (`'`, `!`, `(`, `)`, `*` encoded too), as some clients write query values.
  forms.push(forms[1]!.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  try {
    const url = new URL('https://redact.invalid/');
    url.search = `?${s}`; // a query as a URL serialises it (`'` becomes %27, a space %20)
    forms.push(url.search.slice(1));
    forms.push(new URLSearchParams({ v: s }).toString().slice(2)); // form encoding: a space is +
  } catch {
    // an unpaired surrogate: the forms above will do
  }
  return forms.filter((f) => f.length >= MIN_REDACTED_LENGTH);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
