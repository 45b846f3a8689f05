import type { Env, Mode } from '../core/defaults.js';
import type { RunEvent } from '../core/run-events.js';
import type { StepName } from '../core/steps.js';
import type { ExistingVm, NodeChoice, NodeProbe, Preview, RunOutcome } from './types.js';

export type { ExistingVm, Preview, RunOutcome };

export interface WizardDefaults {
  mode: Mode;
  origin: string;
  image: string;
  branch: string;
  /** the default size name (makina-states.cloud.lxc.defaults.profile, else medium) */
  size: string;
  /** the size table (lxc_cloud_profiles may change or add sizes) */
  sizes: Record<string, string>;
}

/**
 * What the wizard needs from the world. The use-case layer implements it over pillar-writer and
 * the engine; tests implement it in memory. Screens never touch files or SSH themselves.
 */
export interface WizardServices {
  pillarPath: string;
  /**
   * Until it resolves, only pillarPath, nodes(), bootstrap and the flags are known (the first
   * screen), with env and defaults when nodes() is: the pillar is still to be parsed. The machine
   * holds every event but quitting until then; a rejection is the wizard's end (the command
   * reports it).
   */
  ready?(): Promise<void>;
  /** known when nodes() is (read it after ready() otherwise) */
  env: Env;
  /** known when nodes() is (read it after ready() otherwise) */
  defaults: WizardDefaults;
  /** the flags the wizard was started with that the equivalent commands repeat */
  commandArgs: { context: string[]; run: string[] };
  /** --no-salt was given */
  noSalt: boolean;
  /** the bootstrap script a run would upload in this mode, or undefined (none here) */
  bootstrap(mode: Mode): string | undefined;
  /**
   * The pillar's compute nodes; undefined while the pillar is still read (the first frame came
   * before the parse: nothing was kept of these bytes), until ready() resolves.
   */
  nodes(): NodeChoice[] | undefined;
  existing(name: string): ExistingVm | undefined;
  probe(node: string): Promise<NodeProbe>;
  /** the IP the VM gets on the node once written without one (what the write allocates), if any */
  ipOnWrite(node: string, vm: string): string | undefined;
  preview(node: string, vm: string, entry: Record<string, unknown>): Preview;
  /** write the entry (allocating generated values); throws a UserError on refusal */
  write(node: string, vm: string, entry: Record<string, unknown>, o: { update: boolean }): Promise<void>;
  /** run the steps for one VM; events feed the run view */
  run(
    node: string,
    vm: string,
    onEvent: (e: RunEvent) => void,
    signal: AbortSignal,
    opts: { from?: StepName; noSalt: boolean; adopt?: boolean },
  ): Promise<RunOutcome>;
  /** node setup (the seed's install_vt) on one node, making these origins too */
  setupNode(node: string, origins: string[], onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<RunOutcome>;
  /** the resulting settings, secrets included (the result screen hides them until asked) */
  settings(node: string, vm: string): Record<string, unknown>;
  /** how to log in, as commands that work as printed (core/ways-in.ts), and the same as an ~/.ssh/config stanza */
  waysIn(node: string, vm: string): { lines: string[]; stanza?: string };
  rememberAdvanced(open: boolean): void;
}
