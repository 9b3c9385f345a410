/** `pagerless cost`: the simulated hour counts what the pipeline's own code does, priced per month. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import { estimateCost, formatCost } from '../../shared/cost/simulate.ts';

function config(services: number, checksPerService: number, interval = '60s', regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
  const lines = ['version: 1', `settings: { home: us-east-1, regions: [${regions.join(', ')}] }`, `defaults: { interval: ${interval} }`, 'services:'];
  for (let s = 0; s < services; s++) {
    lines.push(`  - name: svc${s}`, '    checks:');
    for (let c = 0; c < checksPerService; c++) lines.push(`      - name: c${c}`, `        http: { url: "https://svc${s}.example.com/health/${c}" }`);
  }
  return parseConfig(lines.join('\n'), 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' });
}

describe('estimateCost', () => {
  it('1,000 HTTPS endpoints every 60 s from 3 regions cost under $15 a month, with one Results item per prober batch and no state writes', async () => {
    const r = await estimateCost(config(50, 20));
    expect(r.endpoints).toBe(1_000);
    expect(r.hour.results).toBe(1_000 * 3 * 60);
    expect(r.hour.resultsItems).toBe(r.hour.proberInvocations); // ONE item per batch
    expect(r.hour.resultsItems).toBeLessThan(r.hour.results / 100);
    expect(r.hour.stateWrites).toBe(0); // steady state: nothing to write
    expect(r.totalUsd).toBeLessThan(15);
    expect(r.totalUsd).toBeGreaterThan(1);
    expect(r.perEndpointUsd).toBeCloseTo(r.totalUsd / 1_000, 10);
    expect(r.lines.map((l) => l.item)).toEqual(expect.arrayContaining([expect.stringMatching(/^Lambda requests/), expect.stringMatching(/^DynamoDB writes/), expect.stringMatching(/^SQS requests/), expect.stringMatching(/^CloudWatch metrics/)]));
    expect(formatCost(r)).toMatch(/Per endpoint per month\s+\$0\.0\d{3}/);
  });

  it('scales with what drives it: twice the checks costs more, a 5-minute interval costs less', async () => {
    const base = await estimateCost(config(10, 10));
    const double = await estimateCost(config(20, 10));
    const slow = await estimateCost(config(10, 10, '5m'));
    const item = (r: typeof base, prefix: string) => r.lines.find((l) => l.item.startsWith(prefix))!.quantity;
    expect(double.hour.results).toBe(2 * base.hour.results);
    expect(item(double, 'DynamoDB reads')).toBeGreaterThan(item(base, 'DynamoDB reads'));
    expect(item(double, 'DynamoDB writes')).toBeGreaterThanOrEqual(item(base, 'DynamoDB writes'));
    expect(slow.hour.results).toBe(base.hour.results / 5);
    expect(slow.totalUsd).toBeLessThan(base.totalUsd);
  });

  it('a single region has no cross-region transfer', async () => {
    const r = await estimateCost(config(2, 5, '60s', ['us-east-1']));
    expect(r.lines.find((l) => l.item.startsWith('Data transfer'))!.quantity).toBe(0);
  });
});
