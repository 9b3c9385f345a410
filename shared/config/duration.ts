/** @deprecated moved to shared/kit/duration.ts (a leaf that config, checks and channels import); re-exported for old imports. */
export * from '../kit/duration.ts';
