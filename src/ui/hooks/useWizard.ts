import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { NODE_TASKS, STEP_NAMES } from '../../core/steps.js';
import { WizardMachine } from '../../wizard/machine.js';
import type { WizardServices } from '../../wizard/services.js';
import type { WizardEvent, WizardState } from '../../wizard/types.js';
import { RunStore } from '../run-store.js';

/**
 * The wizard's state for Ink: one machine (the flow and its effects) and the live view of a run,
 * fed by the run's events. The screens read `state` and call `send`; nothing else decides.
 */
export function useWizard(services: WizardServices, advancedOpen: boolean, tap?: (e: WizardEvent) => void) {
  // one machine for the life of the UI (tap is for tests: it hears every event sent)
  const machine = useMemo(() => new WizardMachine(services, { advancedOpen, ...(tap ? { tap } : {}) }), [services, advancedOpen]);
  const runStore = useMemo(() => new RunStore(STEP_NAMES as string[]), []);
  // the first frame is out: the pillar's parse may take the main thread now
  useEffect(() => machine.start(), [machine]);
  useEffect(
    () =>
      machine.onRun(runStore.listener, (kind, from, settled) =>
        runStore.restart(kind === 'run' ? (STEP_NAMES as string[]) : (NODE_TASKS as string[]), from, settled),
      ),
    [machine, runStore],
  );
  const state: WizardState = useSyncExternalStore(machine.subscribe, machine.get);
  return { state, send: machine.send, runStore };
}
