/** What a hook 400 says: which field, and how it is wrong, in Pagerless's words (fault 14 of issue 6). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HookError, parseHook } from '../../shared/http/hooks.ts';

const SHAPE = ' (expected {"check":"service/check","status":"up"|"down","message":"..."})';

function rejection(body: string): string {
  try {
    parseHook('generic', body);
  } catch (err) {
    expect(err).toBeInstanceOf(HookError);
    expect((err as HookError).status).toBe(400);
    return (err as HookError).message;
  }
  throw new Error(`accepted ${body}`);
}

describe('generic hook 400s', () => {
  it('tell a missing field from a wrong type, list the allowed statuses, and name unknown fields', () => {
    expect(rejection('{"check":"shop/dd","status":"DOWN"}')).toBe(`status must be one of "up", "down" (lower case), not "DOWN"${SHAPE}`);
    expect(rejection('{"check":"shop/dd","status":"broken"}')).toBe(`status must be one of "up", "down", not "broken"${SHAPE}`);
    expect(rejection('{"check":"shop/dd"}')).toBe(`status is missing${SHAPE}`);
    expect(rejection('{"check":"shop/dd","status":null}')).toBe(`status must be one of "up", "down", not null${SHAPE}`);
    expect(rejection('{"check":7,"status":"down"}')).toBe(`check must be a string "service/check" (lower-case letters, digits, _ and -), not the number 7${SHAPE}`);
    expect(rejection('{"check":"Shop DD","status":"down"}')).toBe(`check must be a string "service/check" (lower-case letters, digits, _ and -), not "Shop DD"${SHAPE}`);
    expect(rejection(`{"check":"shop/dd","status":"down","message":"${'x'.repeat(2001)}"}`)).toBe(`message must be a string of at most 2000 characters, not 2001 characters${SHAPE}`);
    expect(rejection('{"check":"shop/dd","status":"down","msg":"x","level":1}')).toBe(`unknown fields "msg", "level" (allowed: check, status, message)${SHAPE}`);
    expect(rejection('{}')).toBe(`check is missing; status is missing${SHAPE}`);
    expect(rejection('[{"check":"shop/dd","status":"down"}]')).toBe(`body must be a JSON object, not an array${SHAPE}`);
    expect(rejection('"down"')).toBe(`body must be a JSON object, not the string "down"${SHAPE}`);
    expect(rejection('{"check":')).toMatch(/^body is not valid JSON: /);
  });

  it('never pass on the schema library\'s own words', () => {
    // Near misses: mostly right fields with one wrong, so that each kind of issue comes first somewhere.
    const field = <T,>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: fc.jsonValue(), weight: 1 });
    const nearMiss = fc.record(
      { check: field(fc.constantFrom('shop/dd', 'Shop/DD')), status: field(fc.constantFrom('up', 'down', 'DOWN')), message: field(fc.string({ maxLength: 2100 })), extra: fc.jsonValue() },
      { requiredKeys: ['check'] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.json(), nearMiss.map((v) => JSON.stringify(v))), (body) => {
        try {
          parseHook('generic', body);
        } catch (err) {
          expect((err as Error).message).not.toMatch(/Invalid (input|option)|Too (big|small)|Unrecognized key|expected \w+, received/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
