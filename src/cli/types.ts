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
