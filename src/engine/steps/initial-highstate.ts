import { inVm, readInVm, type Step } from './context.js';
import { REMOTE_SCRIPT, uploadBootstrap } from './salt.js';

export const HIGHSTATE_MARKER = '/etc/makina-states/initial_highstate';

/** boot-salt.sh --initial-highstate, once: the conf file holding 1 says it was done. */
export const initialHighstate: Step = {
  name: 'initial_highstate',
  title: 'initial_highstate',
  async check(ctx) {
    if (ctx.opts.noSalt) return 'skipped: --no-salt';
    return (await readInVm(ctx, HIGHSTATE_MARKER))?.trim() === '1';
  },
  async apply(ctx) {
    if ((await readInVm(ctx, REMOTE_SCRIPT)) === undefined || ctx.opts.dryRun) await uploadBootstrap(ctx);
    ctx.progress('boot-salt.sh --initial-highstate');
    await inVm(ctx, [REMOTE_SCRIPT, '--initial-highstate'], { what: 'the initial highstate (boot-salt.sh --initial-highstate)', timeoutS: 5 * 3600, hint: 'the log file has the highstate output' });
    await ctx.session.writeFile(HIGHSTATE_MARKER, '1\n', { vm: ctx.vm, mode: '0644', signal: ctx.signal });
  },
};
