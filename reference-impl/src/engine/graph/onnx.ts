/** ONNX protobuf access (onnx-proto): read/write a model and the small graph edits every recipe shares. */
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS; its namespace is the default export's `onnx`.
export const onnx = onnxProto.onnx;
export type Model = onnxProto.onnx.ModelProto;
export type Graph = onnxProto.onnx.IGraphProto;
export type Node = onnxProto.onnx.INodeProto;
export type Tensor = onnxProto.onnx.ITensorProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
export const UINT8 = onnx.TensorProto.DataType.UINT8;
export const INT8 = onnx.TensorProto.DataType.INT8;
export const INT32 = onnx.TensorProto.DataType.INT32;

export function decodeModel(bytes: Uint8Array): Model {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: Model): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A tensor's raw bytes copied to a fresh, aligned buffer (decoded `rawData` is a view at any offset). */
export function rawBytes(t: Tensor): Uint8Array {
  if (!t.rawData?.length) throw new Error(`initializer ${t.name} has no raw_data`);
  return new Uint8Array(t.rawData);
}

export function floatData(t: Tensor): Float32Array {
  if (t.dataType !== FLOAT) throw new Error(`initializer ${t.name} is not float32`);
  return new Float32Array(rawBytes(t).buffer);
}

export function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): Tensor {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attribute: onnxProto.onnx.IAttributeProto[] = [],
): Node {
  return { opType, input: inputs, output: outputs, name, attribute };
}

export const intAttr = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});

/** Every node input named `from` reads `to` instead. */
export function renameInputs(graph: Graph, from: string, to: string, except?: Node): void {
  for (const n of graph.node ?? []) {
    if (n === except) continue;
    n.input = (n.input ?? []).map((i) => (i === from ? to : i));
  }
}

/** Keeps only the graph outputs named in `keep` and the nodes and initializers they depend on. */
export function prune(graph: Graph, keep: string[]): void {
  graph.output = (graph.output ?? []).filter((o) => keep.includes(o.name ?? ''));
  const producer = new Map<string, Node>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const needed = new Set<string>();
  const live = new Set<Node>();
  const stack = [...keep];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const p = producer.get(name);
    if (p && !live.has(p)) {
      live.add(p);
      stack.push(...(p.input ?? []).filter(Boolean));
    }
  }
  graph.node = (graph.node ?? []).filter((n) => live.has(n));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
}
