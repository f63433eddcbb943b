// Axis arguments of steps, read the same way by every backend's kernels.

import { isStaticDim } from '../../compiler/ir/dim.js';
import type { Step } from './schedule.js';

/** The reduced axes of a Reduce* step (normalized, sorted), 'identity' for noop_with_empty_axes, undefined when the axes input is not known at compile time. */
export function reducedAxes(step: Step): number[] | 'identity' | undefined {
  const rank = step.inputs[0]!.shape.length;
  let axes = step.attrs.axes as readonly number[] | undefined;
  if (step.node.inputs[1]) {
    const known = step.known[1];
    if (!known || !known.every(isStaticDim)) return undefined;
    axes = known;
  }
  if (!axes || axes.length === 0) return step.attrs.noop_with_empty_axes ? 'identity' : [...Array(rank).keys()];
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}
