import { readFileSync } from 'node:fs';
import enquirer from 'enquirer';
import { passphraseOpens } from '../engine/ssh-keys.js';

type Prompt = (q: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Ask (masked) for each key's passphrase until it opens the key; an empty answer skips the key. */
export async function askPassphrases(files: string[], into: Map<string, string>): Promise<void> {
  process.stdin.ref(); // see ecosystem.md §2: an unref'd stdin ends the process mid-prompt
  const prompt = (enquirer as unknown as { prompt: Prompt }).prompt;
  try {
    for (const file of files) {
      const key = readFileSync(file);
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
  } finally {
    // Done with the keyboard: the UI reads the terminal through a stream of its own (see runWizard).
    process.stdin.pause();
    process.stdin.unref();
  }
}
