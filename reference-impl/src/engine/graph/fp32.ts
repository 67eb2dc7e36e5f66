/** The fp32 graph: the shipped fp16 ISNet with its weights widened to float32 and its fp16 Casts removed. */
// onnxruntime's CPU provider has no fp16 kernels for most of this graph, so the shipped model computes in
// float32 anyway, between 91 Casts; widening the weights once gives the same numbers without the Casts.
import { FLOAT, FLOAT16, type Model, prune, rawBytes, renameInputs } from './onnx.ts';

/** The graph output the engine fetches; the other 11 are deep-supervision side outputs. */
export const OUTPUT = 'output';

let halfTable: Float32Array | undefined;
/** float32 value of every IEEE half bit pattern. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    halfTable[h] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? NaN
            : sign * Infinity
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return halfTable;
}

export function halfToFloat(half: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) out[i] = table[half[i]!]!;
  return out;
}

/** Converts `model` in place: fp16 initializers → fp32, float↔half Casts removed, pruned to `output`. */
export function toFp32(model: Model): Model {
  const graph = model.graph!;
  // Prune first, so that only the kept output's Cast renames a tensor.
  prune(graph, [OUTPUT]);
  for (const t of graph.initializer ?? []) {
    if (t.dataType !== FLOAT16) continue;
    const f = halfToFloat(new Uint16Array(rawBytes(t).buffer));
    t.dataType = FLOAT;
    t.rawData = new Uint8Array(f.buffer);
  }
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const casts = (graph.node ?? []).filter(
    (n) => n.opType === 'Cast' && [FLOAT, FLOAT16].includes(Number(n.attribute?.find((a) => a.name === 'to')?.i)),
  );
  for (const cast of casts) {
    const [from] = cast.input as string[];
    const [to] = cast.output as string[];
    if (outputs.has(to!)) {
      // The cast produced a graph output: its producer now writes that name directly.
      for (const n of graph.node ?? []) if (n !== cast) n.output = (n.output ?? []).map((o) => (o === from ? to! : o));
      renameInputs(graph, from!, to!, cast);
    } else {
      renameInputs(graph, to!, from!);
    }
  }
  const removed = new Set(casts);
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  // The recorded intermediate types are fp16; onnxruntime infers the shapes and types again.
  graph.valueInfo = [];
  return model;
}
