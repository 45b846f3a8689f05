import { createPublicKey } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';
import { controllerSide } from './controller-side.js';

describe("the controller's side of a VM's salt bootstrap", () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  beforeEach(async () => (s = await scratch()));
  afterEach(() => s.cleanup());

  it('makes an RSA minion keypair, accepts its public half on the master, and drops the private half once delivered', async () => {
    const pki = join(s.dir, 'pki');
    await mkdir(join(pki, 'minions'), { recursive: true });
    const c = controllerSide({ masterPki: pki, storeDir: join(s.dir, 'store'), env: { PATH: '/nonexistent' } });
    expect(await c.keyAccepted('web.example.com', 'mastersalt')).toBe(false);
    expect(await c.minionKeys('web.example.com', 'mastersalt', true)).toEqual({ pem: '(a new minion key)', pub: '(its public half)' });
    expect(await c.keyAccepted('web.example.com', 'mastersalt')).toBe(false);
    const k = (await c.minionKeys('web.example.com', 'mastersalt', false))!;
    expect(k.pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(k.pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPublicKey(k.pem).export({ type: 'spki', format: 'pem' })).toBe(k.pub);
    expect(await readFile(join(pki, 'minions', 'web.example.com'), 'utf8')).toBe(k.pub);
    expect(await c.keyAccepted('web.example.com', 'salt')).toBe(true);
    const pemFile = join(s.dir, 'store/lxc-wizard/minion-keys/web.example.com/minion.pem');
    expect((await stat(pemFile)).mode & 0o777).toBe(0o600);
    // asked again: the same pair, not a new one
    expect(await c.minionKeys('web.example.com', 'mastersalt', false)).toEqual(k);
    await c.keysDelivered('web.example.com');
    await expect(stat(pemFile)).rejects.toThrow();
    expect(await c.keyAccepted('web.example.com', 'mastersalt')).toBe(true);
  });

  it('a pair made ahead is written and accepted only when asked for, and used once', async () => {
    const pki = join(s.dir, 'pki');
    await mkdir(join(pki, 'minions'), { recursive: true });
    const c = controllerSide({ masterPki: pki, storeDir: join(s.dir, 'store'), env: {} });
    c.prepareMinionKey('a.example.com');
    c.prepareMinionKey('a.example.com'); // asked twice: still one pair
    await new Promise((r) => setTimeout(r, 50));
    expect(await c.keyAccepted('a.example.com', 'mastersalt')).toBe(false);
    await expect(stat(join(s.dir, 'store'))).rejects.toThrow();
    const k = (await c.minionKeys('a.example.com', 'mastersalt', false))!;
    expect(createPublicKey(k.pem).export({ type: 'spki', format: 'pem' })).toBe(k.pub);
    expect(await readFile(join(pki, 'minions', 'a.example.com'), 'utf8')).toBe(k.pub);
    // another VM never gets that pair
    const other = (await c.minionKeys('b.example.com', 'mastersalt', false))!;
    expect(other.pub).not.toBe(k.pub);
  });

  it('says what to do when there is no salt master pki, and refuses a name that would leave the directory', async () => {
    const c = controllerSide({ masterPki: join(s.dir, 'nopki'), storeDir: join(s.dir, 'store'), env: {} });
    await expect(c.minionKeys('web.example.com', 'mastersalt', false)).rejects.toThrow(/there is no salt master pki at .*nopki/);
    await expect(c.keyAccepted('../../etc/passwd', 'mastersalt')).rejects.toThrow(/refusing the path component/);
    expect(await c.saltCommand('mastersalt')).toBeUndefined();
  });
});
