/** A fake inference worker for fast pool/pipeline tests: no model; alpha = the red channel of the input. */
// Behaviour is steered by the job's first bytes: R=1 at pixel 0 → crash (process.exit), R=2 → error reply;
// G=3 at pixel 0 → delay of B×10 ms (and the job count in the last alpha byte). modelPath "fail-start" makes it fail before reporting ready.
import { parentPort, workerData } from 'node:worker_threads';
import type { JobMessage, WorkerInit, WorkerMessage } from '../protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage, t: ArrayBuffer[] = []) => port.postMessage(m, t);
let jobsRun = 0;

if (init.modelPath === 'fail-start') {
  post({ type: 'fatal', message: 'fake model could not be loaded' });
  process.exit(1);
}
post({ type: 'ready', loadMs: 0, warmupMs: 0 });

port.on('message', async (job: JobMessage) => {
  jobsRun++;
  const { rgb } = job;
  if (rgb[0] === 1 && rgb[1] === 1) process.exit(7);
  if (rgb[0] === 2 && rgb[1] === 2) return post({ type: 'error', id: job.id, message: 'fake failure' });
  const delay = rgb[1] === 3 ? rgb[2]! * 10 : 0;
  if (delay) await new Promise((r) => setTimeout(r, delay));
  const alpha = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < alpha.length; i++) alpha[i] = rgb[i * 3]!;
  // The last byte reports how many jobs this worker has run (lets tests see that a canceled job never ran).
  if (rgb[1] === 3) alpha[alpha.length - 1] = jobsRun;
  post({ type: 'result', id: job.id, alpha, fellBack: false, timings: { pre: 0, infer: delay, post: 0 } }, [
    alpha.buffer,
  ]);
});
