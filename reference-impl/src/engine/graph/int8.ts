/** The static int8 QDQ graph: uint8 activations, 7-bit int8 per-channel weights, int32 biases, from calibrated ranges. */
// Shape of the graph that onnxruntime's CPU provider turns into QLinearConv (each point was necessary,
// issue 12): a Q after every int8 Conv (or after its Relu), int32 bias behind its own DequantizeLinear, one
// Q→DQ pair per tensor with every consumer rewired to the DQ, uint8 activations.
import { consumersOf, quantPlan } from './plan.ts';
import { FLOAT, floatData, INT32, INT8, intAttr, type Model, node, tensor, UINT8 } from './onnx.ts';
import { OUTPUT } from './fp32.ts';
import { SAFE_WEIGHT_MAX } from './saturation.ts';

/** Scale and uint8 zero point of one activation tensor. */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Largest |int8 weight| the recipe writes: 64 ("7-bit" weights), the bound below which no uint8 × int8 pair
 * can saturate the int16 lanes of x86 kernels without VNNI (`saturation.ts`), so every CPU computes the
 * same integer sums. The full range (127) gave different masks on AVX2 hosts than on VNNI ones.
 */
export const WEIGHT_MAX = SAFE_WEIGHT_MAX;
/** The full int8 range of the older recipes (v4 and before): saturates on CPUs without VNNI. */
export const FULL_WEIGHT_MAX = 127;

/** Per-output-channel symmetric int8 weights: scale_c = max|w_c| / `max`, zero point 0, |q| ≤ `max`. */
export function quantizeWeights(
  w: Float32Array,
  channels: number,
  max = WEIGHT_MAX,
): { q: Int8Array; scales: Float32Array } {
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let top = 0;
    for (let i = c * per; i < (c + 1) * per; i++) top = Math.max(top, Math.abs(w[i]!));
    const s = top > 0 ? top / max : 1;
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-max, Math.min(max, Math.round(w[i]! / s)));
  }
  return { q, scales };
}

/**
 * Options: Convs whose weights get one scale for the whole tensor (default none: every Conv per output
 * channel — with 7-bit weights the per-tensor `/stage1/rebnconvin/` of the 8-bit recipe lost plants-1
 * 0.961 → 0.946, engine README); nodes kept float32 (default none since v6, see `quantPlan`); the largest |weight|.
 */
export interface Int8Options {
  perTensorWeights?: RegExp;
  floatNodes?: RegExp;
  weightMax?: number;
}

/** Converts a pruned fp32 ISNet `model` in place; `params` holds every calibrated tensor of its plan. */
export function toInt8(
  model: Model,
  params: Record<string, QuantParams>,
  { perTensorWeights, floatNodes, weightMax = WEIGHT_MAX }: Int8Options = {},
): Model {
  const graph = model.graph!;
  const plan = quantPlan(graph, OUTPUT, floatNodes);
  const paramsOf = (t: string): QuantParams => {
    const p = params[plan.tiedTo.get(t) ?? t];
    if (!p) throw new Error(`no calibration for tensor ${t}`);
    return p;
  };
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const consumers = consumersOf(graph);
  const added: { after: string; nodes: ReturnType<typeof node>[] }[] = [];
  const newInits: ReturnType<typeof tensor>[] = [];
  const dq = (t: string) => `${t}_DequantizeLinear_Output`;

  // Activations: one Q→DQ pair per tensor, every consumer reads the DQ.
  for (const t of plan.tensors) {
    const { scale, zeroPoint } = paramsOf(t);
    newInits.push(tensor(`${t}_scale`, FLOAT, [], new Float32Array([scale])));
    newInits.push(tensor(`${t}_zero_point`, UINT8, [], new Uint8Array([zeroPoint])));
    for (const c of consumers.get(t) ?? []) c.input = c.input!.map((i) => (i === t ? dq(t) : i));
    added.push({
      after: t,
      nodes: [
        node(
          'QuantizeLinear',
          [t, `${t}_scale`, `${t}_zero_point`],
          [`${t}_QuantizeLinear_Output`],
          `${t}_QuantizeLinear`,
        ),
        node(
          'DequantizeLinear',
          [`${t}_QuantizeLinear_Output`, `${t}_scale`, `${t}_zero_point`],
          [dq(t)],
          `${t}_DequantizeLinear`,
        ),
      ],
    });
  }

  // Weights and biases of the int8 Convs: stored quantized, each behind its own DequantizeLinear.
  const weightNodes: ReturnType<typeof node>[] = [];
  for (const conv of plan.int8Convs) {
    const [x, wName, bName] = conv.input as string[];
    const w = inits.get(wName!);
    if (!w) throw new Error(`Conv ${conv.name} weight ${wName} is not an initializer`);
    const channels = Number(w.dims![0]);
    const perTensor = perTensorWeights?.test(conv.name ?? '') ?? false;
    const groups = perTensor ? 1 : channels;
    const quantized = quantizeWeights(floatData(w), groups, weightMax);
    // Per tensor: one scale, scalar scale/zero point and no axis; the bias still has one value per channel.
    const scales = perTensor ? new Float32Array(channels).fill(quantized.scales[0]!) : quantized.scales;
    const dims = perTensor ? [] : [channels];
    newInits.push(tensor(`${wName}_quantized`, INT8, w.dims!.map(Number), quantized.q));
    newInits.push(tensor(`${wName}_scale`, FLOAT, dims, quantized.scales));
    newInits.push(tensor(`${wName}_zero_point`, INT8, dims, new Int8Array(groups)));
    weightNodes.push(
      node(
        'DequantizeLinear',
        [`${wName}_quantized`, `${wName}_scale`, `${wName}_zero_point`],
        [`${wName}_dq`],
        `${wName}_DequantizeLinear`,
        perTensor ? [] : [intAttr('axis', 0)],
      ),
    );
    conv.input![1] = `${wName}_dq`;
    if (bName) {
      const b = floatData(inits.get(bName)!);
      // x here is already the activation's DQ output; its scale is the one the bias must match.
      const sx = paramsOf(x!.replace(/_DequantizeLinear_Output$/, '')).scale;
      const bq = new Int32Array(channels);
      const bs = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        bs[c] = sx * scales[c]!;
        bq[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[c]! / bs[c]!)));
      }
      newInits.push(tensor(`${bName}_quantized`, INT32, [channels], bq));
      newInits.push(tensor(`${bName}_scale`, FLOAT, [channels], bs));
      newInits.push(tensor(`${bName}_zero_point`, INT32, [channels], new Int32Array(channels)));
      weightNodes.push(
        node(
          'DequantizeLinear',
          [`${bName}_quantized`, `${bName}_scale`, `${bName}_zero_point`],
          [`${bName}_dq`],
          `${bName}_DequantizeLinear`,
          [intAttr('axis', 0)],
        ),
      );
      conv.input![2] = `${bName}_dq`;
    }
  }

  // Rebuild the node list in topological order: weight DQs first, each activation pair right after its producer.
  const pairs = new Map(added.map((a) => [a.after, a.nodes]));
  const ordered = [...weightNodes, ...(pairs.get(graph.input![0]!.name!) ?? [])];
  for (const n of graph.node ?? []) {
    ordered.push(n);
    for (const o of n.output ?? []) ordered.push(...(pairs.get(o) ?? []));
  }
  graph.node = ordered;
  const replaced = new Set(
    plan.int8Convs.flatMap((c) => [c.input![1]!.replace(/_dq$/, ''), c.input![2]?.replace(/_dq$/, '')]),
  );
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !replaced.has(t.name!)), ...newInits];
  return model;
}
