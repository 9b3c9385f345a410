/** Secrets from `${...}` references never shown: as written, URL-encoded, or inside a JSON string. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, MIN_REDACTED_LENGTH, REDACTED } from '../../shared/kit/redact.ts';

describe('createRedactor', () => {
  it('replaces every occurrence of a secret by ***', () => {
    const redact = createRedactor(['s3cret-key']);
    expect(redact('GET https://api.example.com/?key=s3cret-key&again=s3cret-key')).toBe('GET https://api.example.com/?key=***&again=***');
  });

  it('leaves a text without secrets as it is, and every text when there are none', () => {
    expect(createRedactor(['s3cret-key'])('GET https://api.example.com/health')).toBe('GET https://api.example.com/health');
    expect(createRedactor([])('s3cret-key')).toBe('s3cret-key');
  });

  it('replaces a secret in the forms a URL, a query string or JSON gives it', () => {
    const secret = "it's a p@ss/wörd!";
    const redact = createRedactor([secret]);
    const url = new URL('https://host/');
    url.search = `?key=${secret}`;
    const shown = [
      `raw ${secret}`,
      `component ${encodeURIComponent(secret)}`,
      `href ${url.href}`,
      `form ${new URLSearchParams({ key: secret }).toString()}`,
      `json ${JSON.stringify({ pw: secret })}`,
      `strict ${encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    ];
    for (const line of shown) {
      const out = redact(line);
      expect(out, line).toContain(REDACTED);
      expect(out, line).not.toMatch(/p@ss|p%40ss|w%C3%B6rd|wörd/);
    }
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const redact = createRedactor(['token', 'token-extended']);
    expect(redact('a token-extended b token c')).toBe('a *** b *** c');
  });

  it('treats regular-expression characters in a secret literally', () => {
    const redact = createRedactor(['a.b*c(d)[e]$']);
    expect(redact('x a.b*c(d)[e]$ y')).toBe('x *** y');
    expect(redact('x aXbbbc(d)[e] y')).toBe('x aXbbbc(d)[e] y');
  });

  it(`ignores secrets shorter than ${MIN_REDACTED_LENGTH} characters (redacting "on" would garble every line)`, () => {
    const redact = createRedactor(['on', '80']);
    expect(redact('connection on port 8080')).toBe('connection on port 8080');
  });

  it('never leaves a secret of printable characters in the text it was put into', () => {
    fc.assert(fc.property(
      // Without `*`: a secret like `***x` could be re-formed by the replacement itself.
      fc.string({ minLength: MIN_REDACTED_LENGTH, maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes('*')),
      fc.string({ maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      (secret, before, after) => {
        const out = createRedactor([secret])(`${before}${secret}${after}`);
        expect(out).toContain(REDACTED);
        expect(out.includes(secret)).toBe(false);
      },
    ));
  });
});

describe('what counts as a secret', () => {
  it('the port `pagerless run` hands the config is not one; a user variable is', async () => {
    const { parseConfig } = await import('../../shared/config/load.ts');
    const config = parseConfig(`version: 1
services:
  - name: self
    checks:
      - name: api
        http: { url: "http://127.0.0.1:\${env:PAGERLESS_PORT}/api/checks?key=\${env:API_KEY}" }
`, 'monitors.yaml', { PAGERLESS_PORT: '8080', API_KEY: 'k3y-value-123' });
    expect(config.secrets).toEqual(['k3y-value-123']);
    expect(config.checks[0]!.target).toContain('127.0.0.1:8080/api/checks?key=***');
  });
});
