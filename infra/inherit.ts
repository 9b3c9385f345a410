/**
 * What the prober stacks take over from the stack the user put Pagerless in. They are siblings of
 * that stack in its Stage, not children, so nothing set on it reaches them by itself: its
 * synthesizer (a custom bootstrap qualifier), its permissions boundary, its tags and its aspects.
 */
import { Annotations, Aspects, AspectPriority, PERMISSIONS_BOUNDARY_CONTEXT_KEY, PermissionsBoundary, type IAspect, type IStackSynthesizer, type Stack, type StackProps } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Props for a stack the construct adds next to `stack`: its synthesizer, boundary and tags. */
export function inheritedStackProps(stack: Stack): Pick<StackProps, 'synthesizer' | 'permissionsBoundary' | 'tags'> {
  return {
    synthesizer: synthesizerLike(stack),
    permissionsBoundary: boundaryOf(stack),
    // Tags given as the stack's `tags` prop; Tags.of(stack).add() ones travel with its aspects.
    tags: stack.tags.tagValues(),
  };
}

/**
 * Apply the aspects applied to `from` (Tags.of(stack).add, iam PermissionsBoundary.of(stack),
 * checks) to `to` as well, including those added after this call: they are read at synthesis.
 */
export function inheritStackAspects(to: Stack, from: Stack): void {
  const forward: IAspect = {
    visit(node: IConstruct) {
      for (const aspect of Aspects.of(from).all) aspect.visit(node);
    },
  };
  Aspects.of(to).add(forward, { priority: AspectPriority.MUTATING });
}

/**
 * A synthesizer equivalent to the stack's. A reusable synthesizer (DefaultStackSynthesizer and its
 * kin) binds each stack to a copy of itself made with Object.create: its prototype is the instance
 * the user configured, which can be bound again. Any other kind cannot be copied: say so.
 */
function synthesizerLike(stack: Stack): IStackSynthesizer | undefined {
  const configured: unknown = Object.getPrototypeOf(stack.synthesizer);
  // A class's prototype (a synthesizer bound as it is) is not an instance to bind again.
  const isInstance = typeof configured === 'object' && configured !== null && (configured as { constructor?: { prototype?: unknown } }).constructor?.prototype !== configured;
  if (isInstance && typeof (configured as { reusableBind?: unknown }).reusableBind === 'function') return configured as IStackSynthesizer;
  Annotations.of(stack).addWarningV2('pagerless:prober-synthesizer', `The prober stacks cannot reuse this stack's synthesizer (${stack.synthesizer.constructor.name} is not reusable); they use the app's default synthesizer.`);
  return undefined;
}

/** The boundary that applies to the stack: its `permissionsBoundary` prop, or the context of a scope above it. */
function boundaryOf(stack: Stack): PermissionsBoundary | undefined {
  const own = stack.node.tryGetContext(PERMISSIONS_BOUNDARY_CONTEXT_KEY) as { name?: string; arn?: string } | undefined;
  if (own?.arn) return PermissionsBoundary.fromArn(own.arn);
  if (own?.name) return PermissionsBoundary.fromName(own.name);
  return undefined;
}
