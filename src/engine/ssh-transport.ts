import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { KINDS, readLocalFileSync } from './local-files.js';
import { performance } from 'node:perf_hooks';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { parseSshKey, sshClientClass } from './ssh2-parts.js';
import { verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import { shJoin, withRemoteTimeout } from '../core/shell-quote.js';
import type { SshTarget } from './ssh-options.js';
import { InterruptedError } from '../core/errors.js';
import {
  lineSplitter,
  Semaphore,
  TransportError,
  type ExecOptions,
  type ExecResult,
  type Transport,
  MAX_OUTPUT_BYTES,
  tooLarge,
} from './transport.js';

/**
 * ssh2 is loaded on the first connection, not at start-up (the wizard draws before it needs SSH),
 * and only the parts a connection uses (ssh2-parts.ts); on the next turn of the loop, so the TCP
 * connection asked for just before is on its way (Node sends the SYN on the next tick), its
 * handshake overlapping the load.
 */
function loadSsh2(): Promise<{ Client: typeof SshClient; utils: { parseKey: typeof parseSshKey } }> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve({ Client: sshClientClass(), utils: { parseKey: parseSshKey } });
      } catch (err) {
        reject(err as Error);
      }
    }),
  );
}

const PID_MARK = '__lxcw_pid ';

/**
 * A channel opened before its command: its shell waits for the command line, framed by a mark
 * line (see waitingInput), and runs it with the rest of the channel's input as its stdin. Opening
 * a channel and starting its shell take two round trips; with one open and waiting, a command
 * takes one (at 50 ms RTT, 100 ms less a command: bench/provision). `read` takes its lines one
 * byte at a time from a pipe, so the command's stdin is left whole; builtins only, no process
 * before the command's own. A command line that did not arrive whole is refused, never run.
 */
export const WAITING_SHELL =
  'IFS= read -r m || exit 0; c=; l=; [ -n "$m" ] && while IFS= read -r l; do [ "$l" != "$m" ] || break; c="$c$l\n"; done; ' +
  '[ -n "$m" ] && [ "$l" = "$m" ] && [ -n "$c" ] || { echo "lxc-wizard: the command line did not arrive whole on this node" >&2; exit 126; }; eval "$c"';

/**
 * What a waiting channel is sent before the command's stdin: a mark line, the command line, the
 * mark again. The mark is random and never a line of the command: the command ends where it is.
 */
export function waitingInput(line: string): string {
  for (;;) {
    const mark = `@lxcw-${randomBytes(8).toString('hex')}@`;
    if (!line.split('\n').includes(mark)) return `${mark}\n${line}\n${mark}\n`;
  }
}

/**
 * Channels kept open and waiting per node, on top of those running; more while a VM's next steps
 * will start together (expect), fewer when near the limit.
 */
const WAITING = 2;

/**
 * One ssh2 connection per compute node per run; every step and VM of that node multiplexes its
 * channels on it, at most `maxChannels` at once.
 */
export class SshTransport implements Transport {
  readonly node: string;
  connections = 0;
  private client: SshClient | undefined;
  private connecting: Promise<SshClient> | undefined;
  /** how warm()'s connection failed, until a command reports it */
  private warmFailure: Error | undefined;
  private readonly channels: Semaphore;
  private readonly live = new Set<(err: Error) => void>();
  /** remote kills under way: close() waits for them, or the kill would never leave */
  private readonly kills = new Set<Promise<void>>();
  /** channels open and waiting for a command (WAITING_SHELL); undefined when one could not open */
  private waiting: Promise<ClientChannel | undefined>[] = [];
  /** waiting channels the node closed before they were used */
  private readonly gone = new WeakSet<ClientChannel>();
  /** set when the node refused a waiting channel (a low MaxSessions): every command opens its own */
  private noWaiting = false;
  private readonly maxChannels: number;
  /** per VM, the commands its next steps will start at once (expect) */
  private readonly expected = new Map<string, number>();

  constructor(
    private readonly target: SshTarget,
    private readonly opts: {
      agent?: string;
      maxChannels?: number;
      /** what one command may print before it is stopped (default MAX_OUTPUT_BYTES; tests lower it) */
      maxOutputBytes?: number;
      readyTimeoutMs?: number;
      log?: (msg: string) => void;
      passphrases?: ReadonlyMap<string, string>;
      /** tried after every key: a node that only takes a password until node setup installs the key */
      password?: string;
    } = {},
  ) {
    this.node = target.node;
    this.maxChannels = opts.maxChannels ?? 8;
    this.channels = new Semaphore(this.maxChannels);
  }

  warm(): void {
    if (this.client || this.connecting) return;
    // Its failure is the first command's to report, without a second attempt (a refused login
    // tried twice would count twice against the node's limits, fail2ban's among them).
    this.connect().catch((err: unknown) => (this.warmFailure = err as Error));
  }

  private connect(): Promise<SshClient> {
    if (this.client) return Promise.resolve(this.client);
    const failed = this.warmFailure;
    this.warmFailure = undefined;
    if (failed) return Promise.reject(failed);
    if (this.connecting) return this.connecting;
    const t = this.target;
    // The TCP connection is under way while the SSH library loads (about 70 ms, one round trip on
    // a far node); ssh2 takes the socket over once loaded. An error before that is kept for it.
    const sock = new Socket();
    let early: Error | undefined;
    const onEarly = (e: Error) => (early ??= e);
    sock.on('error', onEarly);
    // From the first packet: the handshake and each command are small requests, several in a row,
    // and with Nagle's algorithm on the second waits for the node's delayed ACK (40 ms each time:
    // the login took 230 ms on loopback, 65 ms without; about 85 ms a command).
    sock.setNoDelay(true);
    sock.connect({ host: t.host, port: t.port });
    this.connecting = loadSsh2().then(
      (ssh2) =>
        new Promise((resolve, reject) => {
          sock.off('error', onEarly);
          const { Client, utils } = ssh2;
          const c = new Client();
          let verdict: HostKeyVerdict | undefined;
          let settled = false;
          const skipped: string[] = [];
          const keys = t.identityFiles.flatMap((f) => {
            try {
              const key = readLocalFileSync(f, KINDS.privateKey);
              const passphrase = this.opts.passphrases?.get(f);
              // An encrypted key needs its passphrase (asked before the UI starts); else it is skipped.
              if (utils.parseKey(key, passphrase) instanceof Error) return (skipped.push(f), []);
              return [{ file: f, key, passphrase }];
            } catch {
              return [];
            }
          });
          const methods: (
            | { type: 'agent'; agent: string }
            | { type: 'publickey'; key: Buffer; passphrase?: string }
            | { type: 'password'; password: string }
          )[] = [];
          if (this.opts.agent) methods.push({ type: 'agent', agent: this.opts.agent });
          for (const k of keys) methods.push({ type: 'publickey', key: k.key, ...(k.passphrase ? { passphrase: k.passphrase } : {}) });
          if (this.opts.password) methods.push({ type: 'password', password: this.opts.password });
          const tried = [
            ...(this.opts.agent ? ['ssh-agent'] : []),
            ...keys.map((k) => k.file),
            ...(this.opts.password ? ['the password'] : []),
          ];
          const config: ConnectConfig = {
            sock,
            host: t.host,
            port: t.port,
            username: t.user,
            readyTimeout: this.opts.readyTimeoutMs ?? 20_000,
            keepaliveInterval: 10_000,
            keepaliveCountMax: 3,
            authHandler: (_methodsLeft, _partial, next) => {
              const m = methods.shift();
              if (!m) return next(false as never);
              if (m.type === 'agent') return next({ type: 'agent', username: t.user, agent: m.agent } as never);
              if (m.type === 'password') return next({ type: 'password', username: t.user, password: m.password } as never);
              return next({
                type: 'publickey',
                username: t.user,
                key: m.key,
                ...(m.passphrase ? { passphrase: m.passphrase } : {}),
              } as never);
            },
            hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
              verifyHostKey({
                host: t.host,
                port: t.port,
                blob: key,
                files: t.knownHostsFiles,
                policy: t.policy,
                writeTo: t.knownHostsFiles[t.knownHostsFiles.length - 1]!,
              })
                .then((v) => {
                  verdict = v;
                  if (v.ok && v.how === 'added')
                    this.opts.log?.(`added the host key of ${t.host}:${t.port} to ${t.knownHostsFiles.at(-1)}`);
                  verify(v.ok);
                })
                .catch(() => verify(false));
            }) as never,
          };
          const fail = (err: Error) => {
            if (settled) return;
            settled = true;
            this.connecting = undefined;
            if (verdict && !verdict.ok) return reject(new TransportError(verdict.message, verdict.hint));
            const level = (err as { level?: string }).level;
            const where = `${t.user}@${t.host}:${t.port} (compute node ${t.node})`;
            if (level === 'client-authentication') {
              const enc = skipped.length
                ? `; skipped encrypted key(s) ${skipped.join(', ')}: load them into ssh-agent (ssh-add) or use the wizard, which asks for the passphrase`
                : '';
              return reject(
                new TransportError(
                  `login refused by ${where}`,
                  `tried ${tried.length ? tried.join(', ') : 'no key (no agent, no readable unencrypted IdentityFile)'}${enc}; authorize a key for ${t.user} on the node, or set IdentityFile in ~/.ssh/config`,
                ),
              );
            }
            if (level === 'client-timeout')
              return reject(
                new TransportError(
                  `no SSH handshake from ${where} within ${(this.opts.readyTimeoutMs ?? 20_000) / 1000} s`,
                  'check that sshd runs there and that nothing filters the port',
                ),
              );
            reject(
              new TransportError(
                `cannot reach ${where}: ${err.message}`,
                'check the host name, port and network (ssh -v shows the same path)',
              ),
            );
          };
          // ssh2 may emit 'error' twice ("Connection lost before handshake"): never .once here.
          c.on('error', fail);
          c.on('ready', () => {
            settled = true;
            this.connections++;
            this.client = c;
            this.noWaiting = false; // a new connection tries channels ahead again
            this.connecting = undefined;
            resolve(c);
          });
          c.on('close', () => {
            if (this.client === c) {
              this.client = undefined;
              this.waiting = [];
            }
            const err = new TransportError(
              `the SSH connection to compute node ${t.node} was lost`,
              'run the same command again: finished steps are skipped',
            );
            for (const abortExec of [...this.live]) abortExec(err);
            fail(err);
          });
          if (early || sock.destroyed) return fail(early ?? new Error('the connection closed before the SSH handshake'));
          c.connect(config);
        }),
      (err: unknown) => {
        sock.destroy();
        throw err;
      },
    );
    return this.connecting;
  }

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return this.channels.use(async () => {
      if (opts.signal?.aborted) throw new InterruptedError();
      const client = await this.connect();
      const result = this.execOn(client, argv, opts, this.waiting.shift());
      this.openWaiting(client);
      return result;
    });
  }

  /**
   * The steps that run at once after spawn start four commands together: with two channels
   * waiting, two of them opened their own (two round trips more, ~60 ms at 50 ms RTT). Told while
   * spawn waits for the boot, the channels open meanwhile.
   */
  expect(key: string, commands: number): void {
    if (commands > 1) this.expected.set(key, commands);
    else this.expected.delete(key);
    if (this.client) this.openWaiting(this.client);
  }

  /**
   * Keep WAITING channels open for the next commands (or as many as expected), never more
   * channels in all (running and waiting) than maxChannels, so a node's MaxSessions sees no more
   * than it did without them.
   */
  private openWaiting(client: SshClient): void {
    let wanted = 0;
    for (const n of this.expected.values()) wanted += n;
    while (
      !this.noWaiting &&
      this.client === client &&
      this.waiting.length < Math.max(WAITING, wanted) &&
      this.channels.inUse + this.waiting.length < this.maxChannels
    ) {
      this.waiting.push(
        new Promise((resolve) => {
          client.exec(WAITING_SHELL, (e, ch) => {
            if (e) {
              this.noWaiting = true;
              return resolve(undefined);
            }
            ch.once('close', () => this.gone.add(ch));
            resolve(ch);
          });
        }),
      );
    }
  }

  private execOn(
    client: SshClient,
    argv: readonly string[],
    opts: ExecOptions,
    waiting?: Promise<ClientChannel | undefined>,
  ): Promise<ExecResult> {
    const started = performance.now();
    // The shell prints its PID, then becomes `timeout`: a cancel can then kill it by PID, since
    // OpenSSH ignores channel signals for root sessions.
    const line = `echo "${PID_MARK}$$" >&2; exec ${shJoin(withRemoteTimeout(argv, opts.timeoutS))}`;
    return new Promise((resolve, reject) => {
      let pid: string | undefined;
      let stdout = '';
      let stderr = '';
      let channel: ClientChannel | undefined;
      let done = false;
      const out = lineSplitter((l) => opts.onLine?.(l, 'stdout'));
      let killPending: (() => void) | undefined;
      const kill = () => {
        const client = this.client;
        if (pid && client) {
          const sent = new Promise<void>((done) => {
            const guard = setTimeout(done, 3000);
            client.exec(`kill -TERM ${pid} 2>/dev/null`, (e, ch) => {
              if (e) return (clearTimeout(guard), done());
              ch.on('close', () => (clearTimeout(guard), done())).resume();
            });
          });
          this.kills.add(sent);
          void sent.then(() => this.kills.delete(sent));
        }
        channel?.close();
      };
      // bounded: past MAX_OUTPUT_BYTES the command is stopped on the node and fails saying so
      let bytes = 0;
      let over = false;
      const take = (n: number) => {
        bytes += n;
        if (bytes <= (this.opts.maxOutputBytes ?? MAX_OUTPUT_BYTES)) return true;
        if (!over) {
          over = true;
          if (pid) kill();
          else channel?.close();
        }
        return false;
      };
      const err = lineSplitter((l) => {
        if (pid === undefined && l.startsWith(PID_MARK)) {
          const p = l.slice(PID_MARK.length).trim();
          pid = /^\d+$/.test(p) ? p : '';
          if (killPending) {
            kill();
            killPending();
          }
          return;
        }
        if (!take(l.length + 1)) return;
        stderr += l + '\n';
        opts.onLine?.(l, 'stderr');
      });
      const finish = (e: Error | undefined, r?: ExecResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.live.delete(onLost);
        opts.signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve(r!);
      };
      const onLost = (e: Error) => finish(e);
      const onAbort = () => {
        // Before the PID line arrives there is nothing to kill yet: wait for it (briefly), so a
        // command aborted early does not go on running on the node.
        if (pid) kill();
        else {
          const waited = new Promise<void>((done) => {
            const guard = setTimeout(() => (channel?.close(), done()), 3000);
            killPending = () => (clearTimeout(guard), done());
          });
          this.kills.add(waited);
          void waited.then(() => this.kills.delete(waited));
        }
        finish(new InterruptedError());
      };
      // The remote `timeout` ends the command; this only guards against a silent peer.
      const timer = setTimeout(
        () => {
          channel?.close();
          finish(undefined, { code: 124, signal: null, stdout, stderr, durationMs: performance.now() - started, timedOut: true });
        },
        (opts.timeoutS + 15) * 1000,
      );
      this.live.add(onLost);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const start = (ch: ClientChannel, header?: string) => {
        channel = ch;
        let code: number | null = null;
        let signal: string | null = null;
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s ? (s.startsWith('SIG') ? s : `SIG${s}`) : null;
        });
        ch.on('data', (d: Buffer) => {
          if (!take(d.length)) return;
          const s = d.toString('utf8');
          stdout += s;
          out.push(s);
        });
        ch.stderr.on('data', (d: Buffer) => err.push(d.toString('utf8')));
        ch.on('close', () => {
          out.end();
          err.end();
          finish(
            undefined,
            over
              ? {
                  code: 1,
                  signal,
                  stdout,
                  stderr: `${stderr}${tooLarge(this.opts.maxOutputBytes ?? MAX_OUTPUT_BYTES)}\n`,
                  durationMs: performance.now() - started,
                  timedOut: false,
                }
              : { code, signal, stdout, stderr, durationMs: performance.now() - started, timedOut: code === 124 || code === 137 },
          );
        });
        if (header) ch.write(header);
        if (opts.stdin instanceof Readable) opts.stdin.pipe(ch);
        else ch.end(opts.stdin ?? '');
      };
      const open = () =>
        client.exec(line, (e, ch) => {
          if (e)
            return finish(
              new TransportError(
                `cannot open a channel to ${this.node}: ${e.message}`,
                'the node may limit sessions (MaxSessions); lower --concurrency',
              ),
            );
          start(ch);
        });
      if (!waiting) return open();
      void waiting.then((ch) => {
        if (!ch || this.gone.has(ch)) return open();
        if (done) {
          // aborted before it started: the waiting shell ends on EOF, there is nothing to kill
          ch.end();
          killPending?.();
          return;
        }
        start(ch, waitingInput(line));
      });
    });
  }

  async close(): Promise<void> {
    while (this.kills.size) await Promise.all([...this.kills]);
    // idle shells end on EOF; not awaited: a node that stopped answering must not hold up the exit
    for (const w of this.waiting) void w.then((ch) => ch?.end());
    this.waiting = [];
    this.client?.end();
    this.client = undefined;
  }
}
