import { ExitCode } from '../core/errors.js';
import type { RunEvent } from '../core/run-events.js';
import type { StepName } from '../core/steps.js';
import { effectRunner } from './effects.js';
import { initialState, reduce } from './flow.js';
import type { WizardServices } from './services.js';
import type { FlowContext, StepOutcome, WizardEvent, WizardState } from './types.js';

/** A run or node setup starts; from a step (retry, skip), with what the earlier steps settled as. */
export type RunStart = (kind: 'run' | 'setup', from?: StepName, settled?: StepOutcome[]) => void;

/**
 * The flow with its effects wired to the services: front ends `send` events, read `get()`, and are
 * told of changes (`subscribe`, the shape useSyncExternalStore takes). Run events go to whoever
 * draws the live view (`onRun`).
 */
export class WizardMachine {
  private state: WizardState;
  private readonly listeners = new Set<() => void>();
  private readonly runListeners = new Set<{ event: (e: RunEvent) => void; start?: RunStart }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly perform: ReturnType<typeof effectRunner>;
  /** events sent before the services were ready (the first screen drawn from what was kept) */
  private held: WizardEvent[] | undefined;
  private starting: Promise<void> | undefined;
  private readonly first: WizardState;
  readonly ctx: FlowContext;

  constructor(
    readonly services: WizardServices,
    private readonly o: { advancedOpen: boolean; tap?: (e: WizardEvent) => void },
  ) {
    this.state = this.first = this.initial();
    this.ctx = { existing: (n) => services.existing(n), bootstrap: (m) => services.bootstrap(m) };
    if (services.ready) this.held = [];
    this.perform = effectRunner(services, {
      dispatch: (e) => this.send(e),
      onRunEvent: (e) => this.runListeners.forEach((l) => l.event(e)),
      onRunStart: (kind, from, settled) => this.runListeners.forEach((l) => l.start?.(kind, from, settled)),
    });
  }

  /**
   * The first state. Drawn before the pillar was read (nodes() undefined), the node screen needs
   * no default: the mode is a stand-in, and the state is made again once the pillar is read,
   * before any held event is replayed.
   */
  private initial(): WizardState {
    const known = this.services.nodes() !== undefined;
    return initialState({
      mode: known ? this.services.defaults.mode : 'salt',
      advancedOpen: this.o.advancedOpen,
      noSalt: this.services.noSalt,
    });
  }

  get = (): WizardState => this.state;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** Hear every run event (the live view); `start` when a run or node setup begins. */
  onRun(event: (e: RunEvent) => void, start?: RunStart): () => void {
    const l = { event, ...(start ? { start } : {}) };
    this.runListeners.add(l);
    return () => this.runListeners.delete(l);
  }

  /**
   * Let the services finish reading (after the first frame: the front ends call it once drawn).
   * Until then every event but quitting is held, and replayed in order once they are ready; if
   * they cannot be, the wizard ends (whoever started it hears why from services.ready()).
   */
  start = (): void => {
    if (!this.held || this.starting) return;
    const p: Promise<void> = this.services.ready!()
      .then(
        () => {
          const held = this.held ?? [];
          this.held = undefined;
          // Only quitting passed before: unless it did, the first state again, now with the
          // pillar's defaults.
          if (this.state === this.first) {
            this.state = this.initial();
            for (const l of this.listeners) l();
          }
          held.forEach((e) => this.send(e));
        },
        () => {
          this.held = undefined;
          this.state = { ...this.state, exit: ExitCode.FAILURE };
          for (const l of this.listeners) l();
        },
      )
      .finally(() => this.pending.delete(p));
    this.starting = p;
    this.pending.add(p);
  };

  send = (e: WizardEvent): void => {
    if (this.state.exit !== undefined) return;
    if (this.held && e.type !== 'interrupt' && e.type !== 'finish') {
      this.held.push(e);
      return this.start();
    }
    this.o.tap?.(e);
    const [next, effects] = reduce(this.state, e, this.ctx, () => this.services.defaults);
    this.state = next;
    for (const l of this.listeners) l();
    for (const effect of effects) {
      const p: Promise<void> = this.perform(effect, next).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  };

  /** Until every effect started so far (and those they started) has answered. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
