// ONNX AttributeProto -> IR attribute values (numbers, strings, lists, tensors); graphs and sparse tensors refused.

import { CompileError, Diagnostic } from '../diagnostics.js';
import type { AttrValue } from '../ir/graph.js';
import type { NodeRef } from '../ops/registry.js';
import { type AttributeProto, onnx, toNumber } from './proto.js';
import { type TensorContext, tensorFromProto } from './tensor.js';
import { isLazy } from '../ir/graph.js';

const T = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

/** The attribute's declared type; for old models that leave it UNDEFINED, the type of the field that is set. */
function typeOf(a: AttributeProto): number {
  if (a.type) return a.type;
  if (a.ints?.length) return T.INTS;
  if (a.floats?.length) return T.FLOATS;
  if (a.strings?.length) return T.STRINGS;
  if (a.t) return T.TENSOR;
  if (a.g) return T.GRAPH;
  if (a.s?.length) return T.STRING;
  return T.UNDEFINED;
}

/** One attribute's value; throws a CompileError naming the node for kinds xfc does not support. */
export function attributeValue(a: AttributeProto, node: NodeRef, ctx: TensorContext = {}): AttrValue {
  const type = typeOf(a);
  switch (type) {
    case T.INT: return toNumber(a.i);
    case T.FLOAT: return a.f ?? 0;
    case T.STRING: return utf8.decode(a.s ?? new Uint8Array());
    case T.INTS: return (a.ints ?? []).map(toNumber);
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.STRINGS: return (a.strings ?? []).map((s) => utf8.decode(s));
    case T.TENSOR: {
      const t = tensorFromProto(a.t ?? {}, ctx, a.t?.name || a.name || '');
      return isLazy(t) ? t.load() : t;
    }
    default: {
      const kind = T[type] ?? `type #${type}`;
      throw CompileError.of('attrError', { op: node.op, node: node.name, detail: `attribute '${a.name}' of type ${kind} is not supported` });
    }
  }
}

/** All attributes of a node; every unsupported one is reported at once. */
export function attributesOf(list: readonly AttributeProto[], node: NodeRef, ctx: TensorContext = {}): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const errors: Diagnostic[] = [];
  for (const a of list) {
    try {
      out[a.name ?? ''] = attributeValue(a, node, ctx);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      errors.push(...e.diagnostics);
    }
  }
  if (errors.length > 0) throw new CompileError(errors);
  return out;
}
