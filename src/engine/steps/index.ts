import type { Step } from './step.js';
import { grains } from './grains.js';
import { hostsfile } from './hostsfile.js';
import { initialHighstate } from './initial-highstate.js';
import { initialSetup } from './initial-setup.js';
import { preflight } from './preflight.js';
import { spawn } from './spawn.js';
import { sshkeys } from './sshkeys.js';

/** The seed's sequence, preflight first. */
export const STEPS: readonly Step[] = [preflight, spawn, hostsfile, sshkeys, grains, initialSetup, initialHighstate];
