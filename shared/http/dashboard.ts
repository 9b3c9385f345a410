/**
 * The dashboard at `/`: one static page that reads `/api/checks` and `/api/incidents` every 5 s.
 * No build step, no external assets (it must work offline). With a statusToken set, it asks for
 * the token once and keeps it in localStorage.
 */
const PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pagerless</title>
<style>
  :root { color-scheme: light dark; --up: #1a7f37; --down: #cf222e; --degraded: #bf8700; --pending: #6e7781; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  #summary { color: var(--pending); margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
  th { font-weight: 600; font-size: .85rem; color: var(--pending); }
  .state { font-weight: 600; text-transform: uppercase; font-size: .8rem; }
  .up { color: var(--up); } .down { color: var(--down); } .degraded { color: var(--degraded); } .pending { color: var(--pending); }
  .reason { color: var(--pending); max-width: 420px; overflow-wrap: anywhere; }
  form { display: none; gap: .5rem; margin: 1rem 0; } form.show { display: flex; }
  code { font-size: .85rem; }
</style>
</head>
<body>
<h1>Pagerless</h1>
<div id="summary">Loading…</div>
<form id="auth"><label>Status token <input id="token" type="password" autocomplete="off"></label><button>Use token</button></form>
<table id="checks" aria-label="checks">
  <thead><tr><th>Check</th><th>State</th><th>Target</th><th>Latency</th><th>Last result</th><th>Reason</th></tr></thead>
  <tbody></tbody>
</table>
<h2>Incidents</h2>
<table id="incidents" aria-label="incidents">
  <thead><tr><th>Check</th><th>Opened</th><th>Resolved</th><th>Duration</th><th>Reason</th></tr></thead>
  <tbody></tbody>
</table>
<script>
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const ago = (iso) => { if (!iso) return '-'; const s = Math.round((Date.now() - Date.parse(iso)) / 1000); return s < 60 ? s + 's ago' : s < 3600 ? Math.round(s / 60) + 'm ago' : Math.round(s / 3600) + 'h ago'; };
const dur = (s) => s == null ? '-' : s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
async function get(path) {
  const token = localStorage.getItem('pagerless-token');
  const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (res.status === 401) { $('#auth').classList.add('show'); throw new Error('a status token is required'); }
  if (!res.ok) throw new Error(path + ' answered ' + res.status);
  return res.json();
}
async function refresh() {
  try {
    const [{ checks }, { incidents }] = await Promise.all([get('/api/checks'), get('/api/incidents?limit=50')]);
    $('#auth').classList.remove('show');
    const count = (st) => checks.filter((c) => c.state === st).length;
    $('#summary').textContent = checks.length + ' checks: ' + count('up') + ' up, ' + count('down') + ' down, ' + count('degraded') + ' degraded, ' + count('pending') + ' pending · updated ' + new Date().toLocaleTimeString();
    $('#checks tbody').innerHTML = checks.map((c) => {
      const r = Object.values(c.regions).sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
      return '<tr data-check="' + esc(c.check) + '"><td><strong>' + esc(c.check) + '</strong><br><small>' + esc(c.group ?? '') + '</small></td>' +
        '<td class="state ' + esc(c.state) + '">' + esc(c.state) + '</td><td><code>' + esc(c.target) + '</code></td>' +
        '<td>' + (r ? Math.round(r.latencyMs) + ' ms' : '-') + '</td><td>' + ago(r && r.at) + '</td>' +
        '<td class="reason">' + esc(c.incident ? c.incident.reason : r ? r.reason : '') + '</td></tr>';
    }).join('');
    $('#incidents tbody').innerHTML = incidents.length ? incidents.map((i) =>
      '<tr><td>' + esc(i.check) + '</td><td>' + esc(new Date(i.openedAt).toLocaleString()) + '</td>' +
      '<td class="' + (i.resolvedAt ? 'up' : 'down') + '">' + (i.resolvedAt ? esc(new Date(i.resolvedAt).toLocaleString()) : 'open') + '</td>' +
      '<td>' + dur(i.durationSeconds) + '</td><td class="reason">' + esc(i.reason) + '</td></tr>').join('')
      : '<tr><td colspan="5">No incidents.</td></tr>';
  } catch (err) {
    $('#summary').textContent = 'Cannot load: ' + err.message;
  }
}
$('#auth').addEventListener('submit', (e) => { e.preventDefault(); localStorage.setItem('pagerless-token', $('#token').value); refresh(); });
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`;

export function dashboardHtml(): string {
  return PAGE;
}
