/** @deprecated moved to shared/kit/fields.ts; re-exported for old imports (channels, reactions). */
export * from '../kit/fields.ts';
