// A first client, as a new user writes it: submit, poll, the FAILED (422) branch, and a 429 retry.
// Usage: BGR_BASE_URL=http://127.0.0.1:8080 BGR_API_KEY=… node client.mjs image.png
import { readFile } from 'node:fs/promises';
const { BGR_BASE_URL: base, BGR_API_KEY: key } = process.env;
const headers = { 'x-api-key': key, 'content-type': 'application/json' };
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
async function submit(image, extra = {}) {
  for (;;) {
    const res = await fetch(`${base}/v2/bg-removal`, {
      method: 'POST',
      headers: { ...headers, ...extra },
      body: JSON.stringify({ image }),
    });
    if (res.status !== 429) return res.json();
    await sleep(Number(res.headers.get('retry-after') ?? 1)); // rate limited: wait as told, then retry
  }
}
async function wait(job) {
  for (;;) {
    const res = await fetch(job.status_url, { headers });
    const body = await res.json();
    if (res.status === 422 || body.status === 'FAILED') return { failed: body.error };
    if (body.status === 'COMPLETED') return (await fetch(job.response_url, { headers })).json();
    await sleep(0.2);
  }
}
const photo = (await readFile(process.argv[2])).toString('base64');
// On the sandbox these headers script a 429 on the first try and a FAILED request; other servers ignore them.
const done = await wait(await submit(photo, { 'x-bgr-sandbox': 'once=429' }));
const failed = await wait(await submit(photo, { 'x-bgr-sandbox': 'fail=invalid_image' }));
console.log(JSON.stringify({ completed: typeof done.output === 'string', failed: failed.failed ?? null }));
