import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';
import { keyPair } from '../../test/helpers/ssh-server.js';
import { encryptedKeys, mayAskPassphrases, type ReachOptions } from './node-access.js';

let s: Awaited<ReturnType<typeof scratch>>;
let reach: ReachOptions;
beforeEach(async () => {
  s = await scratch();
  reach = { home: join(s.dir, 'home'), stateHome: join(s.dir, 'state') };
  await mkdir(join(reach.home, '.ssh'), { recursive: true });
});
afterEach(() => s.cleanup());

/** a private key file, encrypted with a passphrase or not */
async function key(name: string, encrypted: boolean): Promise<string> {
  const file = join(reach.home, '.ssh', name);
  await writeFile(file, keyPair().private, { mode: 0o600 });
  if (encrypted) execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'open sesame', '-f', file]);
  return file;
}
const config = (text: string) => writeFile(join(reach.home, '.ssh', 'config'), text);

describe('whether the wizard may have a passphrase to ask before its first frame', () => {
  it('not with plain keys only, nor with an agent', async () => {
    await key('id_ed25519', false);
    await key('lab_key', false);
    await config('Host cn1\n  IdentityFile ~/.ssh/lab_key\n');
    expect(mayAskPassphrases(reach)).toBe(false);
    await key('id_rsa', true);
    expect(mayAskPassphrases({ ...reach, agent: '/run/agent.sock' })).toBe(false);
  });

  it('an encrypted key any Host or Match block names, or an encrypted default key: yes (whichever nodes the pillar holds)', async () => {
    await key('id_ed25519', false);
    const lab = await key('lab_key', true);
    await config('Host *.example.net\n  User root\nMatch host cn9\n  IdentityFile ~/.ssh/lab_key\n');
    expect(mayAskPassphrases(reach)).toBe(true);
    // the nodes decide what is asked: only the one whose block names the key
    expect(encryptedKeys(reach, ['cn9'])).toEqual([lab]);
    expect(encryptedKeys(reach, ['cn1.example.net', 'localhost'])).toEqual([]);
    await config('');
    expect(mayAskPassphrases(reach)).toBe(false);
    const rsa = await key('id_rsa', true);
    expect(mayAskPassphrases(reach)).toBe(true);
    expect(encryptedKeys(reach, ['cn1.example.net'])).toEqual([rsa]);
  });
});
