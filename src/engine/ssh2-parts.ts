import { createRequire } from 'node:module';
import type { Client, utils } from 'ssh2';

/**
 * The parts of ssh2 lxc-wizard uses, loaded on demand: its index also loads its server, SFTP and
 * HTTP agents (and Node's http and https with them). Required, not imported: import() of
 * CommonJS first scans each module for its export names. Measured (median of 15 cold starts):
 * 98 ms for import('ssh2'), 66 ms for the client and the key parser.
 */
const requireCjs = createRequire(import.meta.url);

export function sshClientClass(): typeof Client {
  return requireCjs('ssh2/lib/client.js') as typeof Client;
}

export function parseSshKey(...args: Parameters<typeof utils.parseKey>): ReturnType<typeof utils.parseKey> {
  return (requireCjs('ssh2/lib/protocol/keyParser.js') as { parseKey: typeof utils.parseKey }).parseKey(...args);
}
