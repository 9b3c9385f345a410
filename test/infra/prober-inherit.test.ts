/**
 * The prober stacks the construct adds beside the user's stack take over what the user set on it:
 * an equivalent synthesizer (the bootstrap qualifier), the permissions boundary, tags (the stack's
 * `tags` prop and Tags.of(stack), even when added after the construct) and the removal policy.
 */
import { App, DefaultStackSynthesizer, PermissionsBoundary, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Pagerless } from '../../infra/pagerless.ts';
import { flat, HOME, MULTI_REGION, writeConfig } from './support.ts';

interface Made {
  app: App;
  core: Template;
  probers: Map<string, Template>;
  stackTags: Map<string, Record<string, string>>;
}

function make(configure: (app: App) => Stack, after?: (stack: Stack) => void, removalPolicy?: RemovalPolicy): Made {
  const stack = configure(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  const app = stack.node.root as App;
  const p = new Pagerless(stack, 'Pagerless', { configFile: writeConfig(MULTI_REGION), environment: {}, removalPolicy });
  after?.(stack);
  const assembly = app.synth();
  const probers = new Map([...p.probers].map(([r, s]) => [r, Template.fromStack(s)]));
  const stackTags = new Map([...p.probers].map(([r, s]) => [r, assembly.getStackArtifact(s.artifactId).tags]));
  return { app, core: Template.fromStack(stack), probers, stackTags };
}

describe('prober stacks inherit from the user\'s stack', () => {
  let custom: Made;
  let plain: Made;
  beforeAll(() => {
    custom = make(
      (app) => new Stack(app, 'Team', {
        env: { region: HOME },
        synthesizer: new DefaultStackSynthesizer({ qualifier: 'team1' }),
        permissionsBoundary: PermissionsBoundary.fromName('team-boundary'),
        tags: { 'cost-center': 'ops' },
      }),
      // After the construct: the prober stacks exist already.
      (stack) => Tags.of(stack).add('team', 'sre'),
      RemovalPolicy.DESTROY,
    );
    plain = make((app) => new Stack(app, 'Plain', { env: { region: HOME } }));
  }, 300_000);

  it('the synthesizer: a custom bootstrap qualifier', () => {
    for (const [region, t] of custom.probers) {
      expect(t.toJSON().Parameters.BootstrapVersion.Default, region).toBe('/cdk-bootstrap/team1/version');
      for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
        expect(flat(fn.Properties.Code.S3Bucket), region).toContain('cdk-team1-assets-');
      }
    }
    for (const t of plain.probers.values()) expect(t.toJSON().Parameters.BootstrapVersion.Default).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  it('the permissions boundary, on every role', () => {
    for (const [region, t] of custom.probers) {
      const roles = Object.values(t.findResources('AWS::IAM::Role'));
      expect(roles.length, region).toBeGreaterThan(0);
      for (const role of roles) expect(flat(role.Properties.PermissionsBoundary), region).toBe('arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/team-boundary');
    }
    for (const t of plain.probers.values()) {
      for (const role of Object.values(t.findResources('AWS::IAM::Role'))) expect(role.Properties.PermissionsBoundary).toBeUndefined();
    }
  });

  it('tags: the stack\'s own (stack tags, which CloudFormation puts on every resource) and Tags.of(stack) (also in the template)', () => {
    for (const [region, t] of custom.probers) {
      expect(custom.stackTags.get(region), region).toMatchObject({ 'cost-center': 'ops', team: 'sre' });
      for (const type of ['AWS::SQS::Queue', 'AWS::Lambda::Function', 'AWS::IAM::Role']) {
        t.hasResourceProperties(type, { Tags: Match.arrayWith([{ Key: 'team', Value: 'sre' }]) });
      }
    }
    for (const [region] of plain.probers) expect(plain.stackTags.get(region) ?? {}).not.toHaveProperty('team');
  });

  it('the removal policy: queues, the ops topic and its key', () => {
    const t = custom.probers.get('us-east-1')!;
    for (const type of ['AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::KMS::Key']) {
      const found = Object.values(t.findResources(type));
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) expect([r.DeletionPolicy, r.UpdateReplacePolicy], type).toEqual(['Delete', 'Delete']);
    }
  });
});
