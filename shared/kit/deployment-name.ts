/**
 * The deployment name (`settings.name`, or the construct's `name` prop): it prefixes every AWS
 * physical name a deployment creates, so two deployments in one account never share one.
 */

/** Today's names (`pagerless-results`, `pagerless-prober`...) are this prefix. */
export const DEFAULT_DEPLOYMENT_NAME = 'pagerless';

/**
 * Longest name. The tightest AWS limit is the prober's function name, `<name>-prober` within 64
 * characters; 32 leaves room for the suffixes of every other resource (and for new ones).
 */
export const DEPLOYMENT_NAME_MAX = 32;

const PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** What is wrong with a name, worded for a config error (`"<value>" ...`); undefined when it is fine. */
export function deploymentNameProblem(name: string): string | undefined {
  const rule = `lower-case letters, digits and single hyphens, starting and ending with a letter or digit, at most ${DEPLOYMENT_NAME_MAX} characters (it prefixes every AWS resource name)`;
  if (name.length > DEPLOYMENT_NAME_MAX) return `"${name}" is ${name.length} characters: a deployment name is ${rule}`;
  if (!PATTERN.test(name)) return `"${name}" is not a deployment name: use ${rule}`;
  return undefined;
}
