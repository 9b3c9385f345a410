/**
 * What the CDK app needs from monitors.yaml: the compiled config as `cdk synth` sees it (the
 * prober regions, secrets left for cold start) and its JSON for the functions, plus the facts IAM
 * is derived from — the SSM
 * parameters and secrets each function resolves, the EC2 instances and hosted zones reactions touch, the
 * SNS topics channels publish to. Pure functions: no constructs, so they are easy to test.
 */
import type { CompiledConfig } from '../shared/config/compile.ts';
import { isProbed, isScheduled, roundIntervalMs } from '../shared/checks/index.ts';
import { referencesInScope, serializeCompiled, type ReferenceScope } from '../shared/config/compiled-json.ts';
import { AWS_OPTIONS, loadAwsConfig, parseConfig, type Env } from '../shared/config/load.ts';
import { resourceNames, type ResourceNames } from '../shared/adapters/aws/tables.ts';
import { DEFAULT_DEPLOYMENT_NAME, deploymentNameProblem } from '../shared/kit/deployment-name.ts';

/**
 * The config in every function package: the compiled config as JSON (serializeCompiled), read by
 * the runtime from `$LAMBDA_TASK_ROOT/<PAGERLESS_CONFIG_FILE>`.
 */
export const BUNDLED_CONFIG_NAME = 'monitors.json';

/** The region used when a config names neither `settings.home` nor `settings.regions` (as loadConfig does). */
export const FALLBACK_REGION = 'us-east-1';

export interface SynthConfig {
  /** The file as given (relative paths stay relative: error messages quote them as written). */
  readonly file: string;
  /** The raw text, as read. */
  readonly text: string;
  readonly config: CompiledConfig;
  /**
   * What the functions load: the compiled config as JSON, `${env:}` resolved at synth,
   * `${ssm:}`/`${secret:}` kept as written for cold start.
   */
  readonly compiledJson: string;
  /** Region of the tables, the evaluator and the API. */
  readonly home: string;
  /** Prober regions, in config order, without duplicates. */
  readonly regions: readonly string[];
  /** The deployment's physical names, from settings.name (or the construct's `name` prop). */
  readonly names: ResourceNames;
}

/**
 * Read and validate a config the way `cdk synth` must: target `aws` (prober regions, the 10s
 * minimum interval), `${ssm:}`/`${secret:}` kept as placeholders.
 * @throws ConfigError with the same issues (and message) `pagerless validate` reports
 */
export function loadSynthConfig(file: string, env: Env): SynthConfig {
  // The path `pagerless validate --target aws` and `pagerless cost` take, with the same options.
  const { config, text } = loadAwsConfig(file, env);
  return fromCompiled(config, text, file);
}

/** As loadSynthConfig, for text already read. @throws ConfigError */
export function synthConfigFromText(text: string, file: string, env: Env): SynthConfig {
  const config = parseConfig(text, file, env, AWS_OPTIONS);
  return fromCompiled(config, text, file);
}

/** Wrap an already compiled config (tests, or callers that compile themselves). */
export function fromCompiled(config: CompiledConfig, text: string, file = config.file): SynthConfig {
  const home = config.settings.home ?? config.settings.regions[0] ?? FALLBACK_REGION;
  const regions = [...new Set(config.settings.regions.length > 0 ? config.settings.regions : [home])];
  return { file, text, config, compiledJson: serializeCompiled(config), home, regions, names: resourceNames(config.settings.name) };
}

/** The standalone app's core stack id: `Pagerless` for the default deployment (as it always was), else `Pagerless-<name>`. */
export function appStackId(deployment: string): string {
  return deployment === DEFAULT_DEPLOYMENT_NAME ? 'Pagerless' : `Pagerless-${deployment}`;
}

/**
 * The config deployed under another name (the construct's `name` prop wins over settings.name);
 * the bundled config says the same name.
 * @throws Error naming the prop and the rule when the name breaks it
 */
export function withDeploymentName(synth: SynthConfig, name: string | undefined): SynthConfig {
  if (name === undefined || name === synth.config.settings.name) return synth;
  const problem = deploymentNameProblem(name);
  if (problem) throw new Error(`Pagerless: the name prop: ${problem}`);
  return fromCompiled({ ...synth.config, settings: { ...synth.config.settings, name } }, synth.text, synth.file);
}

/**
 * The parameters and secrets a function of that scope resolves at cold start (the runtime's own
 * selection, referencesInScope): what its role may read. The prober's are its checks' only.
 */
export function referencedSecrets(config: CompiledConfig, scope: ReferenceScope): { ssm: string[]; secrets: string[] } {
  const ssm = new Set<string>();
  const secrets = new Set<string>();
  for (const ref of referencesInScope(config, scope)) {
    const m = /^\$\{(ssm|secret):([^}:]*)(?::-[^}]*)?\}$/.exec(ref);
    if (!m || m[2] === '') continue;
    (m[1] === 'ssm' ? ssm : secrets).add(m[2]!);
  }
  return { ssm: [...ssm].sort(), secrets: [...secrets].sort() };
}

/** What the effect executors may touch in AWS, read from the configured reactions and channels. */
export interface EffectTargets {
  /** ec2-reboot reactions: instance ids by the region they run in. */
  readonly instances: ReadonlyMap<string, readonly string[]>;
  /** route53-failover reactions: hosted zone ids, without a `/hostedzone/` prefix. */
  readonly hostedZones: readonly string[];
  /** sns channels: topic ARNs. */
  readonly topicArns: readonly string[];
}

/**
 * Read the targets from the compiled config by type and field (`ec2-reboot`: `instanceIds`,
 * `region` defaulting to the home region; `route53-failover`: `hostedZoneId`; `sns`: `topicArn`).
 */
export function effectTargets(config: CompiledConfig, home: string): EffectTargets {
  const instances = new Map<string, Set<string>>();
  const zones = new Set<string>();
  const topics = new Set<string>();
  for (const r of Object.values(config.reactions)) {
    const spec = (r.spec ?? {}) as Record<string, unknown>;
    if (r.type === 'ec2-reboot') {
      const region = typeof spec.region === 'string' && spec.region !== '' ? spec.region : home;
      const ids = Array.isArray(spec.instanceIds) ? spec.instanceIds : typeof spec.instanceId === 'string' ? [spec.instanceId] : [];
      for (const id of ids) {
        if (typeof id !== 'string' || id === '') continue;
        const set = instances.get(region) ?? new Set<string>();
        set.add(id);
        instances.set(region, set);
      }
    } else if (r.type === 'route53-failover') {
      if (typeof spec.hostedZoneId === 'string' && spec.hostedZoneId !== '') zones.add(spec.hostedZoneId.replace(/^\/?hostedzone\//, ''));
    }
  }
  for (const c of Object.values(config.channels)) {
    const spec = (c.spec ?? {}) as Record<string, unknown>;
    if (c.type === 'sns' && typeof spec.topicArn === 'string' && spec.topicArn !== '') topics.add(spec.topicArn);
  }
  return {
    instances: new Map([...instances].sort(([a], [b]) => a.localeCompare(b)).map(([region, ids]) => [region, [...ids].sort()])),
    hostedZones: [...zones].sort(),
    topicArns: [...topics].sort(),
  };
}

/**
 * Minutes without any result after which the pipeline counts as stopped: 5, or twice the shortest
 * interval at which a scheduled check's rounds run on AWS when that is longer (checks every 10
 * minutes leave 10 quiet minutes).
 */
export function quietWindowMinutes(config: CompiledConfig): number {
  const scheduled = config.checks.filter(isScheduled).map((c) => roundIntervalMs(c, 'aws'));
  return Math.max(5, Math.ceil((2 * Math.min(...scheduled, Infinity)) / 60_000) || 5);
}

/**
 * Minutes a prober region may send no result before it counts as silent: 5, or twice the shortest
 * round interval of a probed check when that is longer. Undefined when nothing is probed.
 */
export function probeWindowMinutes(config: CompiledConfig): number | undefined {
  const probed = config.checks.filter(isProbed).map((c) => roundIntervalMs(c, 'aws'));
  if (probed.length === 0) return undefined;
  return Math.max(5, Math.ceil((2 * Math.min(...probed)) / 60_000));
}

/** True when the scheduler sends probes or evaluates heartbeats: results then arrive every few minutes. */
export function expectsSteadyResults(config: CompiledConfig): boolean {
  return config.checks.some(isScheduled);
}
