/**
 * Zod field types shared by the config schema and the plugin modules. Messages name the bad value.
 * Check kinds never import this module: they receive it (with zod) in their `schema(kit)` factory.
 */
import { z } from 'zod';
import { DEPLOYMENT_NAME_MAX, deploymentNameProblem } from './deployment-name.ts';
import { DURATION_PATTERN, durationMessage, parseDuration } from './duration.ts';

/**
 * A duration string (`500ms`, `30s`, `5m`, `24h`); converted to ms when the config is compiled.
 * A bare number (`timeout: 10`) is an error that suggests the string (`10s`).
 */
export const duration = z
  .string({ error: (iss) => (iss.input === undefined ? undefined : durationMessage(iss.input)) })
  .superRefine((value, ctx) => {
    try {
      parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  })
  .meta({ pattern: DURATION_PATTERN, description: 'A duration: 500ms, 30s, 5m, 24h, 7d' });

/** A string that must compile as a JavaScript regular expression. */
export const regexString = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
  }
});

/** An absolute http(s) URL. */
export const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid URL (expected http://... or https://...)` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `"${value}" must use http or https, not ${url.protocol.replace(':', '')}` });
  }
});

/** Ids of services, checks, channels and reactions. */
export const idName = z.string().regex(/^[a-z0-9_-]+$/, 'must be lower-case letters, digits, - or _');

/** A deployment name (settings.name): see deployment-name.ts. */
export const deploymentName = z
  .string()
  .superRefine((value, ctx) => {
    const problem = deploymentNameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: DEPLOYMENT_NAME_MAX, description: 'Prefix of every AWS resource name of this deployment' });
