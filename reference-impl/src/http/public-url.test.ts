/** Which Host values may become the base of the v2 links: valid authorities only. */
import { describe, expect, it } from 'vitest';
import { validAuthority } from './public-url.ts';

describe('validAuthority', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.com:8443', 'api.example.com:8443'],
    ['localhost', 'localhost'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['[::1]:8080', '[::1]:8080'],
    ['[2001:db8::1]', '[2001:db8::1]'],
    ['my_service:80', 'my_service:80'],
    ['example.com.', 'example.com.'],
    ['a.b:65535', 'a.b:65535'],
  ])('%s → %s', (host, expected) => expect(validAuthority(host)).toBe(expected));

  it.each([
    ['evil.example:1/x?"<>'],
    ['evil example'],
    ['a.b:65536'],
    ['a.b:99999'],
    ['[::1'],
    ['[not:ip]'],
    ['user@host'],
    [''],
    ['host:'],
    ['-bad.example'],
    ['a..b'],
    ['exa\u00e9mple.com'],
    [`${'a'.repeat(64)}.com`],
    ['host:80:80'],
    ['%2e%2e'],
  ])('%j → refused', (host) => expect(validAuthority(host)).toBeUndefined());
});
