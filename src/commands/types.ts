import type { Io, Output } from './output.js';

export type { Io };

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** What the CLI hands a command: its arguments and flags as parsed, where to print. */
export interface CommandInput {
  args: string[];
  values: FlagValues;
  io: Io;
  out: Output;
}

/** A command adapter: turn the input into a use case's typed options, call it, print. */
export interface CommandModule {
  run(input: CommandInput): Promise<number>;
}
