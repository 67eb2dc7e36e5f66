/** Which activations of the fp32 ISNet graph the int8 recipe quantizes; shared by calibration and quantizer. */
import { type Graph, type Node } from './onnx.ts';

/** Ops whose float outputs are quantized (uint8), so that onnxruntime runs them — or their consumers — in int8. */
const QUANTIZED_OPS = new Set(['Conv', 'Relu', 'MaxPool', 'Concat', 'Resize', 'Add']);
/** Ops whose output range lies within their data input's: they share its scale, so ORT can drop their Q/DQ. */
const RANGE_KEEPING_OPS = new Set(['MaxPool', 'Resize']);

export interface QuantPlan {
  /** Activation tensors that get one Q→DQ pair each, in graph order. */
  tensors: string[];
  /** Tensors that take another tensor's scale and zero point (MaxPool/Resize outputs ← their input). */
  tiedTo: Map<string, string>;
  /** Tensors that need calibration statistics (`tensors` minus the tied ones). */
  calibrated: string[];
  /** Convs computed in int8; the rest (the logits Conv) stay float32. */
  int8Convs: Node[];
}

export function consumersOf(graph: Graph): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const n of graph.node ?? [])
    for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  return consumers;
}

/**
 * The recipe: every Conv except the one producing the logits is int8; a Q→DQ pair follows every float
 * activation produced by a Conv, Relu, MaxPool, float Concat, Resize or Add (and the graph input), except
 * a Conv output read only by a Relu (the pair goes after the Relu, and onnxruntime folds the Relu into
 * the zero-point-0 Q) and anything downstream of the logits Conv (Resize + Sigmoid stay float32).
 * Nodes whose name matches `floatNodes` run in float32: onnxruntime fuses DQ→Conv→Q into a QLinearConv
 * even with float weights, so a float node's output is quantized only where a non-float node reads it,
 * and a float Conv may not have both a quantized input and a quantized output (that is checked). The committed
 * recipe (v6) keeps none: v4–v5 kept the two deepest encoder stages (`/^\/stage[56]\//`) float for plants-1
 * (0.941 → 0.961 alone); behind the fp32 fallback, which answers for plants-1 anyway, quantizing them is 15 %
 * faster and no worse on any tuning set (engine README, "Precision").
 */
export function quantPlan(graph: Graph, output: string, floatNodes?: RegExp): QuantPlan {
  const nodes = graph.node ?? [];
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const consumers = consumersOf(graph);

  // Walk back from the output through non-Conv nodes to the logits Conv; what we pass stays float.
  const head = new Set<Node>();
  let logits: Node | undefined;
  for (let cur = producer.get(output); cur;) {
    head.add(cur);
    if (cur.opType === 'Conv') {
      logits = cur;
      break;
    }
    cur = producer.get(cur.input![0]!);
  }
  if (!logits) throw new Error(`no Conv found upstream of ${output}`);

  const isFloat = (n: Node) => floatNodes?.test(n.name ?? '') ?? false;
  // A float node's output needs a Q→DQ pair only where a quantized node reads it.
  const readByInt8 = (t: string) => (consumers.get(t) ?? []).some((c) => !isFloat(c));
  const graphInput = graph.input?.[0]?.name ?? 'input';
  const float = new Set<string>([graphInput]);
  const tensors: string[] = readByInt8(graphInput) ? [graphInput] : [];
  const tiedTo = new Map<string, string>();
  for (const n of nodes) {
    const out = n.output?.[0];
    if (!out || !QUANTIZED_OPS.has(n.opType ?? '')) continue;
    if (n.opType === 'Concat' && !float.has(n.input![0]!)) continue; // shape arithmetic (int64)
    float.add(out);
    if (head.has(n)) continue;
    const readers = consumers.get(out) ?? [];
    if (n.opType === 'Conv' && readers.length === 1 && readers[0]!.opType === 'Relu') continue;
    if (isFloat(n) && !readByInt8(out)) continue;
    tensors.push(out);
    if (RANGE_KEEPING_OPS.has(n.opType!)) tiedTo.set(out, n.input![0]!);
  }
  // A tie to a tensor that is itself tied resolves to the root.
  for (const [t, src] of tiedTo) {
    let root = src;
    while (tiedTo.has(root)) root = tiedTo.get(root)!;
    tiedTo.set(t, root);
  }
  const quantized = new Set(tensors);
  for (const src of tiedTo.values()) if (!quantized.has(src)) throw new Error(`tied source ${src} is not quantized`);
  const int8Convs = nodes.filter((n) => n.opType === 'Conv' && n !== logits && !isFloat(n));
  for (const c of int8Convs)
    if (!quantized.has(c.input![0]!)) throw new Error(`Conv ${c.name} reads unquantized ${c.input![0]}`);
  for (const c of nodes.filter((n) => n.opType === 'Conv' && isFloat(n))) {
    const out = c.output![0]!,
      readers = consumers.get(out) ?? [];
    const tail = readers.length === 1 && readers[0]!.opType === 'Relu' ? readers[0]!.output![0]! : out;
    if (quantized.has(c.input![0]!) && quantized.has(tail))
      throw new Error(
        `float Conv ${c.name} has a quantized input and output: onnxruntime would fuse it into a QLinearConv`,
      );
  }
  return { tensors, tiedTo, calibrated: tensors.filter((t) => !tiedTo.has(t)), int8Convs };
}
