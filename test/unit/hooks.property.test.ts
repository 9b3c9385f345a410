/** Property tests of the hook body parser: outside input never crashes it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HookError, parseHook } from '../../shared/http/hooks.ts';

describe('parseHook', () => {
  it('returns alerts or throws a HookError with a 400/404, for any body and source', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), fc.oneof(fc.constant('generic'), fc.string()), (body, source) => {
        try {
          const alerts = parseHook(source, body);
          expect(source).toBe('generic');
          for (const a of alerts) {
            expect(a.check).toMatch(/^[a-z0-9_-]+\/[a-z0-9_-]+$/);
            expect(['up', 'down']).toContain(a.status);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(HookError);
          expect([400, 404]).toContain((err as HookError).status);
          expect((err as HookError).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every well-formed generic body', () => {
    const id = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(id, id, fc.constantFrom('up', 'down'), fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), (svc, chk, status, message) => {
        const [alert] = parseHook('generic', JSON.stringify({ check: `${svc}/${chk}`, status, message }));
        expect(alert).toEqual({ check: `${svc}/${chk}`, status, message: message ?? '' });
      }),
      { numRuns: 300 },
    );
  });
});
