import enquirer from 'enquirer';

/**
 * The line-prompt library (enquirer), in one place: --plain, key passphrases and confirmations.
 * It never runs while Ink is mounted. stdin is ref'd for the prompt (an unref'd stdin lets Node
 * exit mid-question: ecosystem.md §8.7) and released afterwards, so the process can end.
 */
export interface Question {
  type: string;
  name: string;
  message: string;
  [option: string]: unknown;
}
export type Prompt = (q: Question) => Promise<Record<string, unknown>>;

/** enquirer's own types list every prompt kind; our questions are plain option records. */
const ask: Prompt = (q) => enquirer.prompt(q as Parameters<typeof enquirer.prompt>[0]);

export async function withPrompts<T>(fn: (prompt: Prompt) => Promise<T>): Promise<T> {
  process.stdin.ref();
  try {
    return await fn(ask);
  } finally {
    process.stdin.pause();
    process.stdin.unref();
  }
}

/** enquirer rejects with an empty string (or an empty Error) on Esc and Ctrl-C. */
export function isPromptCancel(err: unknown): boolean {
  return err === '' || (err instanceof Error && err.message === '');
}

export async function confirm(question: string): Promise<boolean> {
  return withPrompts(async (prompt) => {
    try {
      return (await prompt({ type: 'confirm', name: 'v', message: question, initial: false })).v === true;
    } catch (err) {
      if (isPromptCancel(err)) return false;
      throw err;
    }
  });
}
