import { KINDS, readLocalFileSync } from '../engine/local-files.js';
import { withPrompts } from '../process/prompts.js';
import { passphraseOpens } from './ssh-keys.js';

/**
 * Ask (masked) for each key's passphrase until it opens the key; an empty answer skips the key.
 * Runs before Ink mounts: two readers of the keyboard never work together.
 */
export async function askPassphrases(files: string[], into: Map<string, string>): Promise<void> {
  await withPrompts(async (prompt) => {
    for (const file of files) {
      const key = readLocalFileSync(file, KINDS.privateKey);
      // One prompt per key: a wrong passphrase is asked again in place, through validate.
      const answer = await prompt({
        type: 'password',
        name: 'v',
        message: `Passphrase for ${file} (no ssh-agent holds it; empty to skip)`,
        validate: async (v: string) => (!v || (await passphraseOpens(key, v)) ? true : 'wrong passphrase, try again'),
      });
      const pass = answer.v as string;
      if (pass) into.set(file, pass);
    }
  });
}
