import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint, verifyHostKey } from './known-hosts.js';
import { resolveSshTarget } from './ssh-options.js';
import { scratch } from '../../test/helpers/pillar.js';

/** A syntactically valid ssh-ed25519 key blob. */
function blob(seed: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const b = Buffer.alloc(4 + type.length + 4 + 32);
  b.writeUInt32BE(type.length, 0);
  type.copy(b, 4);
  b.writeUInt32BE(32, 4 + type.length);
  key.copy(b, 8 + type.length);
  return b;
}
const line = (host: string, b: Buffer) => `${host} ssh-ed25519 ${b.toString('base64')}\n`;

let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => (s = await scratch()));
afterEach(() => s.cleanup());

describe('host key verification', () => {
  it('accepts known keys in plain, pattern, [host]:port and hashed entries', async () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64')}`;
    const kh = await s.file(
      'known_hosts',
      line('cn1,cn1.example.net', blob(1)) + line('*.lab', blob(2)) + line('[cn3]:2222', blob(3)) + line(hashed, blob(4)),
    );
    const v = (host: string, port: number, b: Buffer) =>
      verifyHostKey({ host, port, blob: b, files: [kh], policy: 'strict', writeTo: join(s.dir, 'ours') });
    expect(await v('cn1.example.net', 22, blob(1))).toEqual({ ok: true, how: 'known' });
    expect(await v('x.lab', 22, blob(2))).toEqual({ ok: true, how: 'known' });
    expect(await v('cn3', 2222, blob(3))).toEqual({ ok: true, how: 'known' });
    expect(await v('10.0.0.9', 2222, blob(4))).toEqual({ ok: true, how: 'known' });
    expect((await v('cn3', 22, blob(3))).ok).toBe(false);
  });
  it('refuses a changed key with both fingerprints, whatever the policy', async () => {
    const kh = await s.file('known_hosts', line('cn1', blob(1)));
    for (const policy of ['strict', 'accept-new'] as const) {
      const r = await verifyHostKey({ host: 'cn1', port: 22, blob: blob(9), files: [kh], policy, writeTo: join(s.dir, 'ours') });
      expect(r).toMatchObject({ ok: false, reason: 'changed' });
      if (!r.ok) {
        expect(r.message).toContain(fingerprint(blob(1)));
        expect(r.message).toContain(fingerprint(blob(9)));
        expect(r.hint).toContain('ssh-keygen -R');
      }
    }
  });
  it('refuses an unknown key when strict, and trusts it on first use with accept-new', async () => {
    const ours = join(s.dir, 'state', 'known_hosts');
    const strict = await verifyHostKey({ host: 'new', port: 2200, blob: blob(5), files: [ours], policy: 'strict', writeTo: ours });
    expect(strict).toMatchObject({ ok: false, reason: 'unknown' });
    if (!strict.ok) expect(strict.message).toContain(fingerprint(blob(5)));
    expect(await verifyHostKey({ host: 'new', port: 2200, blob: blob(5), files: [ours], policy: 'accept-new', writeTo: ours })).toEqual({
      ok: true,
      how: 'added',
    });
    expect(await readFile(ours, 'utf8')).toBe(line('[new]:2200', blob(5)));
    expect(await verifyHostKey({ host: 'new', port: 2200, blob: blob(5), files: [ours], policy: 'strict', writeTo: ours })).toEqual({
      ok: true,
      how: 'known',
    });
  });
  it('refuses a @revoked key', async () => {
    const kh = await s.file('known_hosts', `@revoked ${line('cn1', blob(1))}`);
    expect(await verifyHostKey({ host: 'cn1', port: 22, blob: blob(1), files: [kh], policy: 'accept-new', writeTo: kh })).toMatchObject({
      ok: false,
      reason: 'revoked',
    });
  });
  it('matches fingerprints OpenSSH prints', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});

describe('OpenSSH client configuration', () => {
  it('resolves Host aliases, HostName, Port, User, IdentityFile, UserKnownHostsFile and StrictHostKeyChecking', async () => {
    const cfg = await s.file(
      'config',
      'Host cn1\n  HostName 127.0.0.1\n  Port 2222\n  User lxcw\n  IdentityFile ~/.ssh/lab_key\n  UserKnownHostsFile ~/lab_known\n  StrictHostKeyChecking accept-new\nHost *\n  User admin\n',
    );
    expect(resolveSshTarget('cn1', { configFile: cfg, stateKnownHosts: '/state/kh', home: '/home/op' })).toEqual({
      node: 'cn1',
      host: '127.0.0.1',
      port: 2222,
      user: 'lxcw',
      identityFiles: ['/home/op/.ssh/lab_key'],
      knownHostsFiles: ['/home/op/lab_known', '/state/kh'],
      policy: 'accept-new',
    });
    const other = resolveSshTarget('cn2.example.net', { configFile: cfg, stateKnownHosts: '/state/kh', home: '/home/op' });
    expect(other).toMatchObject({
      host: 'cn2.example.net',
      port: 22,
      user: 'admin',
      policy: 'strict',
      knownHostsFiles: ['/home/op/.ssh/known_hosts', '/state/kh'],
    });
  });
  it('reads StrictHostKeyChecking no as accept-new, never as off; the flag wins over the file', async () => {
    const cfg = await s.file('config', 'Host *\n  StrictHostKeyChecking no\n');
    expect(resolveSshTarget('x', { configFile: cfg, stateKnownHosts: 'k' }).policy).toBe('accept-new');
    expect(resolveSshTarget('x', { configFile: cfg, stateKnownHosts: 'k', policy: 'strict' }).policy).toBe('strict');
    await writeFile(cfg, '');
    expect(resolveSshTarget('x', { configFile: cfg, stateKnownHosts: 'k' }).user).toBe('root');
  });
});
