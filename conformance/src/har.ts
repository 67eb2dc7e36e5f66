/** Every exchange of a run as an HTTP Archive (HAR 1.2): binary bodies base64, API keys redacted; loads in a browser's devtools. */
import { STATUS_CODES } from 'node:http';
import type { Exchange } from './http.ts';

interface NameValue {
  name: string;
  value: string;
}
/** The HAR 1.2 subset written here (field names as the format defines them). */
export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    pages: [];
    entries: {
      startedDateTime: string;
      time: number;
      request: {
        method: string;
        url: string;
        httpVersion: string;
        cookies: [];
        headers: NameValue[];
        queryString: NameValue[];
        headersSize: -1;
        bodySize: number;
        postData?: { mimeType: string; text: string; params: []; comment?: string };
      };
      response: {
        status: number;
        statusText: string;
        httpVersion: string;
        cookies: [];
        headers: NameValue[];
        content: { size: number; mimeType: string; text: string; encoding?: 'base64' };
        redirectURL: string;
        headersSize: -1;
        bodySize: number;
      };
      cache: Record<string, never>;
      timings: { send: number; wait: number; receive: number };
      comment: string;
    }[];
  };
}

const isText = (mime: string) => /^(text\/|application\/(json|problem\+json|x-www-form-urlencoded|xml))/i.test(mime);

/** Headers as HAR lists them, the key's value replaced by the variable a reproduction uses (or `<redacted>`). */
function headerList(headers: Record<string, string>, keys: Map<string, string>): NameValue[] {
  return Object.entries(headers).map(([name, value]) => ({
    name,
    value: name.toLowerCase() === 'x-api-key' ? `$${keys.get(value) ?? 'REDACTED'}` : value,
  }));
}

export function toHar(
  exchanges: readonly Exchange[],
  keys: Map<string, string>,
  creator: { name: string; version: string },
): Har {
  return {
    log: {
      version: '1.2',
      creator,
      pages: [],
      entries: exchanges.map((ex) => {
        const url = new URL(ex.url);
        const sent = ex.request.body === undefined ? undefined : Buffer.from(ex.request.body);
        const mimeType = ex.request.headers['content-type'] ?? 'application/octet-stream';
        const sentText = sent && isText(mimeType);
        const received = ex.body;
        const textual = isText(ex.contentType);
        return {
          startedDateTime: ex.startedAt,
          time: Math.round(ex.ms),
          request: {
            method: ex.method,
            url: ex.url,
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: headerList(ex.request.headers, keys),
            queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
            headersSize: -1,
            bodySize: sent?.length ?? 0,
            // HAR 1.2 has no encoding field for request bodies: a binary one (multipart) is base64, said in its comment.
            ...(sent
              ? {
                  postData: {
                    mimeType,
                    text: sentText ? sent.toString('utf8') : sent.toString('base64'),
                    params: [],
                    ...(sentText ? {} : { comment: 'base64' }),
                  },
                }
              : {}),
          },
          response: {
            status: ex.status,
            statusText: STATUS_CODES[ex.status] ?? '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: headerList(ex.headers, keys),
            content: {
              size: received.length,
              mimeType: ex.contentType || 'application/octet-stream',
              text: textual ? received.toString('utf8') : received.toString('base64'),
              ...(textual ? {} : { encoding: 'base64' as const }),
            },
            redirectURL: ex.headers.location ?? '',
            headersSize: -1,
            bodySize: received.length,
          },
          cache: {},
          timings: { send: 0, wait: Math.round(ex.ms), receive: 0 },
          comment: `check ${ex.check}, exchange ${ex.seq}`,
        };
      }),
    },
  };
}
