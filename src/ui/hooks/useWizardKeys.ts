import { useInput } from 'ink';
import type { WizardEvent, WizardState } from '../../wizard/types.js';

/**
 * The keys every screen shares: Ctrl-C (quit before the run; during it, ask then abort), Esc
 * (back one screen), and any other key dismissing an "abort?" question or an error.
 */
export function useWizardKeys(state: WizardState, send: (e: WizardEvent) => void): void {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') return send({ type: 'interrupt' });
    if (state.run?.confirmAbort || state.setup?.confirmAbort) return send({ type: 'dismiss' });
    if (key.escape) return send({ type: 'back' });
  });
}
