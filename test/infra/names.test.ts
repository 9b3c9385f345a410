/**
 * Issue 7: deployments side by side. Two apps with different settings.name, or two constructs with
 * different `name` props, share no physical name, and each one's alarms watch only its own metrics.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { appStackId } from '../../infra/config.ts';
import { Pagerless } from '../../infra/pagerless.ts';
import { flat, HOME, MULTI_REGION, writeConfig } from './support.ts';

/** Physical-name properties, by resource type, and the AWS limit on each (characters). */
const NAMED: Record<string, { prop: string; max: number }> = {
  'AWS::DynamoDB::Table': { prop: 'TableName', max: 255 },
  'AWS::SQS::Queue': { prop: 'QueueName', max: 80 },
  'AWS::SNS::Topic': { prop: 'TopicName', max: 256 },
  'AWS::Lambda::Function': { prop: 'FunctionName', max: 64 },
  'AWS::CloudWatch::Alarm': { prop: 'AlarmName', max: 255 },
  'AWS::CloudWatch::Dashboard': { prop: 'DashboardName', max: 255 },
};

interface Deployment {
  /** Every stack's template: the core stack's and its prober stacks'. */
  templates: { stackName: string; template: Template }[];
}

/** With settings.name in the file (or none), as infra/app.ts builds it: stack named after the deployment. */
function appWith(name: string | undefined): Deployment {
  const text = name === undefined ? MULTI_REGION : MULTI_REGION.replace('settings:\n', `settings:\n  name: ${name}\n`);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, appStackId(name ?? 'pagerless'), { env: { region: HOME } });
  const pagerless = new Pagerless(stack, 'Pagerless', { configFile: writeConfig(text), environment: {} });
  return collect(stack, pagerless);
}

function collect(stack: Stack, pagerless: Pagerless): Deployment {
  return { templates: [stack, ...pagerless.probers.values()].map((s) => ({ stackName: s.stackName, template: Template.fromStack(s) })) };
}

/** `TableName=pagerless-results`, ... for every named resource; a generated name is not collected. */
function physicalNames(d: Deployment): string[] {
  const out: string[] = [];
  for (const { template } of d.templates) {
    for (const [type, { prop }] of Object.entries(NAMED)) {
      for (const r of Object.values(template.findResources(type))) {
        const v = r.Properties?.[prop];
        if (v !== undefined) out.push(`${prop}=${flat(v)}`);
      }
    }
  }
  return out;
}

/** What each alarm watches: namespace, metric and dimensions; a Ref dimension is qualified by its stack (it resolves there). */
function watched(d: Deployment): Map<string, string> {
  const out = new Map<string, string>();
  for (const { stackName, template } of d.templates) {
    for (const r of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      const p = r.Properties;
      const one = (m: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }) => {
        const dims = (m.Dimensions ?? []).map((x) => `${x.Name}=${typeof x.Value === 'string' ? x.Value : `${stackName}/${flat(x.Value)}`}`).sort();
        return `${m.Namespace}/${m.MetricName}{${dims.join(',')}}`;
      };
      // A math expression alarm watches each of its metrics.
      const metrics = (p.Metrics as { MetricStat?: { Metric: Parameters<typeof one>[0] } }[] | undefined)?.filter((m) => m.MetricStat).map((m) => one(m.MetricStat!.Metric));
      out.set(p.AlarmName as string, metrics ? metrics.sort().join(' ') : one(p));
    }
  }
  return out;
}

function evaluatorEnv(d: Deployment): Record<string, string> {
  const fns = d.templates[0]!.template.findResources('AWS::Lambda::Function');
  const evaluator = Object.entries(fns).find(([id]) => id.startsWith('PagerlessCoreEvaluator'))!;
  return evaluator[1].Properties.Environment.Variables;
}

function expectApart(a: Deployment, b: Deployment, [nameA, nameB]: [string, string]): void {
  const namesA = physicalNames(a);
  const namesB = physicalNames(b);
  // Every kind of named resource is there, in both (a test that collected nothing could not fail).
  for (const { prop } of Object.values(NAMED)) {
    expect(namesA.some((n) => n.startsWith(`${prop}=`)), prop).toBe(true);
    expect(namesB.some((n) => n.startsWith(`${prop}=`)), prop).toBe(true);
  }
  expect(namesA.filter((n) => namesB.includes(n))).toEqual([]);
  for (const [names, prefix] of [[namesA, nameA], [namesB, nameB]] as const) {
    for (const n of names) expect(n.split('=')[1], n).toMatch(new RegExp(`^${prefix}-|^${prefix}$`));
  }
  const watchedA = [...watched(a).values()];
  const watchedB = [...watched(b).values()];
  expect(watchedA.length).toBeGreaterThan(5);
  expect(watchedA.filter((w) => watchedB.includes(w))).toEqual([]);
}

/** The no-results alarm watches exactly what its own evaluator emits, and not what the other's does. */
function expectOwnNoResults(d: Deployment, other: Deployment, name: string): void {
  const alarm = Object.values(d.templates[0]!.template.findResources('AWS::CloudWatch::Alarm')).find((r) => r.Properties.AlarmName === `${name}-critical-no-results`);
  expect(alarm, `${name}-critical-no-results`).toBeDefined();
  const own = evaluatorEnv(d);
  const theirs = evaluatorEnv(other);
  expect(alarm!.Properties).toMatchObject({ Namespace: own.POWERTOOLS_METRICS_NAMESPACE, MetricName: 'ResultsEvaluated', Dimensions: [{ Name: 'service', Value: own.POWERTOOLS_SERVICE_NAME }] });
  expect(own.POWERTOOLS_SERVICE_NAME).not.toBe(theirs.POWERTOOLS_SERVICE_NAME);
}

describe('two deployments in one account (two apps, different settings.name)', () => {
  let blue: Deployment;
  let green: Deployment;
  beforeAll(() => {
    blue = appWith('blue');
    green = appWith('green');
  }, 240_000);

  it('share no physical name: tables, queues, topics, the prober function, alarms, dashboards', () => {
    expectApart(blue, green, ['blue', 'green']);
  });

  it('each one\'s "no results" alarm watches only its own evaluator\'s metric', () => {
    expectOwnNoResults(blue, green, 'blue');
    expectOwnNoResults(green, blue, 'green');
  });

  it('each function finds its own tables, queues and namespace in its environment', () => {
    const prober = Object.values(blue.templates[1]!.template.findResources('AWS::Lambda::Function'))[0]!.Properties;
    expect(prober.FunctionName).toBe('blue-prober');
    expect(prober.Environment.Variables).toMatchObject({ PAGERLESS_RESULTS_TABLE: 'blue-results', PAGERLESS_STATE_TABLE: 'blue-state', POWERTOOLS_SERVICE_NAME: 'blue' });
    const urls = JSON.parse(flat(Object.entries(blue.templates[0]!.template.findResources('AWS::Lambda::Function'))
      .find(([id]) => id.startsWith('PagerlessCoreScheduler'))![1].Properties.Environment.Variables.PAGERLESS_QUEUE_URLS)) as Record<string, string>;
    for (const url of Object.values(urls)) expect(url).toMatch(/\/blue-probes$/);
  });
});

describe('two constructs in one app (different `name` props, two stacks)', () => {
  it('share no physical name and no watched metric', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const file = writeConfig(MULTI_REGION);
    const built = (['shop', 'blog'] as const).map((name) => {
      const stack = new Stack(app, `Monitor-${name}`, { env: { region: HOME } });
      return [stack, new Pagerless(stack, 'Pagerless', { configFile: file, environment: {}, name })] as const;
    });
    // Synthesize once the app is complete.
    const made = built.map(([stack, p]) => collect(stack, p));
    expectApart(made[0]!, made[1]!, ['shop', 'blog']);
    expectOwnNoResults(made[0]!, made[1]!, 'shop');
  }, 240_000);

  it('the prop wins over settings.name, and the bundled config says so', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Monitor', { env: { region: HOME } });
    const p = new Pagerless(stack, 'Pagerless', { configFile: writeConfig(MULTI_REGION.replace('settings:\n', 'settings:\n  name: from-file\n')), environment: {}, name: 'from-prop' });
    expect(p.config.names.stateTable).toBe('from-prop-state');
    expect(JSON.parse(p.config.compiledJson).settings.name).toBe('from-prop');
  }, 60_000);

  it('a bad `name` prop fails synth with what and where', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Monitor', { env: { region: HOME } });
    expect(() => new Pagerless(stack, 'Pagerless', { configFile: writeConfig(MULTI_REGION), environment: {}, name: 'Shop_EU' }))
      .toThrow('Pagerless: the name prop: "Shop_EU" is not a deployment name: use lower-case letters, digits and single hyphens');
  }, 60_000);
});

describe('the default deployment', () => {
  it('keeps the names Pagerless always had (an upgrade replaces nothing)', () => {
    const names = physicalNames(appWith(undefined)).filter((n) => !n.startsWith('AlarmName='));
    expect(names.sort()).toEqual([
      'DashboardName=Pagerless',
      ...['eu-west-1', 'us-east-1', 'ap-southeast-2'].map(() => 'FunctionName=pagerless-prober'),
      ...['eu-west-1', 'us-east-1', 'ap-southeast-2'].flatMap(() => ['QueueName=pagerless-probes', 'QueueName=pagerless-probes-dlq']),
      'TableName=pagerless-results', 'TableName=pagerless-state',
      'TopicName=pagerless-alerts', 'TopicName=pagerless-ops',
      // The prober regions other than home have their own ops topic.
      'TopicName=pagerless-ops', 'TopicName=pagerless-ops',
    ].sort());
  }, 120_000);
});

describe('the longest name', () => {
  it('fits every physical name in its AWS limit', () => {
    const name = 'a'.repeat(32);
    const d = appWith(name);
    for (const { template } of d.templates) {
      for (const [type, { prop, max }] of Object.entries(NAMED)) {
        for (const r of Object.values(template.findResources(type))) {
          const v = r.Properties?.[prop];
          if (typeof v === 'string') expect(v.length, `${type} ${v}`).toBeLessThanOrEqual(max);
        }
      }
    }
    expect(physicalNames(d)).toContain(`FunctionName=${name}-prober`);
  }, 120_000);
});
