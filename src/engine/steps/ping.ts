import { StepError, type Step } from './step.js';

/** The original's post-provision ping: the new minion answers through the controller's master. */
export const ping: Step = {
  name: 'ping',
  async check(ctx) {
    if (ctx.opts.noSalt) return '--no-salt';
    const cmd = ctx.v.mode === 'mastersalt' ? 'mastersalt' : 'salt';
    if (!ctx.opts.controller || !(await ctx.opts.controller.saltCommand(ctx.v.mode))) return `no ${cmd} command on this controller`;
    return false;
  },
  async apply(ctx) {
    if (ctx.dryRun) return;
    const cmd = ctx.v.mode === 'mastersalt' ? 'mastersalt' : 'salt';
    const r = await ctx.opts.controller!.ping(ctx.vm, ctx.v.mode, ctx.signal);
    if (!r.ok)
      throw new StepError(
        `${ctx.vm} did not answer \`${cmd} ${ctx.vm} test.ping\`: ${r.output.trim().split('\n').at(-1) ?? ''}`,
        `check that its minion runs and that ${cmd}-key -L lists it as accepted`,
      );
    ctx.progress(`${cmd} ${ctx.vm} test.ping: True`);
  },
  async verify() {},
};
