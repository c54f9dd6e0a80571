import { UserError, environmentError, type Command } from './types.js';
import { CaptureError } from '../capture/types.js';

// Commands load lazily so that `wirehunt zeek` never pays for DuckDB or the Kusto service.
const COMMANDS: Record<string, { summary: string }> = {
  zeek: { summary: 'write Zeek logs for a capture' },
  ingest: { summary: 'load captures, Zeek logs or Defender exports into the store' },
  query: { summary: 'run a KQL query against the store' },
  serve: { summary: 'serve the web UI and the HTTP API' },
  demo: { summary: 'generate the demo capture, ingest it and serve it' },
  detect: { summary: 'run the detection rules that are due' },
  rules: { summary: 'manage detection rules' },
  lint: { summary: 'check a KQL query for retired or risky constructs' },
  sensor: { summary: 'capture live traffic on this host into the store' },
};

function topHelp(): string {
  const lines = ['usage: wirehunt <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', "run 'wirehunt <command> --help' for a command's options");
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    console.log('wirehunt 0.1.0');
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new UserError(`unknown command '${name}'\n${topHelp()}`);
  let mod: { command: Command };
  try {
    mod = (await import(new URL(`./commands/${name}.js`, import.meta.url).href)) as { command: Command };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(`commands/${name}.js`)) {
      throw new UserError(`'${name}' is not available in this build yet`, 1);
    }
    throw err;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(mod.command.usage);
    return 0;
  }
  return mod.command.run(rest);
}

// Output piped into a reader that stops early (`wirehunt query … | head`): stop quietly, as other
// command-line tools do, instead of failing on the broken pipe with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const env = environmentError(err);
    if (err instanceof UserError || err instanceof CaptureError) {
      console.error(`wirehunt: ${err.message}`);
      process.exitCode = err instanceof UserError ? err.exitCode : 1;
    } else if (env) {
      console.error(`wirehunt: ${env}`);
      process.exitCode = 1;
    } else {
      console.error('wirehunt: internal error (please report):', err);
      process.exitCode = 70;
    }
  },
);
