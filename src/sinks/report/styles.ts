// The report page's style sheet, inline in the page (the CSP allows inline styles and nothing else).

/** The highlighted cell's background: used nowhere else on the page, so a screenshot can find it. */
export const REPORT_BAD_CELL_COLOR = '#ffc9c2';

/** The page's style sheet, inlined in a <style> element. */
export const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--good:#1a7f37;--bad:#b3261e;--send:#6639ba;--badbg:#ffe3e0;--cellbad:${REPORT_BAD_CELL_COLOR}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 4px;word-break:break-all}
h2{font-size:1.2rem;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0}
.banner{margin:14px 0 0;padding:10px 14px;border-radius:6px;background:#fff8c5;border:1px solid #d4a72c}
.banner.stopped{background:var(--badbg);border-color:var(--bad)}
code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:20px 0 0;padding:0}
.tile{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--soft);display:flex;flex-direction:column-reverse}
.tile dt{color:var(--muted);font-size:.9rem}
.tile dd{margin:0;font-size:2rem;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.15}
.tile.good dd{color:var(--good)}
.tile.bad{border-color:var(--bad);background:var(--badbg)}
.tile.bad dd{color:var(--bad)}
.tile.muted dd{color:var(--muted)}
.chart{max-width:100%;height:auto;display:block}
.chart .label{font:13px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;fill:var(--fg)}
.chart .count{font:600 13px system-ui,"DejaVu Sans",sans-serif;fill:var(--fg)}
.chart .data rect{fill:var(--bad)}
.chart .send rect{fill:var(--send)}
.legend{color:var(--muted);font-size:.9rem}
.key{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-left:10px}
.key.data{background:var(--bad)}.key.send{background:var(--send)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
.facts div{display:contents}
.facts dt{color:var(--muted)}
.facts dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%}
caption{text-align:left;color:var(--muted);font-size:.9rem;padding-bottom:6px}
th,td{border:1px solid var(--line);padding:6px 9px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
.colname{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 5px;white-space:pre-wrap}
.samples{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px}
.samples li{background:#ddf4ff;border-radius:4px;padding:0 6px;white-space:pre-wrap;word-break:break-all}
.muted,.ignored{color:var(--muted)}
.scroll{overflow-x:auto}
.scroll:focus{outline:2px solid #0969da}
/* Fit the page width by wrapping; scroll sideways only when the columns cannot shrink further. */
.problems{font-size:.9rem}
/* anywhere: one long unbroken cell (200 characters of junk) must not make its column page-wide. */
.problems td{min-width:6em;white-space:pre-wrap;overflow-wrap:anywhere}
.problems .rownum{font-variant-numeric:tabular-nums;text-align:right;background:var(--soft)}
.problems td.bad{min-width:10em;background:var(--cellbad);color:#82071e;font-weight:700;box-shadow:inset 0 0 0 2px var(--bad)}
.problems td.reason{min-width:14em;max-width:24em;background:#fffdf5}
.problems .where{display:block;color:var(--muted);font-size:.85rem}
.note{padding:8px 12px;background:#ddf4ff;border-left:4px solid #0969da;border-radius:4px}
.none{color:var(--good);font-weight:600}
footer{margin-top:40px;color:var(--muted);font-size:.85rem}
`;
