/**
 * The web view's style sheet.
 *
 * @internal
 */
export const style = String.raw`
:root {
  --ink: #1d2433; --muted: #5b6475; --faint: #8a93a5; --line: #e2e6ee; --bg: #f5f7fa; --card: #ffffff;
  --blue: #3566d6; --green: #23985a; --red: #d23f3f; --amber: #c98500; --grey: #8a93a5; --violet: #8461cf;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; font-size: 14px; line-height: 1.45; }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
header.top { display: flex; align-items: center; gap: 22px; padding: 10px 24px; background: var(--ink); color: #fff; }
header.top .brand { color: #fff; font-weight: 700; font-size: 18px; letter-spacing: 0.5px; }
header.top nav { display: flex; gap: 16px; }
header.top nav a { color: #c9d2e3; }
header.top nav a.active { color: #fff; font-weight: 600; }
.live { margin-left: auto; font-size: 12px; color: #c9d2e3; }
.live.on::before { content: "\25CF"; color: #4cd38a; margin-right: 5px; }
.live.off::before { content: "\25CB"; color: #c9d2e3; margin-right: 5px; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 60px; }
h1 { font-size: 20px; margin: 4px 0 14px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
.row { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.grow { flex: 1 1 420px; min-width: 0; }
.toolbar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 12px; }
label.inline { display: inline-flex; gap: 6px; align-items: center; color: var(--muted); }
select, input, textarea, button { font: inherit; }
select, input[type=text], input[type=number], input[type=password], textarea {
  border: 1px solid #cdd3df; border-radius: 6px; padding: 5px 8px; background: #fff; color: var(--ink);
}
textarea { width: 100%; min-height: 90px; }
button { border: 1px solid #cdd3df; background: #fff; border-radius: 6px; padding: 5px 12px; cursor: pointer; color: var(--ink); }
button:hover { background: #f0f3f8; }
button.primary { background: var(--blue); border-color: var(--blue); color: #fff; }
button.primary:hover { background: #2b57bd; }
button.danger { color: var(--red); border-color: #e8b4b4; }
button:disabled { opacity: 0.5; cursor: default; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.4px; }
th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: none; }
td.error-cell { color: var(--red); max-width: 380px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.badge.queued { background: #eef0f4; color: var(--muted); }
.badge.running { background: #e7eefc; color: var(--blue); }
.badge.running::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: var(--blue); margin-right: 5px; animation: pulse 1s infinite; }
.badge.suspended { background: #fff3d9; color: #9a6600; }
.badge.paused { background: #f1e8fb; color: #6b3fa0; }
.badge.completed { background: #e3f5ea; color: var(--green); }
.badge.failed { background: #fbe6e6; color: var(--red); }
.badge.cancelled { background: #eceef2; color: #5b6475; text-decoration: line-through; }
@keyframes pulse { 0% { opacity: 1; } 50% { opacity: 0.3; } 100% { opacity: 1; } }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; align-items: center; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
.error-box { border: 1px solid #efc2c2; background: #fdf3f3; color: #8d1f1f; border-radius: 8px; padding: 10px 14px; margin-bottom: 16px; }
.error-box .tag { font-weight: 700; margin-right: 6px; }
.notice { border: 1px solid #f1d9a6; background: #fffaf0; border-radius: 8px; padding: 10px 14px; margin-bottom: 16px; }
.timeline { display: grid; grid-template-columns: minmax(160px, 280px) 1fr; gap: 0; }
.timeline .label { padding: 6px 8px 6px 0; border-bottom: 1px solid var(--line); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; cursor: pointer; }
.timeline .label .key { font-weight: 600; }
.timeline .track { position: relative; border-bottom: 1px solid var(--line); min-height: 32px; cursor: pointer; overflow: hidden; }
.timeline .bar { position: absolute; top: 8px; height: 16px; border-radius: 4px; min-width: 3px; background: var(--green); }
.timeline .bar.skipped { background: repeating-linear-gradient(45deg, #c3c9d5, #c3c9d5 4px, #e2e6ee 4px, #e2e6ee 8px); }
.timeline .bar.fallback { background: var(--amber); }
.timeline .bar.failed { background: var(--red); }
.timeline .bar.active { background: var(--blue); animation: pulse 1s infinite; }
.timeline .bar.waiting { background: repeating-linear-gradient(45deg, #f3c25b, #f3c25b 5px, #fbe3ad 5px, #fbe3ad 10px); }
.timeline .axis-label { border-bottom: 1px solid var(--line); padding: 2px 0; font-size: 11.5px; }
.timeline .axis { display: flex; justify-content: space-between; border-bottom: 1px solid var(--line); padding: 2px 0; font-size: 11.5px; }
.timeline .bar.retried { box-shadow: inset 0 0 0 2px #ffd36b; }
.timeline .info { position: absolute; top: 7px; font-size: 12px; color: var(--muted); white-space: nowrap; }
.timeline .info.inside { background: rgba(255, 255, 255, 0.85); border-radius: 3px; padding: 0 5px; top: 8px; line-height: 16px; }
.timeline .retry { color: #9a6600; font-weight: 600; margin-left: 6px; }
.timeline .err-line { padding: 30px 0 6px; color: var(--red); font-size: 12.5px; }
.timeline .err-line .tag { font-weight: 700; }
.timeline .detail { grid-column: 1 / 3; background: #fafbfd; border-bottom: 1px solid var(--line); padding: 8px 12px; }
.timeline .detail pre { margin: 4px 0; white-space: pre-wrap; word-break: break-word; }
pre.json { background: #fafbfd; border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 520px; margin: 0; white-space: pre-wrap; word-break: break-word; }
form.schema fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 8px 12px; }
form.schema legend { color: var(--muted); font-size: 12px; }
form.schema .field { display: grid; grid-template-columns: minmax(110px, max-content) 1fr; gap: 8px; align-items: center; margin: 6px 0; }
form.schema .field > label { color: var(--ink); font-weight: 500; }
form.schema .field input[type=checkbox] { justify-self: start; width: 18px; height: 18px; }
form.schema .field .req { color: var(--red); margin-left: 2px; }
form.schema .field.invalid input, form.schema .field.invalid select, form.schema .field.invalid textarea { border-color: var(--red); background: #fff6f6; }
form.schema .field .hint { grid-column: 2; color: var(--red); font-size: 12px; }
form.schema .actions { margin-top: 10px; display: flex; gap: 10px; align-items: center; }
.form-error { color: var(--red); margin-top: 8px; white-space: pre-wrap; }
details { margin: 6px 0; }
details > summary { cursor: pointer; color: var(--muted); }
details > pre.json { margin-top: 6px; }
.diagram { overflow: auto; text-align: center; background: #fff; }
.diagram svg { max-width: 100%; height: auto; }
.kv { display: flex; flex-wrap: wrap; gap: 6px; }
.kv code { background: #eef1f6; padding: 1px 6px; border-radius: 4px; }
.empty { color: var(--faint); padding: 18px 0; text-align: center; }
.more { margin-top: 10px; text-align: center; }
.scroll { overflow-x: auto; }
a.button { display: inline-block; border: 1px solid #cdd3df; background: #fff; border-radius: 6px; padding: 5px 12px; color: var(--ink); }
a.button:hover { background: #f0f3f8; text-decoration: none; }
ul.forks { margin: 0; padding-left: 22px; }
ul.forks li { padding: 3px 0; overflow-wrap: anywhere; }
.state-after pre.json { max-height: 320px; overflow: auto; }
form.fork-form { border-top: 1px solid var(--line); margin-top: 8px; padding-top: 6px; }
form.fork-form h3 { font-size: 14px; margin: 4px 0; }
form.fork-form .field input, form.fork-form .field select, form.fork-form .field textarea { min-width: 0; max-width: 100%; box-sizing: border-box; }
ol.history { margin: 0; padding-left: 22px; }
ol.history li { padding: 3px 0; overflow-wrap: anywhere; }
ol.history li[data-kind="Ended"], ol.history li[data-kind="Cancelled"] { font-weight: 600; }
.big { font-size: 28px; font-weight: 700; margin: 4px 0; }
svg.chart { width: 100%; max-width: 420px; height: auto; display: block; }
svg.chart .chart-label, svg.chart .chart-count { font-size: 12px; fill: var(--muted); }
svg.chart .bar { fill: var(--grey); }
svg.chart .bar-running { fill: var(--blue); }
svg.chart .bar-suspended { fill: var(--amber); }
svg.chart .bar-completed { fill: var(--green); }
svg.chart .bar-failed { fill: var(--red); }
.selection { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
input#filter-where { min-width: 260px; }
/* a narrow screen (a phone: 390 px): the header wraps, cards and tables fit or scroll, nothing overlaps */
@media (max-width: 640px) {
  header.top { flex-wrap: wrap; gap: 8px 16px; padding: 8px 12px; }
  header.top nav { flex-wrap: wrap; gap: 10px; }
  .live { margin-left: 0; }
  main { padding: 12px 10px 40px; }
  .card { padding: 10px; }
  .grow { flex-basis: 100%; }
  input#filter-where { min-width: 0; width: 100%; }
  .toolbar label.inline { flex-wrap: wrap; }
  td.error-cell { max-width: 160px; }
  .timeline { grid-template-columns: minmax(90px, 130px) 1fr; }
  .timeline .info { display: none; }
  .meta { grid-template-columns: max-content minmax(0, 1fr); }
  .meta dd { overflow-wrap: anywhere; }
  form.schema .field { grid-template-columns: 1fr; }
  form.schema .field .hint { grid-column: 1; }
  h1 code { overflow-wrap: anywhere; }
}
`
