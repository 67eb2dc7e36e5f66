// Runs one onnxruntime session on raw float32 inputs and writes every requested output as a raw file:
// plain JavaScript with onnxruntime-node as its only import, so it starts quickly under an emulated CPU
// (qemu-user), where tsx would add seconds. Usage: node ort-run.mjs job.json
import { readFile, writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

const job = JSON.parse(await readFile(process.argv[2], 'utf8'));
const session = await ort.InferenceSession.create(job.model, {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: job.threads ?? 1,
});
for (const run of job.runs) {
  const data = new Float32Array((await readFile(run.input)).buffer.slice(0));
  const result = await session.run({ [job.inputName]: new ort.Tensor('float32', data, job.dims) }, job.outputs);
  for (const [i, name] of job.outputs.entries()) {
    const out = result[name].data;
    await writeFile(`${run.outputPrefix}.${i}`, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
}
await session.release();
