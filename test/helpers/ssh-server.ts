import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Transport } from '../../src/engine/transport.js';
import { WAITING_SHELL } from '../../src/engine/ssh-transport.js';

const { Server, utils } = ssh2;

/**
 * An ed25519 pair ssh2 can read back. ssh2 1.17's generator drops a leading zero byte of the public
 * key, so about 1 pair in 256 does not parse (mscdex/ssh2#1513): such a pair is drawn again.
 */
export function keyPair(): { private: string; public: string } {
  for (;;) {
    const k = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.private) instanceof Error) && !(utils.parseKey(k.public) instanceof Error))
      return { private: k.private, public: k.public };
  }
}

/** Undo shQuote: bare words and '...' with '\'' inside. Enough for what our transports send. */
export function parseShWords(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    let w = '';
    while (i < s.length && s[i] !== ' ') {
      if (s[i] === "'") {
        const j = s.indexOf("'", i + 1);
        w += s.slice(i + 1, j);
        i = j + 1;
      } else if (s[i] === '\\') {
        w += s[i + 1];
        i += 2;
      } else w += s[i++];
    }
    out.push(w);
  }
  return out;
}

export interface Fault {
  /** close the whole connection when a command matches */
  dropOn?: (argv: string[]) => boolean;
  /** never answer a matching command (the remote `timeout` is honoured: exit 124 after N s) */
  stallOn?: (argv: string[]) => boolean;
}

/**
 * An in-process SSH server: public-key auth against one client key, commands run by `backend`
 * (a fake node), faults injected on demand. Records every command line it received.
 */
export class TestSshServer {
  readonly hostKey = keyPair();
  readonly received: string[] = [];
  /** commands that came on a channel opened before them (WAITING_SHELL) */
  waited = 0;
  /** sessions (channels) open now, and the most open at once */
  open = 0;
  mostOpen = 0;
  maxSessions = Infinity;
  /** called on every authentication request (a login's attempts) */
  onAuth: (() => void) | undefined;
  fault: Fault = {};
  private server: InstanceType<typeof Server> | undefined;
  port = 0;

  constructor(
    private readonly clientPublicKey: string,
    private readonly backend: Transport,
  ) {}

  /** Listen on `port` (default: any free one); start again after stop() with the same host key. */
  async start(port = 0): Promise<void> {
    const allowed = utils.parseKey(this.clientPublicKey) as ssh2.ParsedKey;
    this.server = new Server({ hostKeys: [this.hostKey.private] }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => {
        this.onAuth?.();
        if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
        const ok =
          ctx.key.algo === allowed.type &&
          ctx.key.data.length === allowed.getPublicSSH().length &&
          timingSafeEqual(ctx.key.data, allowed.getPublicSSH());
        if (!ok) return ctx.reject(['publickey']);
        if (ctx.signature && !allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
        ctx.accept();
      });
      client.on('ready', () => {
        client.on('session', (accept, reject) => {
          // as OpenSSH's MaxSessions: a session beyond the limit is refused
          if (this.open >= this.maxSessions) return reject();
          const session = accept();
          this.mostOpen = Math.max(this.mostOpen, ++this.open);
          session.on('close', () => this.open--);
          session.on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            if (info.command !== WAITING_SHELL) return this.run(client, stream, info.command, []);
            // as a node's shell does with it: a mark line, the command line, the mark line again
            let head = Buffer.alloc(0);
            const onEnd = () => (stream.exit(0), stream.end());
            const onData = (d: Buffer) => {
              head = Buffer.concat([head, d]);
              const nl = head.indexOf(10);
              if (nl < 0) return;
              const mark = head.subarray(0, nl + 1);
              const end = head.indexOf(Buffer.concat([Buffer.from('\n'), mark]), nl);
              if (end < 0) return;
              stream.off('data', onData).off('end', onEnd);
              this.waited++;
              this.run(client, stream, head.subarray(nl + 1, end).toString('utf8'), [head.subarray(end + 1 + mark.length)]);
            };
            stream.on('data', onData).on('end', onEnd);
          });
        });
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** One command line, its input so far in `chunks`, the rest read from `stream`. */
  private run(client: ssh2.Connection, stream: ssh2.ServerChannel, command: string, chunks: Buffer[]): void {
    this.received.push(command);
    const m = /^echo "__lxcw_pid \$\$" >&2; exec timeout --kill-after=5 (\d+) (.*)$/s.exec(command);
    if (!m) {
      stream.exit(0);
      stream.end();
      return;
    }
    const argv = parseShWords(m[2]!);
    stream.stderr.write('__lxcw_pid 4242\n');
    if (this.fault.dropOn?.(argv)) {
      stream.write('partial output\n');
      setTimeout(() => (client as unknown as { end(): void }).end(), 20);
      return;
    }
    if (this.fault.stallOn?.(argv)) {
      setTimeout(
        () => {
          stream.exit(124);
          stream.end();
        },
        Number(m[1]) * 1000,
      );
      return;
    }
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', async () => {
      try {
        const r = await this.backend.exec(argv, { stdin: Buffer.concat(chunks).toString('utf8'), timeoutS: Number(m[1]) });
        if (r.stdout) stream.write(r.stdout);
        if (r.stderr) stream.stderr.write(r.stderr);
        stream.exit(r.code ?? 1);
      } catch (e) {
        stream.stderr.write(String(e));
        stream.exit(1);
      }
      stream.end();
    });
  }

  knownHostsLine(): string {
    const pub = utils.parseKey(this.hostKey.public) as ssh2.ParsedKey;
    return `[127.0.0.1]:${this.port} ${pub.type} ${pub.getPublicSSH().toString('base64')}\n`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
