import { readInVm, StepError, type Step, type StepContext } from './step.js';

/** The key lines added to an authorized_keys text, once each, the rest kept as it was. */
export function mergedKeys(current: string, keys: string[]): string {
  const have = new Set(
    current
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const add = keys.filter((k) => !have.has(k.trim()));
  if (!add.length) return current;
  return (current && !current.endsWith('\n') ? current + '\n' : current) + add.join('\n') + '\n';
}

/** The controller's public keys in root's authorized_keys, once each, with the modes sshd wants. */
export const sshkeys: Step = {
  name: 'sshkeys',
  async check(ctx: StepContext) {
    if (!ctx.opts.sshPublicKeys.length) return 'no public keys to install (see --ssh-pubkey)';
    const current = (await readInVm(ctx, '/root/.ssh/authorized_keys')) ?? '';
    return mergedKeys(current, ctx.opts.sshPublicKeys) === current;
  },
  async apply(ctx) {
    if (!ctx.opts.sshPublicKeys.length)
      throw new StepError('no public keys to install', 'pass --ssh-pubkey FILE or put a key in ~/.ssh/*.pub');
    const current = (await readInVm(ctx, '/root/.ssh/authorized_keys')) ?? '';
    await ctx.session.writeFile('/root/.ssh/authorized_keys', mergedKeys(current, ctx.opts.sshPublicKeys), {
      vm: ctx.vm,
      mode: '0600',
      dirMode: '0700',
      signal: ctx.signal,
    });
  },
};
