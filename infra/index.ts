/**
 * The package's entry (`import { Pagerless } from 'pagerless'`): the construct, its props and the
 * types its properties expose. It loads no native module: SQLite belongs to the CLI's local mode.
 */
export { Pagerless, type PagerlessProps } from './pagerless.ts';
export { PagerlessCore, type PagerlessCoreProps } from './core-stack.ts';
export { PagerlessProber, PagerlessProberStack, type PagerlessProberProps, type PagerlessProberStackProps } from './prober-stack.ts';
export { PagerlessFunction, type PagerlessFunctionProps } from './function.ts';
export type { SynthConfig } from './config.ts';
export { ConfigError, type ConfigIssue, type Env } from '../shared/config/load.ts';
