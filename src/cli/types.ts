/** A CLI command: one file each under src/cli/commands/, exporting `command`. */
export interface Command {
  name: string;
  /** One line for `wirehunt --help`. */
  summary: string;
  /** Full text for `wirehunt <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad arguments (printed without a stack). */
  run(argv: string[]): Promise<number>;
}

/** An error the user caused (bad flag, unreadable file, bad query): one clear line, no stack trace. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

/**
 * DuckDB's errors about the machine rather than the program (a full disk, memory), as one line: the
 * statement that met them was rolled back and everything committed before it is kept.
 */
export function environmentError(err: unknown): string | undefined {
  const msg = err instanceof Error ? err.message.split('\n')[0]! : '';
  let m = /^IO Error: (.*)$/.exec(msg);
  if (m) return `${m[1]} (the store keeps what was committed before; free space or fix the file, then run the same command again)`;
  m = /^Out of Memory Error: (.*)$/.exec(msg);
  if (m) return `out of memory: ${m[1]}`;
  return undefined;
}
