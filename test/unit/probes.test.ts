/** The runtime probe table (bundled without zod) agrees with the check-kind table. */
import { describe, expect, it } from 'vitest';
import { checkKinds } from '../../shared/checks/index.ts';
import { probes, PUSHED_KINDS } from '../../shared/checks/probes.ts';

describe('probes', () => {
  it('has exactly the probe of every kind that is probed, and the same functions', () => {
    const probed = Object.values(checkKinds).filter((k) => k.probe).map((k) => k.kind).sort();
    expect(Object.keys(probes).sort()).toEqual(probed);
    for (const k of probed) expect(checkKinds[k as keyof typeof checkKinds].probe).toBe(probes[k as keyof typeof probes]);
  });

  it('lists as pushed the push-mode kinds and heartbeats (confirmed by the job itself)', () => {
    const pushed = Object.values(checkKinds).filter((k) => k.mode === 'push' || k.kind === 'heartbeat').map((k) => k.kind).sort();
    expect([...PUSHED_KINDS].sort()).toEqual(pushed);
  });
});
