// Test helper: concise construction of ONNX ModelProtos (encoded to bytes) with onnx-proto.

import { dtypeInfo, type DType } from '../../compiler/ir/dtype.js';
import { type Tensor } from '../../compiler/ir/tensor.js';
import { onnx, encodeModel } from '../../compiler/onnx/proto.js';
import { tensorToProto } from '../../compiler/onnx/tensor.js';

type IAttr = InstanceType<typeof onnx.AttributeProto>;
type INode = ConstructorParameters<typeof onnx.NodeProto>[0] & object;
type IValueInfo = ConstructorParameters<typeof onnx.ValueInfoProto>[0] & object;
type ITensor = ConstructorParameters<typeof onnx.TensorProto>[0] & object;

const A = onnx.AttributeProto.AttributeType;

/** An attribute, its kind picked from the JS value (integers -> INT(S), other numbers -> FLOAT(S)). */
export function attr(name: string, value: number | string | number[] | string[] | Tensor | ITensor, kind?: 'float' | 'floats'): IAttr {
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') {
    return kind === 'float' || !Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: A.FLOAT, f: value })
      : onnx.AttributeProto.create({ name, type: A.INT, i: value });
  }
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return onnx.AttributeProto.create({ name, type: A.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) });
    }
    const nums = value as number[];
    return kind === 'floats' || nums.some((v) => !Number.isInteger(v))
      ? onnx.AttributeProto.create({ name, type: A.FLOATS, floats: nums })
      : onnx.AttributeProto.create({ name, type: A.INTS, ints: nums });
  }
  const t = 'dtype' in value ? tensorToProto(value as Tensor, '') : value;
  return onnx.AttributeProto.create({ name, type: A.TENSOR, t });
}

/** A node: `node('Add', ['a', 'b'], ['c'], { name: 'add0', attrs: [attr('axis', 1)] })`. */
export function node(op: string, inputs: string[], outputs: string[], opts: { name?: string; domain?: string; attrs?: IAttr[] } = {}): INode {
  return { opType: op, input: inputs, output: outputs, name: opts.name ?? '', domain: opts.domain ?? '', attribute: opts.attrs ?? [] };
}

/** A tensor value info; dims are numbers (dim_value), strings (dim_param) or null (unnamed); shape null = no shape. */
export function vi(name: string, dtype: DType | number, shape: (number | string | null)[] | null): IValueInfo {
  const elemType = typeof dtype === 'number' ? dtype : dtypeInfo(dtype).onnx;
  const dim = shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name, type: { tensorType: { elemType, shape: dim ? { dim } : undefined } } };
}

export interface ModelSpec {
  nodes?: INode[];
  inputs?: IValueInfo[];
  outputs?: IValueInfo[];
  initializers?: (ITensor | { tensor: Tensor; name: string })[];
  /** Default-domain opset (17 unless given). */
  opset?: number;
  extraOpsets?: { domain: string; version: number }[];
  producer?: string;
}

/** The ModelProto message of a spec. */
export function modelProto(spec: ModelSpec): InstanceType<typeof onnx.ModelProto> {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: spec.producer ?? 'xfc-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: 'test',
      node: spec.nodes ?? [],
      input: spec.inputs ?? [],
      output: spec.outputs ?? [],
      initializer: (spec.initializers ?? []).map((t) => ('tensor' in t && 'name' in t && t.tensor ? tensorToProto(t.tensor, t.name) : t as ITensor)),
    },
  });
}

/** The encoded bytes of a model. */
export function model(spec: ModelSpec): Uint8Array {
  return encodeModel(modelProto(spec));
}
