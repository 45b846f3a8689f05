import enquirer from 'enquirer';
import { profileTypeFor, type Backing, type InstallMode } from '../../core/profile-types.js';
import type { RunEvent } from '../../core/run-events.js';
import {
  advance,
  advancedProblem,
  backingChoices,
  entryOf,
  initialState,
  installChoices,
  modeChoices,
  nameProblem,
  nodeNameProblem,
  originChoices,
  preselect,
  sizeChoices,
} from '../../wizard/machine.js';
import type { WizardServices } from '../../wizard/services.js';
import type { Answers, Choice, NodeProbe } from '../../wizard/types.js';

type Prompt = (q: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * The wizard's questions as line prompts (enquirer), for serial consoles and screen readers. Same
 * state machine, same services; Esc cancels (nothing is written before the review is accepted).
 */
export async function runPlain(services: WizardServices, opts: { advancedOpen: boolean }): Promise<number> {
  // After anything that unref'd stdin, a prompt would let Node exit mid-question (ecosystem.md §2).
  process.stdin.ref();
  const prompt = (enquirer as unknown as { prompt: Prompt }).prompt;
  const ask = async <T extends string>(message: string, choices: Choice<T>[], initial?: T): Promise<T> => {
    const list = choices.map((c) => ({ name: c.value, message: c.label, ...(c.disabled ? { disabled: c.disabled } : {}) }));
    const start = Math.max(
      0,
      list.findIndex((c) => c.name === initial),
    );
    return (await prompt({ type: 'select', name: 'v', message, choices: list, initial: start })).v as T;
  };
  const text = async (message: string, check: (v: string) => string | undefined, initial?: string, password = false) =>
    (await prompt({ type: password ? 'password' : 'input', name: 'v', message, initial, validate: (v: string) => check(v) ?? true }))
      .v as string;
  try {
    // The screen order (and that size is asked for LVM only) is the state machine's, not ours.
    let state = initialState({ mode: services.defaults.mode, advancedOpen: opts.advancedOpen });
    let probe: NodeProbe | undefined;
    while (state.screen !== 'review') {
      const a = state.answers;
      switch (state.screen) {
        case 'node': {
          const picked = await ask('Compute node', [
            ...services.nodes().map((n) => ({ value: n.name, label: `${n.name} (${n.vmCount} VMs)` })),
            { value: '\0other', label: 'another host…' },
          ]);
          const node = picked === '\0other' ? await text('Compute node id', (v) => nodeNameProblem(v)) : picked;
          probe = await services
            .probe(node)
            .catch((e: Error) => ({ state: 'error' as const, error: e.message, stopped: [], volumeGroups: [] }));
          process.stderr.write(
            probe.state === 'ok'
              ? `node ${node}: LXC ${probe.lxcVersion}, stopped containers: ${probe.stopped.join(', ') || 'none'}\n`
              : `node ${node}: not reachable (${probe.error})\n`,
          );
          state = advance(state, { node });
          break;
        }
        case 'name': {
          const name = await text('Container name (FQDN)', (v) => nameProblem(v));
          const existing = services.existing(name);
          if (!existing) {
            state = advance(state, { name });
            break;
          }
          const act = await ask(`${name} already exists on ${existing.node}`, [
            { value: 'other', label: 'pick another name' },
            { value: 'rerun', label: 're-run its steps' },
          ]);
          if (act === 'rerun') return await runAndReport(services, existing.node, name);
          break;
        }
        case 'backing': {
          const choices = backingChoices(probe);
          state = advance(state, {
            backing: await ask('Backing store', choices, preselect(choices, services.env === 'prod' ? 'lvm' : 'overlayfs')),
          });
          break;
        }
        case 'install': {
          const choices = installChoices(probe, a.backing);
          const install = await ask('Install mode', choices, preselect(choices, 'clone'));
          if (install === 'clone')
            state = advance(state, {
              install,
              origin: await ask(
                'Origin container',
                originChoices(probe, services.defaults.origin).map((o) => ({ value: o, label: o })),
                services.defaults.origin,
              ),
            });
          else
            state = advance(state, {
              install,
              image: await text(
                'Template image',
                (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'a template name such as ubuntu'),
                services.defaults.image,
              ),
            });
          break;
        }
        case 'size':
          state = advance(state, { size: await ask('Size', sizeChoices(), 'medium') });
          break;
        case 'mode':
          state = advance(state, { mode: await ask('Salt mode', modeChoices(), a.mode) });
          break;
        case 'advanced': {
          const open = (
            await prompt({
              type: 'confirm',
              name: 'v',
              message: 'Advanced options (IP, MAC, password, branch, snapshot, autostart)?',
              initial: opts.advancedOpen,
            })
          ).v as boolean;
          services.rememberAdvanced(open);
          const advanced: Answers['advanced'] = {};
          if (open) {
            const next = services.nextFreeIp(a.node!);
            advanced.ip =
              (await text(`IP (empty: ${next ?? 'allocated'})`, (v) => (v ? advancedProblem({ ip: v }) : undefined))) || undefined;
            advanced.mac = (await text('MAC (empty: generated)', (v) => (v ? advancedProblem({ mac: v }) : undefined))) || undefined;
            advanced.password =
              (await text('Password (empty: generated)', (v) => (v ? advancedProblem({ password: v }) : undefined), undefined, true)) ||
              undefined;
            advanced.branch =
              (await text(`Bootsalt branch (empty: ${services.defaults.branch})`, (v) =>
                v ? advancedProblem({ branch: v }) : undefined,
              )) || undefined;
          }
          state = advance(state, { advancedOpen: open, advanced });
          break;
        }
        default:
          throw new Error(`the plain wizard has no question for screen ${state.screen}`);
      }
    }
    const a = state.answers as Answers & { node: string; name: string; backing: Backing; install: InstallMode };
    const entry = entryOf(a, services.defaults);
    const preview = services.preview(a.node, a.name, entry);
    process.stderr.write(
      `\nprofile ${preview.profile}\n${Object.entries(preview.settings)
        .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
        .join('\n')}\n`,
    );
    for (const w of preview.warnings) process.stderr.write(`warning: ${w}\n`);
    for (const e of preview.errors) process.stderr.write(`error: ${e}\n`);
    process.stderr.write(`\n${preview.diff}\n`);
    const action = await ask('Write the entry?', [
      { value: 'run', label: 'write and run', ...(preview.errors.length ? { disabled: 'fix the errors first' } : {}) },
      { value: 'write', label: 'write only', ...(preview.errors.length ? { disabled: 'fix the errors first' } : {}) },
      { value: 'cancel', label: 'cancel (nothing is written)' },
    ]);
    if (action === 'cancel') return 130;
    await services.write(a.node, a.name, entry);
    process.stderr.write(`wrote ${a.name} to ${services.pillarPath} (profile ${profileTypeFor(a.backing, a.install)})\n`);
    if (action === 'write') return 0;
    return await runAndReport(services, a.node, a.name);
  } catch (err) {
    // enquirer rejects with an empty string on Esc / Ctrl-C
    if (err === '' || (err as Error)?.message === '') return 130;
    throw err;
  } finally {
    // Let go of the terminal: a ref'd stdin would keep the process alive after the last question.
    process.stdin.pause();
    process.stdin.unref();
  }
}

async function runAndReport(services: WizardServices, node: string, vm: string): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const print = (e: RunEvent) => {
    if (e.type === 'step' && e.state !== 'running')
      process.stderr.write(
        `${e.state.padEnd(11)} ${e.step}${e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(1)}s)` : ''}${e.error ? `: ${e.error}` : ''}${e.hint ? `\n  hint: ${e.hint}` : ''}\n`,
      );
  };
  try {
    const r = await services.run(node, vm, print, abort.signal, {});
    if (!r.ok) {
      process.stderr.write(`log: ${r.logFile}\n`);
      return abort.signal.aborted ? 130 : 1;
    }
    const s = services.settings(node, vm);
    process.stdout.write(
      `${vm} is ready on ${node}: ip ${String(s.ip)}, mac ${String(s.mac)}, gateway ${String(s.gateway)}, ssh port ${String(s.ssh_reverse_proxy_port)}\n` +
        `password: lxc-wizard settings ${node} ${vm} --pillar ${services.pillarPath} --show-secrets\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
