import type { Step } from './step.js';
import { grains } from './grains.js';
import { hostsfile } from './hostsfile.js';
import { initialHighstate } from './initial-highstate.js';
import { initialSetup } from './initial-setup.js';
import { ping } from './ping.js';
import { preflight } from './preflight.js';
import { reachable } from './reachable.js';
import { reverseProxy } from './reverse-proxy.js';
import { spawn } from './spawn.js';
import { sshkeys } from './sshkeys.js';

/** preflight, then the seed's six with the reverse proxy after spawn, the ping, and the wait for ssh at the end. */
export const STEPS: readonly Step[] = [
  preflight,
  spawn,
  reverseProxy,
  hostsfile,
  sshkeys,
  grains,
  initialSetup,
  initialHighstate,
  ping,
  reachable,
];
