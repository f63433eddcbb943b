// Shrinks a failing model while a predicate still holds: drops whole protobuf parts (nodes, initializers,
// inputs, outputs, value infos) and doc strings when the bytes decode, then cuts byte ranges (delta debugging).

import { onnx } from '../../compiler/onnx/proto.js';

type Model = InstanceType<typeof onnx.ModelProto>;

class Minimizer {
  tries = 0;

  constructor(public best: Uint8Array, private readonly fails: (b: Uint8Array) => boolean, private readonly budget: number) {}

  get spent(): boolean {
    return this.tries >= this.budget;
  }

  /** Keeps `candidate` when it is smaller and still fails. */
  attempt(candidate: Uint8Array): boolean {
    if (this.spent || candidate.length >= this.best.length) return false;
    this.tries++;
    if (!this.fails(candidate)) return false;
    this.best = candidate;
    return true;
  }

  /** The best bytes decoded, or undefined when they no longer decode. */
  model(): Model | undefined {
    try {
      return onnx.ModelProto.decode(this.best);
    } catch {
      return undefined;
    }
  }
}

const LISTS: ((m: Model) => unknown[] | null | undefined)[] = [
  (m) => m.graph?.node,
  (m) => m.graph?.initializer,
  (m) => m.graph?.valueInfo,
  (m) => m.graph?.output,
  (m) => m.graph?.input,
  (m) => m.metadataProps,
];

/** The smallest bytes found for which `fails` still holds (`fails(bytes)` must hold to start). */
export function minimize(bytes: Uint8Array, fails: (b: Uint8Array) => boolean, budget = 3000): Uint8Array {
  const mz = new Minimizer(bytes, fails, budget);
  // Protobuf parts: runs of entries of each list, halves first, down to single entries (delta debugging).
  for (const listOf of LISTS) {
    const length = () => (listOf(mz.model() ?? onnx.ModelProto.create()) ?? []).length;
    for (let chunk = Math.max(1, length() >> 1); chunk >= 1 && !mz.spent; chunk >>= 1) {
      for (let at = 0; at < length() && !mz.spent;) {
        const m = mz.model();
        const list = m && listOf(m);
        if (!m || !list) break;
        list.splice(at, chunk);
        if (!mz.attempt(onnx.ModelProto.encode(m).finish())) at += chunk;
      }
    }
  }
  const m = mz.model();
  if (m?.graph) {
    m.docString = '';
    m.producerName = '';
    m.graph.docString = '';
    for (const n of m.graph.node ?? []) n.docString = '';
    mz.attempt(onnx.ModelProto.encode(m).finish());
  }
  // Byte ranges: halves, quarters, ... down to single bytes.
  for (let chunk = Math.max(1, mz.best.length >> 1); chunk >= 1 && !mz.spent; chunk >>= 1) {
    for (let at = 0; at < mz.best.length && !mz.spent;) {
      const b = mz.best;
      const cut = new Uint8Array(b.length - Math.min(chunk, b.length - at));
      cut.set(b.subarray(0, at));
      cut.set(b.subarray(at + chunk), at);
      if (!mz.attempt(cut)) at += chunk;
    }
  }
  return mz.best;
}
