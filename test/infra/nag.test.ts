/** cdk-nag's AwsSolutions checks over the whole app: no finding left unacknowledged, every acknowledgement with its reason. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Pagerless } from '../../infra/pagerless.ts';
import { HOME, MULTI_REGION, writeConfig } from './support.ts';

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    suppressedViolations: { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function nagApp(configText: string, extra?: (stack: Stack) => void): { app: App; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'pagerless-nag-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Pagerless', { env: { region: HOME } });
  new Pagerless(stack, 'Pagerless', { configFile: writeConfig(configText), environment: {}, opsEmail: 'ops@example.com' });
  extra?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, outdir };
}

const report = (outdir: string) => JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;

describe('cdk-nag AwsSolutions', () => {
  it('passes with zero unacknowledged findings, core and prober stacks alike', () => {
    const { app, outdir } = nagApp(MULTI_REGION);
    expect(() => app.synth()).not.toThrow();
    const [nag] = report(outdir).pluginReports;
    expect(nag!.pluginName).toBe('AwsSolutions');
    expect(nag!.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(',')}`)).toEqual([]);
    expect(nag!.conclusion).toBe('success');
    // The checks really ran over both kinds of stack (their acknowledged findings are in the report).
    const paths = nag!.suppressedViolations.flatMap((s) => s.violatingConstructs.map((c) => c.constructPath));
    expect(paths.some((p) => p.startsWith('Pagerless/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('Pagerless-Prober-ap-southeast-2/'))).toBe(true);
  });

  it('every acknowledged finding carries a written reason, and the list is the expected one', () => {
    const { app, outdir } = nagApp(MULTI_REGION);
    app.synth();
    const suppressed = report(outdir).pluginReports[0]!.suppressedViolations;
    for (const s of suppressed) expect(s.reason.length, s.ruleName).toBeGreaterThan(40);
    expect([...new Set(suppressed.map((s) => s.ruleName))].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-DDB3',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Resource::*]',
      // kms:Decrypt of the config's secrets and parameters, via those services, for those names only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:eu-west-1:<AWS::AccountId>:key/*]',
      'AwsSolutions-L1',
      'AwsSolutions-SQS3',
    ]);
    // Resource::* is acknowledged once, on the evaluator (dynamodb:ListStreams), nowhere else.
    const star = suppressed.filter((s) => s.ruleName === 'AwsSolutions-IAM5[Resource::*]').flatMap((s) => s.violatingConstructs.map((c) => c.constructPath));
    expect(star).toEqual(['Pagerless/Pagerless/Core/EvaluatorRole/DefaultPolicy/Resource']);
  });

  it('fails synth on a finding nobody acknowledged (the check can fail)', () => {
    const { app, outdir } = nagApp(MULTI_REGION, (stack) => new Queue(stack, 'Stray'));
    expect(() => app.synth()).toThrow(/SQS queue/);
    const rules = report(outdir).pluginReports[0]!.violations.map((v) => v.ruleName).sort();
    expect(rules).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
  });
});
