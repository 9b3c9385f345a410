/**
 * cdk-nag (AwsSolutions) findings Pagerless accepts. Each acknowledgement carries its reason and
 * sits next to the resource it concerns; this file only holds the helper and the findings every
 * function shares.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The namespace cdk-nag's AwsSolutions pack reports under. */
const NAMESPACE = 'AwsSolutions';

/** Acknowledge one finding (e.g. `AwsSolutions-IAM5[Resource::*]`) on a construct and its children, with a reason. */
export function acknowledgeNag(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${NAMESPACE}::${finding}`, reason });
}

/** Findings every Pagerless function carries. */
export function acknowledgeFunction(fn: IConstruct): void {
  acknowledgeNag(fn, 'AwsSolutions-L1', 'Pinned to nodejs22.x on purpose (TOOLCHAIN.md): the version the code is built and tested for (esbuild target node22); moving to a newer runtime is a tested change, not a synth-time default.');
}
