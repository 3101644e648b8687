// The stand-in as its own process, for the benchmarks: started with `livedesk-import standin`,
// resolved once it prints the URL it listens on.
import { spawn } from 'node:child_process';

/** Starts `node BIN standin ARGS…` with `env`; resolves with the child and its URL. */
export async function spawnStandin(bin, args, env) {
  const child = spawn(process.execPath, [bin, 'standin', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stand-in did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`the stand-in exited ${code}: ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return { child, url };
}
