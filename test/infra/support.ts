/**
 * Infra test helpers: configs written to a temp dir, and the Pagerless app built from them with
 * bundling skipped (TOOLCHAIN.md: context `aws:cdk:bundling-stacks: []`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Pagerless, type PagerlessProps } from '../../infra/pagerless.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

const dir = mkdtempSync(join(tmpdir(), 'pagerless-infra-'));
let n = 0;

/** Write a config to a fresh file; returns its path. */
export function writeConfig(text: string, name = `monitors-${++n}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Three prober regions, a secret and a parameter, an env reference; home eu-west-1. */
export const MULTI_REGION = `version: 1
settings:
  statusToken: \${secret:pagerless/status-token}
  ingestToken: \${env:PL_TEST_INGEST_TOKEN:-}
  home: eu-west-1
  regions: [eu-west-1, us-east-1, ap-southeast-2]
channels:
  team: { type: slack, url: "\${ssm:/pagerless/slack-url}" }
  stdout: { type: console }
services:
  - name: shop
    severity: critical
    alert: [team]
    checks:
      - name: home
        http: { url: https://shop.example.com/ }
      - name: db
        tcp: { host: db.example.com, port: 5432 }
  - name: jobs
    alert: [stdout]
    checks:
      - name: nightly
        heartbeat: { token: "\${env:PL_TEST_BACKUP_TOKEN:-nightly-token}", every: 24h, grace: 1h }
      - name: dd
        webhook: { source: generic }
`;

export const HOME = 'eu-west-1';
export const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

export interface Built {
  app: App;
  stack: Stack;
  pagerless: Pagerless;
  core: Template;
  probers: Map<string, Template>;
}

/** The app as infra/app.ts builds it: a core stack in the home region, a prober stack per region. */
export function build(configText: string, props: Partial<PagerlessProps> = {}, home = HOME): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Pagerless', { env: { region: home } });
  const pagerless = new Pagerless(stack, 'Pagerless', { configFile: writeConfig(configText), environment: {}, ...props });
  const probers = new Map([...pagerless.probers].map(([region, s]) => [region, Template.fromStack(s)]));
  return { app, stack, pagerless, core: Template.fromStack(stack), probers };
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the identity policies (inline and customer managed) attached to the role whose logical id starts with `rolePrefix`. */
export function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
  const out: Statement[] = [];
  for (const p of Object.values(policies)) {
    const roles = ((p.Properties.Roles ?? []) as { Ref: string }[]).map((r) => r.Ref);
    if (!roles.some((r) => r.startsWith(rolePrefix))) continue;
    out.push(...(p.Properties.PolicyDocument.Statement as Statement[]));
  }
  return out;
}

export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function resourcesOf(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/** Every action a role may take. */
export function allActions(template: Template, rolePrefix: string): string[] {
  return statementsOf(template, rolePrefix).flatMap(actionsOf).sort();
}

/** CloudFormation's Fn::Join of an ARN, flattened to text with `${AWS::Partition}`-style placeholders. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `\${${String(v.Ref)}}`;
    if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
  }
  return JSON.stringify(value);
}
