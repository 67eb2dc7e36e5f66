/** The SSRF address classifier: a table of addresses that must be refused or allowed, incl. IPv6 forms that embed IPv4. */
import { describe, expect, it } from 'vitest';
import { forbiddenReason, inAllowList } from './address.ts';

const forbidden: string[] = [
  '0.0.0.0',
  '0.1.2.3',
  '10.0.0.1',
  '10.255.255.255',
  '100.64.0.1',
  '100.100.100.200',
  '127.0.0.1',
  '127.1.2.3',
  '169.254.169.254',
  '169.254.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.1',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '[::1]',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:10.1.2.3',
  '::127.0.0.1',
  '64:ff9b::a00:1',
  '64:ff9b::169.254.169.254',
  '2002:7f00:1::',
  '2002:a00:1::1',
  'fc00::1',
  'fd00:ec2::254',
  'fe80::1',
  'fe80::1%eth0',
  'fec0::1',
  'ff02::1',
  '2001:db8::1',
  '2001::1',
  '100::1',
  'not-an-ip',
];
const allowed: string[] = [
  '1.1.1.1',
  '8.8.8.8',
  '93.184.216.34',
  '172.15.255.255',
  '172.32.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '192.169.0.1',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
  '2a00:1450::1',
];

describe('forbiddenReason', () => {
  it('has a table of at least 20 addresses', () =>
    expect(forbidden.length + allowed.length).toBeGreaterThanOrEqual(20));
  it.each(forbidden)('%s is refused', (ip) => expect(forbiddenReason(ip)).toBeTypeOf('string'));
  it.each(allowed)('%s is public', (ip) => expect(forbiddenReason(ip)).toBeUndefined());
  it('names why', () => {
    expect(forbiddenReason('169.254.169.254')).toMatch(/link-local/);
    expect(forbiddenReason('::ffff:127.0.0.1')).toMatch(/loopback.*embedded/);
  });
});

describe('inAllowList', () => {
  it.each([
    ['127.0.0.1', ['127.0.0.1'], true],
    ['127.0.0.2', ['127.0.0.1'], false],
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['::ffff:127.0.0.1', ['127.0.0.1'], true],
    ['fd00::5', ['fd00::/8'], true],
    ['::1', ['127.0.0.1'], false],
    ['192.168.1.1', [], false],
  ] as const)('%s in %j → %s', (ip, list, expected) => expect(inAllowList(ip, list)).toBe(expected));
});
