import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../infra/paths';
import { stopChild } from './temporal-server';

/**
 * How each service's process runs, beyond its environment (docs/OPERATIONS.md gives the same
 * command lines to operators). The worker: V8's young generation capped at 2 MiB a semi-space
 * instead of 16 (the main thread's and the workflow thread's), and glibc's allocator held to two
 * arenas; at 2,000 open dossiers (a cache of 500) it holds 285 MiB instead of 441, for the same
 * CPU per workflow task (docs/PERFORMANCE.md, "Worker memory, session 14"). Its old generation
 * grows by a quarter at most between full collections, where V8 lets it grow up to four times:
 * a month's wake-up through it peaks at 300 MiB instead of 410 (session 17).
 */
const SERVICE_RUNTIME: Record<string, { nodeFlags: string[]; env: NodeJS.ProcessEnv }> = {
  'worker/main.ts': {
    nodeFlags: ['--max-semi-space-size=2', '--heap-growing-percent=25'],
    env: { MALLOC_ARENA_MAX: '2' },
  },
};

/**
 * Runs a TypeScript entry point as a child process and restarts it with back-off when it dies,
 * as a process supervisor would in production.
 */
export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (msg: string) => void,
    /** Where the child's output lines go (default: this process's stdout, prefixed by the name). */
    private readonly output: (line: string) => void = (line) => process.stdout.write(`[${name}] ${line}\n`),
  ) {}

  start(): void {
    this.startedAt = Date.now();
    // Through the bootstrap, as an operator runs it: the services' entry points run compiled.
    const runtime = SERVICE_RUNTIME[this.entry];
    const args = [
      ...(runtime?.nodeFlags ?? []),
      join(ROOT, 'scripts/bootstrap.mjs'),
      this.entry,
      ...this.args,
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...runtime?.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', this.output);
    }
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      // A child that ran a minute is healthy again: reset the back-off.
      if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
      const delay = Math.min(30_000, 1000 * 2 ** this.restarts++);
      this.log(`${this.name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      setTimeout(() => !this.stopping && this.start(), delay);
    });
  }

  /** The running child's process id (benchmarks read its memory). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kill the running child with a signal (fault tests); the supervisor restarts it as usual. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child) await stopChild(this.child, 15_000);
  }
}
