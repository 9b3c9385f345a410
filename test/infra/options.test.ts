/** The construct's operating options reach the resources they are about: prober concurrency, open-route throttling, tracing. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { build, MULTI_REGION, REGIONS } from './support.ts';

describe('construct options', () => {
  it('proberMaxConcurrency, openRouteThrottle and tracing reach every prober region, the open routes and every function', () => {
    const b = build(MULTI_REGION, { proberMaxConcurrency: 20, openRouteThrottle: { rateLimit: 5, burstLimit: 10 }, tracing: true });
    for (const region of REGIONS) {
      const t = b.probers.get(region)!;
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 } });
      t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    }
    const functions = Object.values(b.core.findResources('AWS::Lambda::Function')) as { Properties: { TracingConfig?: { Mode: string } } }[];
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const f of functions) expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const stage = Object.values(b.core.findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { RouteSettings?: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> } };
    expect(stage.Properties.RouteSettings?.['GET /health']).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
  }, 180_000);

  it('by default: no concurrency cap, no tracing', () => {
    const b = build(MULTI_REGION);
    for (const region of REGIONS) {
      b.probers.get(region)!.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: Match.absent() });
      b.probers.get(region)!.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
    }
  }, 180_000);
});
