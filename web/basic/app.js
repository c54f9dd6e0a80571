// The plain hunting page: type KQL, Shift+Enter runs it through the same API scripts use.
const $ = (id) => document.getElementById(id);
const EXAMPLES = [
  ['Rare user agents', "DeviceNetworkEvents\n| where ActionType == 'HttpConnectionInspected'\n| extend json = todynamic(AdditionalFields)\n| extend direction = tostring(json.direction), user_agent = tostring(json.user_agent)\n| where direction == 'Out'\n| summarize Devices = dcount(DeviceId) by user_agent\n| sort by Devices asc"],
  ['SSH brute force', "DeviceNetworkEvents\n| where ActionType == 'SshConnectionInspected'\n| extend json = todynamic(AdditionalFields)\n| extend direction=tostring(json.direction), auth_attempts = toint(json.auth_attempts), auth_success=tostring(json.auth_success)\n| where auth_success=='false'\n| where auth_attempts > 3\n| summarize count() by LocalIP, RemoteIP\n| where count_ > 4\n| sort by count_ desc"],
  ['Ping sweep', "DeviceNetworkEvents\n| where ActionType == \"IcmpConnectionInspected\"\n| extend json = todynamic(AdditionalFields)\n| extend Direction = json.direction\n| where Direction == \"Out\" and ipv4_is_private(RemoteIP)\n| summarize IpsList = make_set(RemoteIP) by DeviceId, bin(Timestamp, 10m)\n| where array_length(IpsList) > 5"],
];
for (const [name, q] of EXAMPLES) {
  const o = document.createElement('option');
  o.textContent = name;
  o.value = q;
  $('examples').append(o);
}
$('examples').addEventListener('change', (e) => { if (e.target.value) $('query').value = e.target.value; });
const fromUrl = new URLSearchParams(location.search).get('query');
if (fromUrl) $('query').value = fromUrl;

function cell(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

async function run() {
  const query = $('query').value;
  $('error').textContent = '';
  $('status').textContent = 'Running…';
  const t0 = performance.now();
  try {
    const res = await fetch('/api/advancedqueries/run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Query: query }) });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    const table = $('results');
    table.textContent = '';
    const head = table.createTHead().insertRow();
    for (const s of body.Schema) { const th = document.createElement('th'); th.textContent = s.Name; th.title = s.Type; head.append(th); }
    const tbody = table.createTBody();
    for (const row of body.Results.slice(0, 5000)) {
      const tr = tbody.insertRow();
      for (const s of body.Schema) { const td = tr.insertCell(); td.textContent = cell(row[s.Name]); td.title = td.textContent; }
    }
    const shown = Math.min(body.Results.length, 5000);
    $('status').textContent = `${body.Results.length} rows${shown < body.Results.length ? ` (first ${shown} shown)` : ''} · ${Math.round(performance.now() - t0)} ms`;
  } catch (err) {
    $('status').textContent = '';
    $('error').textContent = err.message;
  }
}
$('run').addEventListener('click', run);
$('query').addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.shiftKey) { e.preventDefault(); run(); } });
