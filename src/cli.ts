import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, UserError } from './core/errors.js';
import { COMMANDS, GLOBAL_OPTIONS, commandHelp, mainHelp, type CommandName } from './commands/table.js';
import { Output } from './commands/output.js';
import type { FlagValues, Io } from './commands/types.js';
import { runCleanup } from './process/cleanup.js';

/**
 * Arguments, dispatch and exit codes. Only what a command needs is imported, when it is needed:
 * `--version` and `--help` load nothing else, and no command here loads Ink.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const out = new Output(io, argv.includes('--no-color'));
  out.json = argv.includes('--json');
  try {
    return await dispatch(argv, io, out);
  } catch (err) {
    return out.fail(err);
  } finally {
    // Whatever the path: SSH connections closed, the terminal restored.
    await runCleanup();
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(argv: string[]): { values: FlagValues; positionals: string[] } {
  const options: Options = { ...GLOBAL_OPTIONS };
  for (const c of Object.values(COMMANDS)) Object.assign(options, c.options);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw usage((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), undefined);
  }
  // A flag given twice is a mistake (which one did the operator mean?), unless it is a list.
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw usage(`--${t.name} is given more than once`, undefined, `give --${t.name} once`);
    seen.add(t.name);
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals };
}

async function dispatch(argv: string[], io: Io, out: Output): Promise<number> {
  const { values, positionals } = parse(argv);
  // `lxc-wizard --yes --pillar FILE` is the provisioning run (the seed's one-liner); with no
  // command and no --yes, the wizard (which refuses without a terminal).
  const [name, ...args] = positionals.length === 0 && !values.help && !values.version ? [values.yes ? 'provision' : 'wizard'] : positionals;
  if (values.version) {
    io.stdout(`${version()}\n`);
    return ExitCode.OK;
  }
  if (name === undefined) {
    if (!values.help) throw usage('no command given', undefined, 'run `lxc-wizard --help`');
    io.stdout(mainHelp());
    return ExitCode.OK;
  }
  if (name === 'help') {
    const topic = args[0];
    io.stdout(topic && Object.hasOwn(COMMANDS, topic) ? commandHelp(topic as CommandName) : mainHelp());
    return ExitCode.OK;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    const { didYouMean } = await import('./core/naming.js');
    const guess = didYouMean(name, Object.keys(COMMANDS));
    throw usage(
      `unknown command '${name}'`,
      undefined,
      guess ? `did you mean \`lxc-wizard ${guess}\`?` : 'run `lxc-wizard --help` for the commands',
    );
  }
  const cmd = name as CommandName;
  const spec = COMMANDS[cmd];
  if (values.help) {
    io.stdout(commandHelp(cmd));
    return ExitCode.OK;
  }
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(GLOBAL_OPTIONS, key) && !Object.hasOwn(spec.options, key)) throw usage(`--${key} does not apply to \`${cmd}\``, cmd);
  }
  const variadic = (spec as { variadic?: string }).variadic !== undefined;
  if (args.length < spec.args.length || (!variadic && args.length > spec.args.length)) {
    const missing = spec.args.slice(args.length);
    throw usage(missing.length ? `missing ${missing.join(' and ')}` : `too many arguments: ${args.slice(spec.args.length).join(' ')}`, cmd);
  }
  const mod = await spec.load();
  return mod.run({ args, values, io, out });
}

function usage(message: string, cmd: CommandName | undefined, hint?: string): UserError {
  return new UserError(message, {
    exitCode: ExitCode.USAGE,
    where: cmd ? { field: `lxc-wizard ${cmd}` } : undefined,
    hint: hint ?? (cmd ? `usage: ${COMMANDS[cmd].usage} (see \`lxc-wizard ${cmd} --help\`)` : 'run `lxc-wizard --help`'),
  });
}

/** Set by the bundler; the unbundled build (tests) reads package.json instead. */
declare const LXC_WIZARD_VERSION: string | undefined;

function version(): string {
  if (typeof LXC_WIZARD_VERSION === 'string') return LXC_WIZARD_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
  };
}
