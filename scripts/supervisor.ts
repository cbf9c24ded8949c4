import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from '../infra/paths';
import { stopChild } from './temporal-server';

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
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry, ...this.args], {
      cwd: ROOT,
      env: this.env,
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
