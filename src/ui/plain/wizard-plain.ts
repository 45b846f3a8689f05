import { ExitCode, formatWhere, type ErrorReport } from '../../core/errors.js';
import { printable } from '../../core/printable.js';
import { NOT_DONE_MEANS, readiness, STEP_STATE_WORDS, type StepName } from '../../core/steps.js';
import { isPromptCancel, withPrompts, type Prompt, type Question } from '../../process/prompts.js';
import {
  advancedProblem,
  backingChoices,
  imageProblem,
  initialImage,
  installChoices,
  modeChoices,
  nameProblem,
  noBootstrapNote,
  nodeChoices,
  nodeNameProblem,
  originChoices,
  preselect,
  reviewValue,
  settingApplies,
  sizeChoices,
} from '../../wizard/choices.js';
import { equivalentCommands } from '../../wizard/commands.js';
import { WizardMachine } from '../../wizard/machine.js';
import type { WizardServices } from '../../wizard/services.js';
import type { Advanced, Choice, WizardEvent, WizardState } from '../../wizard/types.js';
import { runLines } from '../run-lines.js';

const BACK = '\u0000back';
const OTHER = '\u0000other';
type Back = typeof BACK;

const say = (line = '') => process.stderr.write(`${printable(line)}\n`);

function sayError(e: ErrorReport): void {
  const where = formatWhere(e.where);
  say(`error: ${where ? `${where}: ` : ''}${e.message}`);
  if (e.hint) say(`  hint: ${e.hint}`);
}

/**
 * The wizard as line prompts (enquirer), for serial consoles and screen readers: the same flow and
 * the same events as the full-screen UI. Every question has a way back ("← back", or `<` typed in a
 * text answer); run progress is one line per step, each naming its VM.
 */
export async function runPlain(
  services: WizardServices,
  opts: { advancedOpen: boolean; prompt?: Prompt; tap?: (e: WizardEvent) => void },
): Promise<number> {
  const m = new WizardMachine(services, { advancedOpen: opts.advancedOpen, ...(opts.tap ? { tap: opts.tap } : {}) });
  const off = m.onRun(runLines(say));
  // Ctrl-C while a run or node setup works aborts it at once, as a line tool does (the flow's
  // "ask first" is for the full-screen view, where the question can be shown in place).
  const onSigint = () => {
    m.send({ type: 'interrupt' });
    m.send({ type: 'interrupt' });
  };
  process.on('SIGINT', onSigint);
  const shown = new Set<string>();
  try {
    for (;;) {
      await m.idle();
      const s = m.get();
      if (s.error) sayError(s.error);
      if (s.notice && !shown.has(s.notice)) {
        shown.add(s.notice);
        say(s.notice);
      }
      if (s.exit !== undefined) return s.exit;
      const probe = s.answers.node ? s.probes[s.answers.node] : undefined;
      const banner = s.answers.node && probe && probe.state !== 'probing' ? bannerOf(s.answers.node, probe) : undefined;
      if (banner && !shown.has(banner)) {
        shown.add(banner);
        say(banner);
      }
      if (!services.nodes()) {
        // nothing was kept of these bytes: the first question waits for the pillar's read
        say(`reading ${services.pillarPath}…`);
        m.start();
        continue;
      }
      const event = opts.prompt ? await question(opts.prompt, s, services) : await withPrompts((p) => question(p, s, services));
      if (event) m.send(event);
    }
  } catch (err) {
    if (isPromptCancel(err)) return ExitCode.INTERRUPTED;
    throw err;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}

function bannerOf(node: string, p: NonNullable<WizardState['probes'][string]>): string {
  if (p.state === 'error') return `node ${node}: not reachable (${p.error})${p.hint ? `\n  hint: ${p.hint}` : ''}`;
  if (!p.lxcVersion) return `node ${node}: not ready (${p.missing.join('; ')})`;
  return `node ${node}: LXC ${p.lxcVersion}, stopped containers: ${p.stopped.join(', ') || 'none'}${p.missing.length ? `; not ready: ${p.missing.join('; ')}` : ''}`;
}

async function ask<T extends string>(
  prompt: Prompt,
  message: string,
  choices: Choice<T>[],
  initial: T | undefined,
  back: boolean,
): Promise<T | Back> {
  const list = [
    ...choices.map((c) => ({ name: c.value, message: c.label, ...(c.disabled ? { disabled: `(unavailable: ${c.disabled})` } : {}) })),
    ...(back ? [{ name: BACK, message: '← back' }] : []),
  ];
  const start = Math.max(
    0,
    list.findIndex((c) => c.name === initial),
  );
  const q: Question = { type: 'select', name: 'v', message, choices: list, initial: start };
  return (await prompt(q)).v as T | Back;
}

async function text(
  prompt: Prompt,
  message: string,
  check: (v: string) => string | undefined,
  o: { initial?: string; password?: boolean; back: boolean },
): Promise<string | Back> {
  const q: Question = {
    type: o.password ? 'password' : 'input',
    name: 'v',
    message: o.back ? `${message} (< to go back)` : message,
    ...(o.initial !== undefined ? { initial: o.initial } : {}),
    validate: (v: string) => (o.back && v === '<' ? true : (check(v) ?? true)),
  };
  const v = (await prompt(q)).v as string;
  return o.back && v === '<' ? BACK : v;
}

const backOr = <T>(v: T | Back, make: (v: T) => WizardEvent): WizardEvent => (v === BACK ? { type: 'back' } : make(v as T));

/** The question for the state's screen, as the event its answer makes; undefined while something runs. */
async function question(p: Prompt, s: WizardState, services: WizardServices): Promise<WizardEvent | undefined> {
  const a = s.answers;
  const probe = a.node ? s.probes[a.node] : undefined;
  const back = s.history.length > 0;
  const ctx = { existing: services.existing, bootstrap: services.bootstrap };
  switch (s.screen) {
    case 'node': {
      const picked = await ask(
        p,
        'Compute node',
        [...nodeChoices(services.nodes() ?? []), { value: OTHER, label: 'another host…' }],
        a.node,
        back,
      );
      if (picked === BACK) return { type: 'back' };
      if (picked !== OTHER) return { type: 'pick-node', node: picked };
      const typed = await text(p, 'Compute node id', (v) => nodeNameProblem(v), { back: true });
      return typed === BACK ? undefined : { type: 'pick-node', node: typed };
    }
    case 'name':
      return backOr(await text(p, 'Container name (FQDN)', nameProblem, { ...(a.name ? { initial: a.name } : {}), back }), (name) => ({
        type: 'name',
        name,
      }));
    case 'existing': {
      const ex = s.existing!;
      const act = await ask(
        p,
        `${ex.name} already exists on ${ex.vm.node} (line ${ex.vm.line})`,
        [
          { value: 'edit' as const, label: 'edit that VM' },
          { value: 'rerun' as const, label: 're-run its steps' },
          { value: 'other' as const, label: 'pick another name' },
        ],
        undefined,
        false,
      );
      return backOr(act, (action) => ({ type: 'existing', action }));
    }
    case 'foreign': {
      const act = await ask(
        p,
        `A container ${a.name} exists on ${a.node} and was not made by lxc-wizard`,
        [
          { value: 'other' as const, label: 'pick another name' },
          { value: 'adopt' as const, label: 'take it over (its bridge, MAC and IP are rewritten and it is restarted)' },
        ],
        undefined,
        false,
      );
      return backOr(act, (action) => ({ type: 'foreign', action }));
    }
    case 'prepare': {
      const prep = s.prepare!;
      for (const line of prep.missing) say(`  ! ${line}`);
      const act = await ask(
        p,
        `${prep.node} is not ready for this VM`,
        [
          { value: 'setup' as const, label: `prepare this node now (lxc-wizard node setup ${prep.node})` },
          { value: 'anyway' as const, label: "go on anyway (the run's preflight will stop at what is missing)" },
          { value: 'other-node' as const, label: 'pick another node' },
        ],
        undefined,
        back,
      );
      return backOr(act, (action) => ({ type: 'prepare', action }));
    }
    case 'setup': {
      if (s.setup!.phase !== 'failed') return undefined;
      if (s.setup!.logFile) say(`log: ${s.setup!.logFile}`);
      const act = await ask(
        p,
        'Node setup failed',
        [
          { value: 'retry' as const, label: 'retry node setup' },
          { value: 'back' as const, label: 'back (choose what to do about this node)' },
        ],
        undefined,
        false,
      );
      return { type: 'setup-failure', action: act === BACK ? 'back' : act };
    }
    case 'backing': {
      const choices = backingChoices(probe);
      const v = await ask(
        p,
        'Backing store',
        choices,
        preselect(choices, a.backing ?? (services.env === 'prod' ? 'lvm' : 'overlayfs')),
        back,
      );
      return backOr(v, (backing) => ({ type: 'backing', backing }));
    }
    case 'install': {
      const choices = installChoices(probe, a.backing);
      return backOr(await ask(p, 'Install mode', choices, preselect(choices, a.install ?? 'clone'), back), (install) => ({
        type: 'install',
        install,
      }));
    }
    case 'origin':
      return backOr(
        await ask(p, 'Origin container', originChoices(probe, services.defaults.origin), a.origin ?? services.defaults.origin, back),
        (origin) => ({ type: 'origin', origin }),
      );
    case 'image':
      return backOr(
        await text(p, 'Template image', (image) => imageProblem(image, s.probes[a.node!]), {
          initial: a.image ?? initialImage(services.defaults.image, s.probes[a.node!]),
          back,
        }),
        (image) => ({
          type: 'image',
          image,
        }),
      );
    case 'size':
      return backOr(
        await ask(p, 'Size', sizeChoices(services.defaults.sizes, services.defaults.size), a.size ?? services.defaults.size, back),
        (size) => ({ type: 'size', size }),
      );
    case 'mode': {
      const choices = modeChoices(ctx);
      if (choices.every((c) => c.value === 'none' || c.disabled)) say(noBootstrapNote());
      return backOr(await ask(p, 'Salt mode', choices, preselect(choices, a.noSalt ? 'none' : a.mode), back), (mode) => ({
        type: 'mode',
        mode,
      }));
    }
    case 'advanced':
      return advancedQuestions(p, s, services, back);
    case 'review':
      return reviewQuestion(p, s, back);
    case 'run': {
      if (s.run!.phase !== 'failed') return undefined;
      const failed = s.run!.steps.find((x) => x.state === 'failed' || x.state === 'interrupted');
      if (s.run!.logFile) say(`log: ${s.run!.logFile}`);
      const act = await ask(
        p,
        `${failed?.name ?? 'the run'} ${failed?.state ?? 'failed'}`,
        [
          { value: 'retry' as const, label: `retry from ${failed?.name ?? 'the start'}` },
          {
            value: 'skip' as const,
            label: `skip ${failed?.name} and go on`,
            ...(failed?.name === 'preflight' ? { disabled: 'nothing can run without preflight' } : {}),
          },
          { value: 'abort' as const, label: 'abort (the entry stays in the pillar; a re-run resumes here)' },
        ],
        undefined,
        false,
      );
      return { type: 'failure', action: act === BACK ? 'abort' : act };
    }
    case 'result':
      printResult(s, services);
      return { type: 'finish' };
  }
}

async function advancedQuestions(p: Prompt, s: WizardState, services: WizardServices, back: boolean): Promise<WizardEvent | undefined> {
  const a = s.answers;
  const open = await ask(
    p,
    'Advanced options (IP, MAC, password, branch, snapshot, autostart)',
    [
      { value: 'keep' as const, label: s.editing ? "keep the entry's values" : 'keep the defaults' },
      { value: 'set' as const, label: 'set them' },
    ],
    a.advancedOpen ? 'set' : 'keep',
    back,
  );
  if (open === BACK) return { type: 'back' };
  if ((open === 'set') !== a.advancedOpen) services.rememberAdvanced(open === 'set');
  // keep: what the answers hold (nothing for a new VM; the entry's values when editing one)
  if (open === 'keep') return { type: 'advanced', advanced: a.advanced };
  const adv: Advanced = {};
  const field = async (label: string, key: 'ip' | 'mac' | 'password' | 'branch', password = false) => {
    const v = await text(p, label, (x) => (x ? advancedProblem({ [key]: x }) : undefined), {
      ...(a.advanced[key] && !password ? { initial: a.advanced[key] } : {}),
      password,
      back: false,
    });
    if (v && v !== BACK) adv[key] = v;
  };
  await field(`IP (empty: ${(a.node && a.name ? services.ipOnWrite(a.node, a.name) : undefined) ?? 'allocated'})`, 'ip');
  await field('MAC (empty: generated)', 'mac');
  await field('Password (empty: generated)', 'password', true);
  await field(`Bootsalt branch (empty: ${services.defaults.branch})`, 'branch');
  const yn = async (label: string) => {
    const v = await ask(
      p,
      label,
      [
        { value: 'default' as const, label: 'the default' },
        { value: 'yes' as const, label: 'yes' },
        { value: 'no' as const, label: 'no' },
      ],
      'default',
      false,
    );
    return v === 'yes' ? true : v === 'no' ? false : undefined;
  };
  const snapshot = await yn('Snapshot clone');
  if (snapshot !== undefined) adv.snapshot = snapshot;
  const autostart = await yn('Autostart');
  if (autostart !== undefined) adv.autostart = autostart;
  return { type: 'advanced', advanced: adv };
}

async function reviewQuestion(pr: Prompt, s: WizardState, back: boolean): Promise<WizardEvent | undefined> {
  const p = s.preview;
  if (!p) return undefined;
  say();
  say(`profile ${p.profile}${s.answers.noSalt ? '  (no salt: the bootstrap and the highstate are skipped)' : ''}`);
  for (const [k, v] of Object.entries(p.settings))
    if (settingApplies(k, p.settings.profile_type, s.answers.noSalt)) say(`  ${k}: ${reviewValue(v)}`);
  const unchanged = p.diff.trim() === '';
  if (unchanged) say('no change to the pillar');
  for (const w of p.warnings) say(`warning: ${w}`);
  for (const e of p.errors) say(`error: ${e}`);
  say();
  say(p.diff);
  const blocked = p.errors.length ? { disabled: 'fix the errors first' } : {};
  const act = await ask(
    pr,
    'Write the entry?',
    [
      { value: 'run' as const, label: unchanged ? 'run (nothing to write)' : 'write and run', ...blocked },
      { value: 'write' as const, label: 'write only', ...(p.errors.length ? blocked : unchanged ? { disabled: 'nothing to write' } : {}) },
      { value: 'cancel' as const, label: 'cancel (nothing is written)' },
    ],
    p.errors.length ? 'cancel' : 'run',
    back,
  );
  return backOr(act, (action) => ({ type: 'review', action }));
}

/** The result as the full-screen view tells it: ready only when every step ran or was in place. */
function printResult(s: WizardState, services: WizardServices): void {
  const a = s.answers;
  const st = services.settings(a.node!, a.name!);
  const { ready, notDone } = readiness(s.run?.steps ?? []);
  if (ready) process.stdout.write(`${a.name} is ready on ${a.node}\n`);
  else {
    process.stdout.write(`${a.name} is provisioned on ${a.node} with ${notDone.length} step${notDone.length === 1 ? '' : 's'} not done\n`);
    for (const x of notDone) {
      const means = NOT_DONE_MEANS[x.name as StepName];
      process.stdout.write(`  ${x.name}: ${STEP_STATE_WORDS[x.state]}${x.reason ? ` (${x.reason})` : ''}${means ? `: ${means}` : ''}\n`);
    }
  }
  process.stdout.write(
    `ip ${String(st.ip)}, mac ${String(st.mac)}, gateway ${String(st.gateway)}, ssh port ${String(st.ssh_reverse_proxy_port)}\n` +
      `password: lxc-wizard settings ${a.node} ${a.name} --pillar ${services.pillarPath} --show-secrets\n`,
  );
  for (const w of services.waysIn(a.node!, a.name!).lines) process.stdout.write(`way in: ${w}\n`);
  process.stdout.write('the same, without the wizard:\n');
  for (const c of equivalentCommands(s, services)) process.stdout.write(`  ${c.line}\n${c.note ? `  ${c.note}\n` : ''}`);
}
