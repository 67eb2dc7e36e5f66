/** parseRedisUrl and clusterPrefix: what BGR_REDIS_URL may say, and how cluster keys share one slot. */
import { describe, expect, it } from 'vitest';
import { clusterPrefix, parseRedisUrl, redactRedisUrl } from './url.ts';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:6379', { cluster: false, tls: false, nodes: [{ host: '127.0.0.1', port: 6379 }] }],
    [
      'rediss://u:p%40ss@r.internal/2',
      {
        cluster: false,
        tls: true,
        nodes: [{ host: 'r.internal', port: 6379 }],
        username: 'u',
        password: 'p@ss',
        db: 2,
      },
    ],
    ['redis://:pw@[::1]:7000', { cluster: false, nodes: [{ host: '::1', port: 7000 }], password: 'pw' }],
    [
      'redis+cluster://h1:7000,h2:7001, h3',
      {
        cluster: true,
        tls: false,
        nodes: [
          { host: 'h1', port: 7000 },
          { host: 'h2', port: 7001 },
          { host: 'h3', port: 6379 },
        ],
      },
    ],
    [
      'rediss+cluster://:pw@h1:7000/',
      { cluster: true, tls: true, nodes: [{ host: 'h1', port: 7000 }], password: 'pw' },
    ],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['http://r:6379', /must be redis:\/\//],
    ['redis://a:1,b:2', /redis\+cluster/],
    ['redis+cluster://a:1/3', /database 0 only/],
    ['redis://r:0', /bad host:port/],
    ['redis+cluster://a:1,,b:2', /bad host:port ''/],
  ])('%s → %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('redacts the password only', () => {
    expect(redactRedisUrl('redis+cluster://user:secret@h1:1,h2:2')).toBe('redis+cluster://user:***@h1:1,h2:2');
    expect(redactRedisUrl('redis://h:1')).toBe('redis://h:1');
  });
});

describe('clusterPrefix', () => {
  it.each([
    ['bgr:', '{bgr}:'],
    ['bgrtest:ab12:', '{bgrtest:ab12}:'],
    ['{tenant7}:bgr:', '{tenant7}:bgr:'],
    ['', '{bgr}:'],
  ])('%j → %j', (prefix, expected) => {
    expect(clusterPrefix(prefix)).toBe(expected);
  });
});
