// report.json of `xfc compile --report`: graph sizes, fusions, peak arena at the max shape, weights, FLOPs.
//
// FLOPs are estimates from the step's shapes at the max shape (a multiply-add counts 2): MatMul-like steps
// 2·(output elements)·K, convolutions 2·(output elements)·(weights per output), attention 4·(output
// elements)·(key length), normalizations and softmax ~5 per element, data movement 0, other ops 1 per element.

import { evalDim } from '../compiler/ir/dim.js';
import type { Schedule, Step, TensorRef } from './common/schedule.js';
import { type MemoryReport, peakArenaBytes } from './resources.js';

export interface CompileReport {
  readonly nodes: { readonly before: number; readonly after: number };
  readonly fusions: Readonly<Record<string, number>>;
  /** The symbol values the sizes below are computed at. */
  readonly shape: Readonly<Record<string, number>>;
  readonly peakArenaBytes: number;
  /** Peak arena bytes with every symbol at the same value (1, 128, 512, ...): how memory grows with the shape. */
  readonly arenaBySymbolValue: readonly { readonly value: number; readonly peakArenaBytes: number }[];
  readonly weightBytes: number;
  /** wasm linear memory at the manifest's symbol maxima against the 4 GiB limit (backends/resources.ts). */
  readonly memory?: MemoryReport;
  readonly totalFlops: number;
  readonly flopsByOp: Readonly<Record<string, number>>;
  readonly steps: readonly { readonly index: number; readonly op: string; readonly node: string; readonly flops: number }[];
}

const MOVEMENT = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'Dropout', 'Gather',
  'GatherElements', 'Concat', 'Split', 'Slice', 'Expand', 'Tile', 'Shape', 'Size', 'Constant', 'ConstantOfShape',
  'Range', 'EyeLike', 'Cast', 'CastLike', 'Pad', 'ScatterND', 'ScatterElements', 'Trilu']);
const NORMALIZING = new Set(['Softmax', 'LogSoftmax', 'LayerNormalization', 'SkipLayerNormalization', 'BatchNormalization',
  'Gelu', 'FastGelu', 'Erf', 'Tanh', 'Sigmoid']);

export function buildReport(input: {
  readonly schedule: Schedule;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  readonly fusions?: Readonly<Record<string, number>>;
  readonly shape: Readonly<Record<string, number>>;
  readonly memory?: MemoryReport;
}): CompileReport {
  const { schedule, shape } = input;
  const bind = (d: number | string) => evalDim(d, shape);
  const buffers = schedule.buffers.map((b) => ({ bytes: b.bytes, first: b.firstStep, last: b.lastStep }));
  const placed = { total: peakArenaBytes(buffers, shape) };
  const uniform = (value: number) => Object.fromEntries(schedule.symbols.map((s) => [s, value]));
  const arenaBySymbolValue = schedule.symbols.length === 0 ? [] : [1, 128, 512, 2048].map((value) => ({ value, peakArenaBytes: peakArenaBytes(buffers, uniform(value)) }));
  const steps = schedule.steps.map((s) => ({ index: s.index, op: s.op, node: s.node.name, flops: stepFlops(s, bind) }));
  const flopsByOp: Record<string, number> = {};
  for (const s of steps) flopsByOp[s.op] = (flopsByOp[s.op] ?? 0) + s.flops;
  return {
    nodes: { before: input.nodesBefore, after: input.nodesAfter },
    fusions: input.fusions ?? {},
    shape,
    peakArenaBytes: placed.total,
    arenaBySymbolValue,
    weightBytes: schedule.weightBytes,
    ...(input.memory ? { memory: input.memory } : {}),
    totalFlops: steps.reduce((a, s) => a + s.flops, 0),
    flopsByOp,
    steps,
  };
}

export function stepFlops(step: Step, bind: (d: number | string) => number): number {
  const out = step.outputs[0];
  if (!out) return 0;
  const size = (t: TensorRef) => t.shape.reduce<number>((a, d) => a * bind(d), 1);
  const dims = (t: TensorRef | undefined) => (t ? t.shape.map(bind) : []);
  const n = size(out);
  const op = step.op;
  if (MOVEMENT.has(op)) return 0;
  if (/MatMul|Gemm|Linear/.test(op)) {
    const a = dims(step.inputs[0]);
    const k = op === 'Gemm' && step.attrs.transA ? a[0] : a[a.length - 1];
    return 2 * n * (k ?? 1);
  }
  if (op === 'Conv') {
    const w = dims(step.inputs[1]);
    return 2 * n * w.slice(1).reduce((x, y) => x * y, 1);
  }
  if (/Attention/.test(op)) {
    const k = dims(step.inputs[1]);
    return 4 * n * (k[k.length - 2] ?? 1);
  }
  if (NORMALIZING.has(op)) return 5 * n;
  return n;
}
