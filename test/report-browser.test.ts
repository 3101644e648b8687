// The HTML report as a person sees it: rendered by a real headless Chromium (Debian's package),
// with no network, checked through the DOM the browser built and through the pixels of a
// screenshot (kept in test-artifacts/report.png for a human to look at).
//
// The first run may install Chromium (scripts/ensure-chromium.sh, as root, via apt-get): minutes
// of download, hence the long beforeAll timeout. Where it cannot be installed the tests skip and
// say why.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMapping, mapRow } from '../src/map/index.js';
import { openCsvSource } from '../src/source/csv-source.js';
import { REPORT_BAD_CELL_COLOR, ReportCollector, problemColumn, reportMapping, writeReport, type ReportData } from '../src/sinks/report/index.js';
import { emptySummary } from '../src/sinks/summary.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SCREENSHOT = join(ARTIFACTS, 'report.png');
const EVIL = '<script>document.title="pwned"</script>';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let chromium: string | undefined;
let unavailable = '';
let installedByTest = false;
const tmp = mkdtempSync(join(tmpdir(), 'ldi-report-browser-'));

beforeAll(async () => {
  const had = existsSync(process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium');
  const r = await run('sh', [join(ROOT, 'scripts', 'ensure-chromium.sh')], 9 * 60_000);
  if (r.code === 0 && r.stdout.trim() !== '') {
    chromium = r.stdout.trim();
    installedByTest = !had;
    if (installedByTest) console.info(`report-browser: installed Chromium (${chromium}) with apt-get`);
  } else {
    unavailable = `headless Chromium is not available, browser checks of the report skipped: ${r.stderr.trim() || `ensure-chromium.sh exited ${r.code}`}`;
    console.warn(unavailable);
  }
}, 10 * 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs Chromium on a file with a fresh profile, and no way to reach any host. */
async function browse(file: string, extra: string[]): Promise<Run> {
  const profile = mkdtempSync(join(tmp, 'profile-'));
  const r = await run(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      // Every host name fails to resolve: if the page needed the network it would show it.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      '--hide-scrollbars',
      '--force-device-scale-factor=1',
      `--user-data-dir=${profile}`,
      ...extra,
      pathToFileURL(file).href,
    ],
    90_000,
  );
  if (r.code !== 0) throw new Error(`chromium exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r;
}

/**
 * A small CRM export with a few bad rows (one of them hostile), read and mapped by the real source
 * and map stages and fed to the collector the way the pipeline feeds it. Its own file, not
 * samples/contacts.csv, so that edits to the sample cannot break this test.
 */
async function buildReport(): Promise<{ data: ReportData; html: string; path: string }> {
  const csv = join(tmp, 'contacts.csv');
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(
    csv,
    [
      'Contact ID,First Name,Last Name,Email,Mobile Phone,Company,Notes',
      'C-1001,Ada,Lovelace,ada.lovelace@example.com,,Analytical Engines Ltd,Prefers email',
      "C-1002,Seán,O'Brien,sean.obrien@example.org,,Harbour Freight,",
      'C-1003,Zoë,Müller,zoe.mueller@example.com,,Müller & Söhne GmbH,Key account',
      'C-1004,José,García Márquez,jose.garcia@example.com,,,',
      'C-1005,Ngozi,Okonkwo-Adeyemi,ngozi@example.com,,Lagos Trading,',
      `C-1006,Mallory,Hacker,${q(EVIL)},,Evil Corp,`,
      'C-1007,Trudy,Tester,trudy@example.com,555 12,Acme,national number without country code',
      'C-1008,Bob,Stone,bob@@example.com,,,',
      ',,,,,,',
      ',,,,,,only a note',
      'C-1010,Olga,Kuznetsova,olga@example,,Volga Logistics,',
    ].join('\n') + '\n',
  );
  const source = await openCsvSource(csv);
  const mapping = detectMapping(source.header);
  const { mapping: list, ignored } = reportMapping(mapping);
  const collector = new ReportCollector({
    file: 'contacts.csv',
    header: source.header,
    source: source.format,
    dryRun: true,
    mapping: list,
    ignored,
    ...(mapping.preset === undefined ? {} : { preset: mapping.preset }),
  });
  const summary = emptySummary(true, 'contacts.failures.csv');
  try {
    for await (const rec of source.records) {
      summary.rows++;
      if (rec.kind === 'malformed') {
        summary.invalid++;
        summary.failed++;
        summary.byError.malformed_row = (summary.byError.malformed_row ?? 0) + 1;
        collector.problem({ row: rec.row, values: rec.values, code: 'malformed_row', message: rec.message });
        continue;
      }
      if (rec.values.every((v) => v.trim() === '')) {
        summary.skipped++;
        continue;
      }
      const v = mapRow(rec.values, mapping, {});
      if (!v.ok) {
        summary.invalid++;
        summary.failed++;
        summary.byError[v.code] = (summary.byError[v.code] ?? 0) + 1;
        const column = problemColumn(mapping, rec.values, { code: v.code });
        collector.problem({ row: rec.row, values: rec.values, code: v.code, message: v.message, ...(column === undefined ? {} : { column }) });
        continue;
      }
      summary.valid++;
      collector.sample(rec.row, v.contact);
    }
  } finally {
    source.close();
  }
  summary.durationMs = 42;
  const data = collector.finish(summary, new Date('2025-06-01T14:03:07Z'));
  const path = join(tmp, 'report.html');
  writeReport(path, data);
  return { data, html: readFileSync(path, 'utf8'), path };
}

/**
 * One browser run serves both checks: it dumps the DOM and takes the screenshot, since starting
 * Chromium is most of the time (seconds on a small machine).
 */
let rendered: Promise<{ data: ReportData; dom: string }> | undefined;
function renderInBrowser(): Promise<{ data: ReportData; dom: string }> {
  rendered ??= (async () => {
    const { data, path } = await buildReport();
    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    const r = await browse(path, ['--dump-dom', `--screenshot=${SCREENSHOT}`, '--window-size=1280,2000']);
    return { data, dom: r.stdout };
  })();
  return rendered;
}

describe('the HTML report in headless Chromium', () => {
  it('uses no network: no http(s) references in src or href, no scripts, a CSP that forbids fetching', async () => {
    const { html } = await buildReport();
    expect(html).not.toMatch(/\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(|@import|<script|<link|<img|<iframe|<object|<embed/i);
    expect(html).toContain(`default-src 'none'`);
  });

  it('shows the counts and the highlighted problem cells, with hostile content as text', async (ctx) => {
    if (!chromium) ctx.skip(unavailable);
    const { data, dom } = await renderInBrowser();

    // What the browser built: the count tiles…
    expect(dom).toContain(`<dd data-count="rows">${data.summary.rows}</dd>`);
    expect(dom).toContain(`<dd data-count="valid">${data.summary.valid}</dd>`);
    expect(dom).toContain(`<dd data-count="invalid">${data.summary.invalid}</dd>`);
    expect(data.summary.invalid).toBeGreaterThan(0);
    // …the offending cells, highlighted with the reason as their title…
    const bad = [...dom.matchAll(/<td class="bad" title="([^"]*)">([^<]*)<\/td>/g)];
    expect(bad.length).toBeGreaterThanOrEqual(2);
    expect(bad.some((m) => m[2] === '555 12' && m[1]!.startsWith('invalid_phone:'))).toBe(true);
    // …and the script in a cell stayed text: no script element, the title untouched.
    expect(bad.some((m) => m[2] === EVIL.replace(/</g, '&lt;').replace(/>/g, '&gt;'))).toBe(true);
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('<title>Dry-run report: contacts.csv</title>');
  });

  it('saves a screenshot in which the highlighted cells are visible', async (ctx) => {
    if (!chromium) ctx.skip(unavailable);
    await renderInBrowser();
    const png = decodePng(readFileSync(SCREENSHOT));
    expect([png.width, png.height]).toEqual([1280, 2000]);
    // The highlight's colour is used by the bad cells only: enough of it means they are on screen.
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(REPORT_BAD_CELL_COLOR.slice(i, i + 2), 16)) as [number, number, number];
    let hits = 0;
    for (let i = 0; i < png.pixels.length; i += 4) {
      if (Math.abs(png.pixels[i]! - r) <= 3 && Math.abs(png.pixels[i + 1]! - g) <= 3 && Math.abs(png.pixels[i + 2]! - b) <= 3) hits++;
    }
    expect(hits).toBeGreaterThan(2_000);
  });

  it('says whether this run installed Chromium', () => {
    // Not a check of the report: a line in the output for whoever reads the run.
    console.info(chromium ? `report-browser: Chromium ${installedByTest ? 'installed by this test run' : 'was already installed'} at ${chromium}` : unavailable);
  });
});

/** Enough of PNG to read Chromium's screenshots: 8-bit RGB or RGBA, non-interlaced. */
function decodePng(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      pixels.set([cur[x * channels]!, cur[x * channels + 1]!, cur[x * channels + 2]!, channels === 4 ? cur[x * channels + 3]! : 255], (y * width + x) * 4);
    }
    prev.set(cur);
  }
  return { width, height, pixels };
}
