import type { Mode } from '../core/defaults.js';
import type { EntryChoices } from '../core/entry.js';
import type { ErrorReport, ExitCode } from '../core/errors.js';
import type { Backing, InstallMode } from '../core/profile-types.js';
import type { StepRecord } from '../core/run-events.js';
import type { StepName } from '../core/steps.js';

/**
 * Every screen of the wizard. `prepare` offers node setup for a node that is not ready, `setup`
 * runs it; `existing` is the choice for a name the pillar already has; `foreign` for a name the
 * node has a container of that lxc-wizard did not make (take it over, or another name).
 */
export type ScreenId =
  | 'node'
  | 'prepare'
  | 'setup'
  | 'name'
  | 'existing'
  | 'foreign'
  | 'backing'
  | 'install'
  | 'origin'
  | 'image'
  | 'size'
  | 'mode'
  | 'advanced'
  | 'review'
  | 'run'
  | 'result';

/** A compute node the operator can pick: from the pillar (targets, saltify) or localhost. */
export interface NodeChoice {
  name: string;
  vmCount: number;
}

/** What reaching a node in the background found: helps choose backing and origin. */
export interface NodeProbe {
  state: 'probing' | 'ok' | 'error';
  error?: string;
  /** what to try, when it could not be reached */
  hint?: string;
  lxcVersion?: string;
  freeKb?: number;
  /** stopped containers: possible origins for a clone */
  stopped: string[];
  volumeGroups: string[];
  /** what node setup would make: no LXC, no bridge (empty: the node is ready) */
  missing: string[];
  /** stopped containers that are VMs lxc-wizard made (listed last as origins: a clone copies a VM's identity) */
  vms?: string[];
  /** the LXC templates the node has (lxc-create -t), when the probe listed them */
  templates?: string[];
  /** containers on the node that lxc-wizard did not make: a VM of such a name is refused unless adopted */
  foreign?: string[];
}

/** The advanced options: the entry choices of that screen, as add's flags name them. */
export type Advanced = Pick<EntryChoices, 'ip' | 'mac' | 'password' | 'branch' | 'snapshot' | 'autostart'>;

export interface Answers {
  node?: string;
  name?: string;
  backing?: Backing;
  install?: InstallMode;
  origin?: string;
  image?: string;
  size?: string;
  mode: Mode;
  /** "no salt" on the salt-mode screen (or --no-salt): the run skips the bootstrap and highstate */
  noSalt: boolean;
  /** the operator chose to take over the node's container of this name (the run's --adopt) */
  adopt?: boolean;
  advancedOpen: boolean;
  advanced: Advanced;
}

export interface Choice<T extends string = string> {
  value: T;
  label: string;
  /** why the node cannot serve it; a disabled choice cannot be picked */
  disabled?: string;
}

/** A step as the wizard last saw it: kept across retries and skips. */
export type StepOutcome = StepRecord;

export interface RunState {
  phase: 'running' | 'failed' | 'finished' | 'interrupted';
  /** the step this attempt started from (undefined: from the start) */
  from?: StepName;
  steps: StepOutcome[];
  logFile?: string;
  /** Ctrl-C once during a step: the next one aborts */
  confirmAbort: boolean;
}

export interface SetupState {
  node: string;
  phase: 'running' | 'failed' | 'done';
  /** the origins the setup was asked to make */
  origins: string[];
  steps: StepOutcome[];
  logFile?: string;
  confirmAbort: boolean;
}

export interface PrepareState {
  node: string;
  missing: string[];
  /** where the operator was: the flow continues there once the node is ready */
  resume: ScreenId;
  origins: string[];
  /** what "go on anyway" declines: the node, or `node:origin` */
  decline: string;
}

/** The whole wizard: what is shown, what was answered, what the world said. */
export interface WizardState {
  screen: ScreenId;
  /** screens visited, for back */
  history: ScreenId[];
  answers: Answers;
  probes: Record<string, NodeProbe>;
  /** nodes the operator chose to go on with although they are not ready */
  declined: string[];
  existing?: { name: string; vm: ExistingVm };
  /** an existing entry is being edited: written with --update semantics */
  editing: boolean;
  preview?: Preview;
  prepare?: PrepareState;
  setup?: SetupState;
  run?: RunState;
  /** an error to show (with its hint and where), until the next event */
  error?: ErrorReport;
  /** a line to show (what was written…) */
  notice?: string;
  /** set when the wizard ends, with the exit status */
  exit?: ExitCode;
}

/** Read-only facts the flow decides with; pure lookups, no I/O. */
export interface FlowContext {
  existing(name: string): ExistingVm | undefined;
  /** the bootstrap script a run would use in this mode, or undefined (none on this controller) */
  bootstrap(mode: Mode): string | undefined;
}

export type FailureAction = 'retry' | 'skip' | 'abort';
export type ExistingAction = 'edit' | 'rerun' | 'other';
export type ForeignAction = 'adopt' | 'other';
export type PrepareAction = 'setup' | 'anyway' | 'other-node';
export type ReviewAction = 'run' | 'write' | 'cancel';
export type ModeChoice = Mode | 'none';

/** What the operator and the world tell the wizard. Ink and --plain send the same events. */
export type WizardEvent =
  | { type: 'pick-node'; node: string }
  | { type: 'probed'; node: string; probe: NodeProbe }
  | { type: 'name'; name: string }
  | { type: 'existing'; action: ExistingAction }
  | { type: 'foreign'; action: ForeignAction }
  | { type: 'prepare'; action: PrepareAction }
  | { type: 'setup-finished'; ok: boolean; interrupted: boolean; steps: StepOutcome[]; logFile?: string }
  | { type: 'setup-failure'; action: 'retry' | 'back' }
  | { type: 'backing'; backing: Backing }
  | { type: 'install'; install: InstallMode }
  | { type: 'origin'; origin: string }
  | { type: 'image'; image: string }
  | { type: 'size'; size: string }
  | { type: 'mode'; mode: ModeChoice }
  | { type: 'toggle-advanced'; open: boolean }
  | { type: 'advanced'; advanced: Advanced }
  | { type: 'previewed'; preview: Preview }
  | { type: 'review'; action: ReviewAction }
  | { type: 'written'; andRun: boolean; notice: string }
  | { type: 'failed'; error: ErrorReport }
  | { type: 'run-finished'; ok: boolean; interrupted: boolean; steps: StepOutcome[]; logFile?: string }
  | { type: 'failure'; action: FailureAction }
  | { type: 'interrupt' }
  | { type: 'dismiss' }
  | { type: 'back' }
  | { type: 'finish' };

/** What the flow asks the world to do; the effect runner answers with events. */
export type Effect =
  | { type: 'probe'; node: string }
  | { type: 'preview' }
  | { type: 'write'; andRun: boolean }
  | { type: 'run'; from?: StepName }
  | { type: 'setup'; node: string; origins: string[] }
  | { type: 'remember-advanced'; open: boolean }
  | { type: 'abort' };

export interface Preview {
  profile: string;
  /** resolved settings, password hidden */
  settings: Record<string, unknown>;
  warnings: string[];
  errors: string[];
  diff: string;
}

export interface ExistingVm {
  node: string;
  line: number;
  keys: Record<string, unknown>;
}

/** How a run or a node setup ended. */
export interface RunOutcome {
  ok: boolean;
  interrupted: boolean;
  logFile: string;
  steps: StepRecord[];
}
