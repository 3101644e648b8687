import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../src/process-alive.js';

describe('processAlive: a lock held by a killed process is free', () => {
  it('this process is alive; a PID no process has is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('a zombie (killed, never reaped: a container without init) is not alive', async () => {
    // sh starts `sleep 30` in the background, then becomes `sleep 5`, which never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      expect(processAlive(pid)).toBe(true);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && !/\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(`/proc/${pid}/stat`, 'latin1')).toMatch(/\) Z /);
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
