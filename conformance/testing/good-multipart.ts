/** The good server's multipart bodies (the `multipart` extension): a form read as the JSON body it stands for. */

/** Whether a request body is a multipart form. */
export const isMultipart = (contentType: string | undefined): boolean =>
  /^multipart\/form-data/i.test(contentType ?? '');

/**
 * Reads a form: the file part `image` becomes raw base64 (what a JSON body may carry), `true`/`false` text parts
 * become booleans (text parts are strings on the wire); undefined when the form does not parse.
 */
export async function formBody(contentType: string, raw: Buffer): Promise<Record<string, unknown> | undefined> {
  let form: FormData;
  try {
    // undici parses multipart/form-data for any Request: no parser of our own.
    form = await new Request('http://form.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(raw),
    }).formData();
  } catch {
    return undefined;
  }
  const parts: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => parts.push([name, value]));
  const body: Record<string, unknown> = {};
  for (const [name, value] of parts) {
    if (typeof value !== 'string') body[name] = Buffer.from(await value.arrayBuffer()).toString('base64');
    // The image is the file part: a text part `image` is dropped, so the form lacks an image (400).
    else if (name !== 'image') body[name] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return body;
}
