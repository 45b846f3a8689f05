import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';
import { keyPair } from '../../test/helpers/ssh-server.js';
import { isEncryptedKey, passphraseOpens } from './ssh-keys.js';

describe('private key files', () => {
  const dir = scratch();
  afterAll(async () => (await dir).cleanup());
  it('tells an encrypted key from a plain one by its bytes, and checks a passphrase', async () => {
    const k = keyPair();
    const keyFile = join((await dir).dir, 'enc');
    execFileSync('sh', [
      '-c',
      `printf '%s' "$1" > "$2" && chmod 600 "$2" && ssh-keygen -q -p -P '' -N 'open sesame' -f "$2"`,
      'sh',
      k.private,
      keyFile,
    ]);
    expect(isEncryptedKey(await readFile(keyFile, 'utf8'))).toBe(true);
    expect(isEncryptedKey(k.private)).toBe(false);
    expect(await passphraseOpens(await readFile(keyFile), 'wrong')).toBe(false);
    expect(await passphraseOpens(await readFile(keyFile), 'open sesame')).toBe(true);
  });
});
