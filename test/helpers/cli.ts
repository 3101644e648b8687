// Runs the built CLI as a child process, the way a person or a cron job does.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist', 'bin.js');
export const KEY = 'it-key-7f3a9c';
export const SECRET = 'it-secret-Q2w9Zr';
export const CREDS = { LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: SECRET };

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * A state store of its own for every CLI run (XDG_STATE_HOME in a fresh folder), unless the test
 * names one: runs in a test then decide against the stand-in as without a store, and no test reads
 * another's store (or the machine's). Tests of the store pass XDG_STATE_HOME or --state.
 */
function isolatedState(): NodeJS.ProcessEnv {
  return { XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'ldi-state-')) };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000, cwd?: string): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith('LIVEDESK_')) delete base[k];
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...isolatedState(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export function tempDir(prefix = 'ldi-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeCsv(dir: string, name: string, rows: string[][]): string {
  const p = join(dir, name);
  writeFileSync(p, rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n');
  return p;
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A CSV file as header + objects keyed by header. */
export function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  const records = parse(readFileSync(path), { bom: true }) as string[][];
  const [header = [], ...data] = records;
  return { header, rows: data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

/** n distinct valid contacts: name, email, phone, identifier. */
export function people(n: number, start = 1): string[][] {
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return [`Person ${i}`, `person${i}@example.com`, `+1415555${String(i).padStart(4, '0')}`, `crm-${i}`];
  });
}

/** Starts the CLI and returns the child, for tests that signal or kill it mid-run. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { child: import('node:child_process').ChildProcess; done: Promise<CliRun> } {
  const started = performance.now();
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('LIVEDESK_')) delete base[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...isolatedState(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr, ms: performance.now() - started }));
  });
  return { child, done };
}

export async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
