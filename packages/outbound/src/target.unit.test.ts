import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { forbiddenRange, isLoopback } from './addresses.ts';
import { allowInsecureLoopbackFrom } from './config.ts';
import { checkOutboundUrl, resolveTarget, type Resolver } from './target.ts';

describe('forbiddenRange', () => {
  it.each([
    // IPv4, each special-purpose range, at its first and last address where it matters
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'transition'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // IPv6
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['100::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['4000::1', 'reserved'],
    // IPv4 inside IPv6: judged as the IPv4 address, however it is written
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    // Transition forms that can carry any IPv4 address are refused whole
    ['::127.0.0.1', 'transition'],
    ['::a9fe:a9fe', 'transition'],
    ['::ffff:0:a00:1', 'transition'],
    ['2002:a9fe:a9fe::', 'transition'],
    ['2002:7f00:1::1', 'transition'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
    ['64:ff9b:1::a00:1', 'transition'],
    // Not addresses at all
    ['localhost', 'not-an-address'],
    ['127.1', 'not-an-address'],
    ['0x7f000001', 'not-an-address'],
    ['', 'not-an-address'],
  ])('refuses %s as %s', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '2001:200::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows the public address %s', (address) => {
    expect(forbiddenRange(address)).toBeUndefined();
  });

  it('knows loopback in every form', () => {
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(address)).toBe(true);
    }
    for (const address of ['10.0.0.1', '::', 'localhost']) expect(isLoopback(address)).toBe(false);
  });
});

const refused = (run: () => unknown) =>
  expectAmanError(Promise.resolve().then(run), 'AMAN_ERR_VALIDATION');

describe('checkOutboundUrl', () => {
  it('takes an https URL and normalises it, fragment dropped', () => {
    expect(checkOutboundUrl('https://Hooks.Example.org:8443/a/../in?x=1#frag').href).toBe(
      'https://hooks.example.org:8443/in?x=1',
    );
  });

  it.each([
    ['plain http', 'http://hooks.example.org/in', 'must use https'],
    ['plain http to loopback without the setting', 'http://127.0.0.1:4600/in', 'must use https'],
    ['another scheme', 'ftp://hooks.example.org/in', 'must use https'],
    ['a file URL', 'file:///etc/passwd', 'must use https'],
    ['credentials', 'https://user:pw@hooks.example.org/', 'must not carry credentials'],
    ['a relative URL', '/in', 'absolute https URL'],
    ['no URL', 42, 'absolute https URL'],
    ['an overlong URL', `https://hooks.example.org/${'a'.repeat(2048)}`, 'absolute https URL'],
    ['loopback', 'https://127.0.0.1/in', 'loopback'],
    ['loopback in hex', 'https://0x7f000001/in', 'loopback'],
    ['loopback as a number', 'https://2130706433/in', 'loopback'],
    ['loopback, short form', 'https://127.1/in', 'loopback'],
    ['loopback in octal', 'https://0177.0.0.1/in', 'loopback'],
    ['the metadata address', 'https://169.254.169.254/latest', 'link-local'],
    ['a private address', 'https://10.1.2.3/in', 'private'],
    ['IPv6 loopback', 'https://[::1]/in', 'loopback'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/in', 'loopback'],
    ['the unspecified address', 'https://0.0.0.0/in', 'unspecified'],
    ['IPv6 link-local', 'https://[fe80::1]/in', 'link-local'],
  ])('refuses %s', async (_what, url, message) => {
    const error = await refused(() => checkOutboundUrl(url));
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('hooks.example.org');
  });

  it('allows plain http to a loopback host only behind the development setting', async () => {
    const dev = { allowInsecureLoopback: true };
    expect(checkOutboundUrl('http://127.0.0.1:4600/in', dev).href).toBe('http://127.0.0.1:4600/in');
    expect(checkOutboundUrl('http://localhost:4600/in', dev).host).toBe('localhost:4600');
    expect(checkOutboundUrl('http://[::1]:4600/in', dev).host).toBe('[::1]:4600');
    expect(checkOutboundUrl('https://127.0.0.1/in', dev).host).toBe('127.0.0.1');
    await refused(() => checkOutboundUrl('http://hooks.example.org/in', dev));
    await refused(() => checkOutboundUrl('http://10.0.0.1/in', dev));
    await refused(() => checkOutboundUrl('https://10.0.0.1/in', dev));
    await refused(() => checkOutboundUrl('https://169.254.169.254/in', dev));
  });

  it('never repeats a token from the path or query', async () => {
    const error = await refused(() => checkOutboundUrl('http://hooks.example.org/?token=canary'));
    expect(error.message).not.toContain('canary');
  });
});

describe('resolveTarget', () => {
  const answering =
    (...addresses: string[]): Resolver =>
    () =>
      Promise.resolve(
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const),
      );
  const url = (value: string) => checkOutboundUrl(value, { allowInsecureLoopback: true });

  it('answers the first address when every answer is public', async () => {
    await expect(
      resolveTarget(
        url('https://hooks.example.org/'),
        {},
        answering('93.184.215.14', '2606:2800::1'),
      ),
    ).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });

  it.each([
    ['a private answer', ['10.0.0.7'], 'private'],
    ['a loopback answer', ['127.0.0.1'], 'loopback'],
    ['a mapped loopback answer', ['::ffff:127.0.0.1'], 'loopback'],
    ['the metadata address', ['169.254.169.254'], 'link-local'],
    ['a public answer beside a private one', ['93.184.215.14', '192.168.0.4'], 'private'],
    ['a unique-local answer', ['fd00::5'], 'private'],
    ['no answer', [], 'no address'],
  ])('refuses a name with %s', async (_what, addresses, message) => {
    const error = await expectAmanError(
      resolveTarget(url('https://hooks.example.org/'), {}, answering(...addresses)),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).toContain(message);
  });

  it('refuses a name that does not resolve, without naming it', async () => {
    const error = await expectAmanError(
      resolveTarget(url('https://hooks.example.org/'), {}, () =>
        Promise.reject(new Error('ENOTFOUND hooks.example.org')),
      ),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toContain('hooks.example.org');
  });

  it('lets the development setting reach loopback, and plain http nothing else', async () => {
    const dev = { allowInsecureLoopback: true };
    await expect(
      resolveTarget(url('http://localhost:4600/'), dev, answering('127.0.0.1', '::1')),
    ).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(
      resolveTarget(url('https://hooks.example.org/'), dev, answering('127.0.0.1')),
    ).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    // A `localhost` that resolves elsewhere is not loopback.
    await expectAmanError(
      resolveTarget(url('http://localhost:4600/'), dev, answering('93.184.215.14')),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      resolveTarget(url('https://hooks.example.org/'), dev, answering('10.0.0.1')),
      'AMAN_ERR_VALIDATION',
    );
    // Without the setting, loopback is refused after resolution too.
    await expectAmanError(
      resolveTarget(url('https://hooks.example.org/'), {}, answering('127.0.0.1')),
      'AMAN_ERR_VALIDATION',
    );
  });
});

describe('allowInsecureLoopbackFrom', () => {
  it('is off unless set to 1 or true, and refuses anything unclear', () => {
    expect(allowInsecureLoopbackFrom(undefined)).toBe(false);
    expect(allowInsecureLoopbackFrom('')).toBe(false);
    expect(allowInsecureLoopbackFrom('0')).toBe(false);
    expect(allowInsecureLoopbackFrom('false')).toBe(false);
    expect(allowInsecureLoopbackFrom('1')).toBe(true);
    expect(allowInsecureLoopbackFrom('TRUE')).toBe(true);
    expect(() => allowInsecureLoopbackFrom('yes please')).toThrow('must be 1 or true');
  });
});
