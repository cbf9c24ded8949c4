import { readFileSync, readdirSync } from 'node:fs';

// CPU time read from /proc: where the time of a benchmark's operations goes, whose process it is.

/**
 * User + system CPU (ms) of a /proc stat file, 0 where it is missing: utime and stime are the
 * 12th and 13th fields after the command name, in ticks of 1/100 s.
 */
function statCpuMs(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
  } catch {
    return 0;
  }
}

/** CPU time (ms) a process has used so far, all threads; 0 where /proc is missing. */
export const processCpuMs = (pid: number | undefined): number =>
  pid === undefined ? 0 : statCpuMs(`/proc/${pid}/stat`);

/** CPU time (ms) of a process's main thread (JavaScript: HTTP, clients, codec) and of its other threads. */
function threadsCpuMs(pid: number | undefined): { main: number; others: number } {
  if (pid === undefined) return { main: 0, others: 0 };
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main: 0, others: 0 };
  }
  const main = statCpuMs(`/proc/${pid}/task/${pid}/stat`);
  const all = tids.reduce((t, tid) => t + statCpuMs(`/proc/${pid}/task/${tid}/stat`), 0);
  return { main, others: all - main };
}

/** The PostgreSQL server's processes on this machine (the postmaster and its backends). */
function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU spent during a phase, per operation: the Temporal server's, PostgreSQL's, and ours (this
 * process, and the worker and API processes when they run apart). Where the time of an operation
 * goes. PostgreSQL backends that end during the phase are not counted (the pools keep theirs).
 */
export function cpuMeter(temporalPid: number | undefined, ourPids: () => (number | undefined)[]) {
  const read = () => {
    const pids = [process.pid, ...ourPids()];
    const threads = pids.map(threadsCpuMs);
    return {
      temporal: processCpuMs(temporalPid),
      node: pids.reduce<number>((t, pid) => t + processCpuMs(pid), 0),
      // Threads that ended are in their process's total only: their CPU stays in `node`.
      main: threads.reduce((t, x) => t + x.main, 0),
      threads: threads.reduce((t, x) => t + x.others, 0),
      postgres: postgresPids().reduce((t, pid) => t + processCpuMs(pid), 0),
    };
  };
  return {
    start() {
      const from = read();
      return (name: string, ops: number): Record<string, number> => {
        const to = read();
        return {
          [`${name}_cpu_node_ms`]: (to.node - from.node) / ops,
          // Of which: main threads (HTTP, PostgreSQL and Temporal clients, codec), and the others
          // (workflow activations in worker threads, the SDK's core, garbage collection).
          [`${name}_cpu_node_main_ms`]: (to.main - from.main) / ops,
          [`${name}_cpu_node_threads_ms`]: Math.max(0, to.threads - from.threads) / ops,
          [`${name}_cpu_temporal_ms`]: (to.temporal - from.temporal) / ops,
          // A pool's backend ending takes its CPU out of the sum: never below zero.
          [`${name}_cpu_postgres_ms`]: Math.max(0, to.postgres - from.postgres) / ops,
        };
      };
    },
  };
}
