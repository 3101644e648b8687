// Whether the process holding a lock (ours: an output file's, the state store's) still runs.
import { readFileSync } from 'node:fs';

/**
 * True when process `pid` exists and has not exited. A process killed while its parent is gone
 * stays a zombie until PID 1 reaps it, and in a container whose PID 1 does not (no init) that can
 * be for ever: kill(pid, 0) still succeeds, but it holds nothing, so on Linux its state in
 * /proc/<pid>/stat ('Z' or 'X') counts as gone. EPERM: it runs under another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !exited(pid);
}

function exited(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) S …": comm may hold spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}
