import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT_WAIT, SETTLE } from './spawn.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const root = process.getuid?.() === 0;

/**
 * BOOT_WAIT run by a real sh as it runs in a container: in a PID namespace whose PID 1 is named
 * systemd (a copy of sh), with `systemctl`, `sleep` (and `timeout` if given) replaced by scripts
 * that log their calls. `systemctl` answers from `answers`, one per call, the last one repeated.
 * PID 1's socket is a real one in the temp dir, there from the start or after `socketAfter` sleeps.
 * The container's /sbin/init (and systemd's paths) are in the temp dir too: absent unless
 * `sbinInit` says what it leads to.
 */
async function bootWait(
  answers: string[],
  opts: {
    timeout?: string;
    initName?: string;
    socketAfter?: number;
    sbinInit?: 'systemd' | 'other';
    script?: string;
    args?: string[];
  } = {},
) {
  const d = mkdtempSync(join(tmpdir(), 'lxcw-boot-'));
  dirs.push(d);
  const server = createServer();
  servers.push(server);
  await new Promise<void>((ok) => server.listen(join(d, 'listening'), ok));
  const socket = join(d, 'private');
  if (!opts.socketAfter) symlinkSync(join(d, 'listening'), socket);
  writeFileSync(
    join(d, 'sleep'),
    // the progress ticker's 5 s sleep is a real one, and not recorded: these waits end long before it
    `#!/bin/sh\ncase "$1" in 5) exec /bin/sleep 5 ;; esac\necho "sleep $*" >> ${d}/calls\n[ "$(grep -c ^sleep ${d}/calls)" = "${opts.socketAfter ?? 0}" ] && ln -s ${d}/listening ${socket}\nexit 0\n`,
  );
  chmodSync(join(d, 'sleep'), 0o755);
  const init = join(d, opts.initName ?? 'systemd');
  copyFileSync('/bin/sh', init);
  answers.forEach((a, i) => writeFileSync(join(d, `answer${i}`), a));
  writeFileSync(
    join(d, 'systemctl'),
    `#!/bin/sh
echo "$*" >> ${d}/calls; echo >> ${d}/asked
n=$(wc -l < ${d}/asked); n=$((n-1)); [ $n -ge ${answers.length} ] && n=${answers.length - 1}
. ${d}/answer$n
`,
  );
  chmodSync(join(d, 'systemctl'), 0o755);
  if (opts.timeout) {
    writeFileSync(join(d, 'timeout'), `#!/bin/sh\necho "timeout $*" >> ${d}/calls\n${opts.timeout}\n`);
    chmodSync(join(d, 'timeout'), 0o755);
  }
  // PATH has only these: the machine's timeout is not one of them unless faked
  for (const tool of ['sh', 'cat', 'grep', 'ln', 'wc']) symlinkSync(`/bin/${tool}`, join(d, tool));
  writeFileSync(join(d, 'systemd-bin'), '');
  writeFileSync(join(d, 'other-bin'), '');
  if (opts.sbinInit) symlinkSync(join(d, opts.sbinInit === 'systemd' ? 'systemd-bin' : 'other-bin'), join(d, 'sbin-init'));
  const script = (opts.script ?? BOOT_WAIT)
    .replaceAll('/run/systemd/private', socket)
    .replaceAll('/usr/lib/systemd/systemd', join(d, 'usr-systemd-bin'))
    .replaceAll('/lib/systemd/systemd', join(d, 'systemd-bin'))
    .replaceAll('/sbin/init', join(d, 'sbin-init'));
  for (const path of ['/run/systemd/private', '/lib/systemd/systemd', '/sbin/init']) expect(script).not.toContain(path);
  const argv = ['--pid', '--fork', '--mount-proc', init, '-c', 'sh -c "$0" sh "$@"', script, ...(opts.args ?? [])];
  const r = spawnSync('/usr/bin/unshare', argv, {
    encoding: 'utf8',
    env: { PATH: d },
    timeout: 30_000,
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(d, 'calls'), 'utf8').trim().split('\n');
  } catch {
    /* never called */
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const BUS_DOWN = 'echo "Failed to connect to bus: No such file or directory" >&2; exit 1';

describe.runIf(root)('waiting for the boot in a container (BOOT_WAIT)', () => {
  it('waits for PID 1 to listen with a sleep a time, then asks systemd once to finish basic.target', async () => {
    const r = await bootWait(['exit 0'], { socketAfter: 3 });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(['sleep 0.05', 'sleep 0.05', 'sleep 0.05', 'start basic.target']);
  });

  it('says what it waits for every 5 s while the boot is long (the jobs systemd is running)', async () => {
    const r = await bootWait(['case "$1" in start) /bin/sleep 6 ;; list-jobs) echo "1 ssh.service start waiting" ;; esac; exit 0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('lxcw-progress: waiting for the boot (basic.target), 5 s: ssh.service(waiting)\n');
  }, 20_000);

  it('tries again only while systemctl cannot connect', async () => {
    const r = await bootWait([BUS_DOWN, BUS_DOWN, 'exit 0']);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(['start basic.target', 'sleep 0.05', 'start basic.target', 'sleep 0.05', 'start basic.target']);
  });

  it('reports a boot that fails at once, with what systemctl and the system state say, never starting it again', async () => {
    const r = await bootWait([
      'case "$1" in start) echo "A dependency job for basic.target failed. See \'journalctl -xe\' for details." >&2; exit 1;; *) echo degraded;; esac',
    ]);
    expect(r.code).toBe(1);
    expect(r.calls).toEqual(['start basic.target', 'is-system-running']);
    expect(r.stderr).toBe(
      "basic.target not reached: A dependency job for basic.target failed. See 'journalctl -xe' for details. (degraded)\n",
    );
  });

  it('gives up after 120 s where timeout is at hand, and says so', async () => {
    const r = await bootWait(['case "$1" in is-system-running) echo starting;; esac'], { timeout: 'exit 124' });
    expect(r.code).toBe(1);
    expect(r.calls).toEqual(['timeout 120 systemctl start basic.target', 'is-system-running']);
    expect(r.stderr).toBe('basic.target not reached: 120 s passed (starting)\n');
  });

  it('booted, reads the files named after the DNS marker in the same call, framed for the checks', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lxcw-settle-'));
    dirs.push(d);
    // the marker is there: the DNS servers were written before, /etc/resolv.conf is left alone
    writeFileSync(join(d, 'marker'), '');
    writeFileSync(join(d, 'hosts'), '127.0.0.1 localhost\n');
    const r = await bootWait(['exit 0'], { script: SETTLE, args: [join(d, 'marker'), join(d, 'hosts'), join(d, 'absent')] });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(['start basic.target']);
    expect(r.stdout).toBe(`${join(d, 'hosts')}\u0001\u0001127.0.0.1 localhost\n\u0002\u0002`);
  });

  it('waits all the same when PID 1 is not named systemd yet, as the container boots systemd', async () => {
    // just after lxc-wait, PID 1 may still be "init": the name it was started by
    const r = await bootWait(['exit 0'], { initName: 'init', sbinInit: 'systemd' });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(['start basic.target']);
  });

  it('asks nothing when PID 1 never becomes systemd (an init of its own) nor listens within 10 s', async () => {
    const r = await bootWait(['exit 0'], { initName: 'init', sbinInit: 'systemd', socketAfter: 1000 });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(Array(200).fill('sleep 0.05'));
  });

  it('asks nothing of a container whose init is not systemd', async () => {
    for (const sbinInit of [undefined, 'other'] as const) {
      const r = await bootWait(['exit 1'], { initName: 'init', ...(sbinInit ? { sbinInit } : {}) });
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([]);
    }
  });
});
