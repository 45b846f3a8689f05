import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Per-operator preferences of the wizard (the advanced-options toggle), kept between sessions. */
export interface Prefs {
  advancedOpen: boolean;
}

const prefsFile = (stateHome: string) => join(stateHome, 'ui.json');

export function readPrefs(stateHome: string): Prefs {
  try {
    return { advancedOpen: JSON.parse(readFileSync(prefsFile(stateHome), 'utf8')).advancedOpen === true };
  } catch {
    return { advancedOpen: false };
  }
}

export function writePrefs(stateHome: string, prefs: Prefs): void {
  try {
    mkdirSync(stateHome, { recursive: true, mode: 0o700 });
    writeFileSync(prefsFile(stateHome), JSON.stringify(prefs) + '\n', { mode: 0o600 });
  } catch {
    // a preference that cannot be kept is not worth interrupting the operator for
  }
}
