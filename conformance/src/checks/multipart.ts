/** Multipart submits (the `multipart` extension): the image as a file part yields what the JSON body yields. */
import { CORE, type Check } from '../check.ts';
import { parseSubmit, waitTerminal } from '../flows.ts';
import { inspectImage, maskDifference, maxDisagreement } from '../image.ts';
import { postMultipart, syncMultipart } from '../multipart.ts';
import { ensure, expectStatus, fail } from '../outcome.ts';
import { expectCutOut, removeSync } from './v1.ts';
import { expectOutputCutOut } from './v2.ts';

export const multipartChecks: Check[] = [
  {
    id: 'V1-MULTIPART',
    level: 'MUST',
    clause: 'MULTIPART',
    extension: 'multipart',
    profiles: CORE,
    sentence:
      "Where multipart is offered, a sync removal with the image as the file part `image` MUST answer what the JSON body answers: an `image/png` cut-out of the input size with alpha, on the same side of 128 as the JSON result's alpha for at least 95% of pixels.",
    async run(ctx) {
      const f = ctx.fixtures.disc;
      const ex = await syncMultipart(ctx);
      expectStatus(ex, 200, 'multipart POST /v1/bg-removal');
      ensure(
        ex.contentType.split(';')[0]!.trim() === 'image/png',
        `content type is '${ex.contentType}', not image/png`,
        ex,
      );
      const img = await inspectImage(ex.body);
      if (!img) fail('the multipart result does not decode as an image', ex);
      expectCutOut(img, f, ex, 'multipart result');
      const diff = maskDifference(img.alpha, (await removeSync(ctx, f)).img.alpha);
      ensure(
        diff <= maxDisagreement,
        `the multipart and JSON results disagree on ${(diff * 100).toFixed(1)}% of pixels`,
        ex,
      );
    },
  },
  {
    id: 'V2-MULTIPART',
    level: 'MUST',
    clause: 'MULTIPART',
    extension: 'multipart',
    profiles: CORE,
    sentence:
      'Where multipart is offered, a submit with the image as the file part `image` MUST complete like the JSON submit, its `output` a PNG cut-out of the input size with alpha.',
    async run(ctx) {
      const sentAt = Date.now();
      const sub = parseSubmit(ctx, await postMultipart(ctx, '/v2/bg-removal', ctx.fixtures.disc), sentAt);
      const terminal = await waitTerminal(ctx, sub, 50);
      ensure(terminal.state === 'COMPLETED', `the multipart request ended ${terminal.state}`, terminal.final);
      await expectOutputCutOut(ctx, await ctx.http.get(sub.resultUrl), ctx.fixtures.disc);
    },
  },
];
