// Sweeps every registered op over wrong and unusual operand dtypes, ranks and attribute values: any exception
// other than a CompileError (from the type rule, folding or the interpreter) is a bug in that op's declaration.

import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { type DType } from '../../compiler/ir/dtype.js';
import { Graph, type AttrValue, type Value } from '../../compiler/ir/graph.js';
import { Tensor, shapeSize } from '../../compiler/ir/tensor.js';
import { interpret } from '../../compiler/interpreter.js';
import { type OpDef, allOps, arity } from '../../compiler/ops/registry.js';
import '../../compiler/ops/index.js';
import { rng } from '../helpers.js';

export const SWEEP_DTYPES: readonly DType[] = ['f32', 'i64', 'i32', 'bool', 'f16', 'u8', 'f64'];
const SHAPES: readonly (readonly number[])[] = [[2, 3], [], [3], [1, 2, 3], [0, 2], [2, 1, 3, 2]];

export interface SweepCase {
  op: string;
  domain: string;
  dtypes: DType[];
  shapes: (readonly number[])[];
  /** Operands given as constants (so the node folds) instead of graph inputs. */
  constant: boolean;
  attrs: Record<string, AttrValue>;
  /** Operand values: small integers, or special ones (NaN, infinities, 2^40, -2^31...). */
  values: 'small' | 'special';
  /**
   * Graph inputs declared with symbolic dims: none, the same symbol for aligned trailing dims of every operand,
   * or distinct symbols per operand (then broadcasting and contraction rules meet unrelated symbols).
   */
  symbols: 'none' | 'aligned' | 'distinct';
}

export interface SweepFailure {
  case: SweepCase;
  stage: 'build' | 'interpret';
  error: string;
}

/** Unusual values of each attribute kind: out-of-range axes, huge and negative numbers, empty lists. */
const ODD_ATTRS: Record<string, AttrValue[]> = {
  int: [-7, -1, 0, 1, 2, 5, 2 ** 40, -(2 ** 53)],
  float: [Number.NaN, -1, 0, 1e30],
  string: ['', 'X', 'ij->', 'ab,bc->ac', 'i...,j...'],
  ints: [[], [0], [-1, 5], [1, 1], [2 ** 40], [0, 1, 2, 3, 4, 5, 6, 7], [-3, -2]],
  floats: [[], [Number.NaN], [1e30, -1e30]],
  strings: [[], ['x']],
  tensor: [Tensor.fromNumbers('f32', [2, 2], [1, 2, 3, 4]), Tensor.scalar('i64', 5), Tensor.zeros('bool', [0])],
};

/** A plausible value for each required attribute (the sweep varies operands, not the attribute kinds). */
function requiredAttrs(def: OpDef, variant: number): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [name, s] of Object.entries(def.attrs)) {
    if (!s.required) continue;
    switch (s.kind) {
      case 'int': out[name] = [0, 1, -1, 7][variant % 4]!; break;
      case 'float': out[name] = 1; break;
      case 'string': out[name] = ['ij,jk->ik', 'ii->i', '', '...'][variant % 4]!; break;
      case 'ints': out[name] = [[0], [1, 0], [], [5]][variant % 4]!; break;
      case 'floats': out[name] = [1]; break;
      case 'strings': out[name] = ['']; break;
      case 'tensor': out[name] = Tensor.scalar('f32', 0); break;
    }
  }
  return out;
}

const SPECIAL = [Number.NaN, Infinity, -Infinity, 2 ** 40, -(2 ** 31), 1e12, -1, 0, 3];

/** Small values (including negative and out-of-range indices) so that evaluation paths run; or special ones. */
function operandTensor(dtype: DType, shape: readonly number[], seed: number, values: SweepCase['values']): Tensor {
  const r = rng(seed);
  const pick = values === 'small' ? () => Math.floor(r() * 7) - 2 : () => SPECIAL[Math.floor(r() * SPECIAL.length)]!;
  return Tensor.fromNumbers(dtype, shape, Array.from({ length: shapeSize(shape) }, pick));
}

/** The cases for one op: each operand count, a dtype per operand, shapes, inputs or constants. */
export function sweepCases(def: OpDef): SweepCase[] {
  const [min, maxRaw] = arity(def.inputs);
  const max = Math.min(maxRaw, Math.max(min, 3));
  const cases: SweepCase[] = [];
  let variant = 0;
  for (let n = min; n <= max; n++) {
    const dtypeSets: DType[][] = [];
    for (const d of SWEEP_DTYPES) dtypeSets.push(new Array<DType>(n).fill(d));
    // One operand differing from the others.
    for (let k = 0; k < n; k++) {
      for (const d of SWEEP_DTYPES) {
        const set = new Array<DType>(n).fill('f32');
        set[k] = d;
        dtypeSets.push(set);
        const other = new Array<DType>(n).fill('i64');
        other[k] = d;
        dtypeSets.push(other);
      }
    }
    // One attribute at a time set to odd values, over a few plain operand sets.
    for (const [name, spec] of Object.entries(def.attrs)) {
      for (const value of ODD_ATTRS[spec.kind]) {
        for (const d of ['f32', 'i64'] as const) {
          for (const s of [0, 3, 5]) {
            const dtypes = new Array<DType>(n).fill(d);
            cases.push({
              op: def.name, domain: def.domain, dtypes, shapes: dtypes.map(() => SHAPES[s]!), constant: s === 3,
              attrs: { ...requiredAttrs(def, variant++), [name]: value }, values: 'small', symbols: s === 5 ? 'aligned' : 'none',
            });
          }
        }
      }
    }
    for (const dtypes of dtypeSets) {
      for (let s = 0; s < SHAPES.length; s++) {
        const shapes = dtypes.map((_, k) => SHAPES[(s + (k > 0 && s % 2 === 1 ? k : 0)) % SHAPES.length]!);
        for (const constant of [false, true]) {
          for (const values of ['small', 'special'] as const) {
            cases.push({ op: def.name, domain: def.domain, dtypes, shapes, constant, attrs: requiredAttrs(def, variant++), values, symbols: 'none' });
          }
          if (!constant) {
            for (const symbols of ['aligned', 'distinct'] as const) {
              cases.push({ op: def.name, domain: def.domain, dtypes, shapes, constant, attrs: requiredAttrs(def, variant++), values: 'small', symbols });
            }
          }
        }
      }
    }
  }
  return cases;
}

/** Runs one case; returns the failure when something other than a CompileError escapes. */
export function runSweepCase(c: SweepCase, seed: number): SweepFailure | undefined {
  const graph = new Graph('sweep');
  const b = new GraphBuilder(graph, { fold: true, maxFoldElements: 1 << 16 });
  const feeds: Record<string, Tensor> = {};
  const values: Value[] = c.dtypes.map((d, k) => {
    const t = operandTensor(d, c.shapes[k]!, seed + k, c.values);
    if (c.constant) return b.constant(t, `c${k}`);
    feeds[`x${k}`] = t;
    const rank = t.shape.length;
    const shape = t.shape.map((dim, i) => (c.symbols === 'none' ? dim : c.symbols === 'aligned' ? `d${rank - i}` : `s${k}_${i}`));
    return graph.addInput(`x${k}`, { dtype: d, shape });
  });
  let outs: Value[];
  try {
    outs = b.add(c.op, values, c.attrs, { name: 'n', domain: c.domain });
  } catch (e) {
    if (e instanceof CompileError) return undefined;
    return { case: c, stage: 'build', error: describe(e) };
  }
  graph.outputs = outs;
  try {
    interpret(graph, feeds, { maxElements: 1 << 16 });
  } catch (e) {
    if (e instanceof CompileError) return undefined;
    return { case: c, stage: 'interpret', error: describe(e) };
  }
  return undefined;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const frame = e.stack?.split('\n').find((l) => l.includes('/compiler/')) ?? '';
  return `${e.name}: ${e.message} ${frame.trim()}`;
}

/** Every op's cases run; the failures, at most `perOp` per op. */
export function sweepAllOps(perOp = 3): SweepFailure[] {
  const failures: SweepFailure[] = [];
  for (const def of allOps()) {
    let found = 0;
    sweepCases(def).forEach((c, i) => {
      if (found >= perOp) return;
      const f = runSweepCase(c, i);
      if (f) {
        failures.push(f);
        found++;
      }
    });
  }
  return failures;
}
