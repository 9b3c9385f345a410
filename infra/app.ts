/**
 * The standalone CDK app (`npx cdk synth`, `npx cdk deploy --all`): a core stack in settings.home
 * and one prober stack per region in settings.regions, from the config given by
 * `-c config=PATH`, else PAGERLESS_CONFIG, else examples/monitors.yaml. A bad config fails synth
 * with the message `pagerless validate` prints. The stacks are named after settings.name.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../shared/config/load.ts';
import { appStackId, loadSynthConfig, type SynthConfig } from './config.ts';
import { Pagerless } from './pagerless.ts';

export const DEFAULT_CONFIG = 'examples/monitors.yaml';

const app = new App();
const file = (app.node.tryGetContext('config') as string | undefined) ?? process.env.PAGERLESS_CONFIG ?? DEFAULT_CONFIG;

let synth: SynthConfig;
try {
  synth = loadSynthConfig(file, process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // Word for word what `pagerless validate` prints (shared/cli/main.ts).
  process.stderr.write(`${err.message}\n${err.issues.length} error${err.issues.length > 1 ? 's' : ''} in the config\n`);
  process.exit(1);
}

const { home, names } = synth;
// One stack per deployment name: two names, two deployments side by side.
const stack = new Stack(app, appStackId(names.deployment), {
  env: { region: home },
  description: `Pagerless core (${file}): tables, scheduler, evaluator, HTTP API, alarms, dashboard`,
});
new Pagerless(stack, 'Pagerless', { configFile: file });
// `-c nag=false` skips the AwsSolutions checks (the infra tests run them regardless).
if (app.node.tryGetContext('nag') !== 'false' && app.node.tryGetContext('nag') !== false) {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
