// The admin page's script (web/admin.html). A file of its own: the page's CSP allows no inline script.
// Server text (visitors' questions above all) is only ever set with textContent, never parsed as markup.
(() => {
  'use strict';

  const KEY = 'kinabot-admin-token';
  const SVG = 'http://www.w3.org/2000/svg';
  const LANGS = { sv: 'Swedish', zh: 'Chinese', en: 'English' };
  const COLORS = { answered: '#005a87', miss: '#c2570c', grid: '#dde2e6', text: '#545b62' };
  const STATES = { none: 'none yet', started: 'starting', running: 'running', done: 'done', failed: 'failed' };
  const WRONG_TOKEN = 'Wrong token: the service did not accept it. Please enter it again.';
  const POLL_MS = 1000;
  const PERIOD_DAYS = 30;

  let token = null; // in memory; in sessionStorage too only when "remember for this tab" is ticked
  let reportSeq = 0; // so a slow answer for an older period cannot overwrite a newer one
  let pollTimer = null;
  let lastBuild = null;

  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // ---------------------------------------------------------------- talking to the service

  async function api(path, options = {}) {
    if (!token) throw new AuthError('signed out');
    let response;
    try {
      response = await fetch(path, {
        ...options,
        headers: { ...(options.headers || {}), Authorization: 'Bearer ' + token },
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(0, 'offline', 'Could not reach the service. Check the connection and try again.');
    }
    if (response.status === 401) throw new AuthError('unauthorized');
    if (!response.ok) {
      let code = 'http_error';
      let message = `The service answered with status ${response.status}.`;
      try {
        const body = await response.json();
        if (body && body.error) {
          code = String(body.error.code || code);
          message = String(body.error.message || message);
        }
      } catch (e) {
        // not JSON: keep the generic message
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }

  function fail(error, area) {
    if (error instanceof AuthError) {
      if (token) signOut(WRONG_TOKEN);
      return;
    }
    $(area + '-error').textContent = error && error.message ? error.message : 'Something went wrong.';
    $(area + '-status').textContent = '';
  }

  // ---------------------------------------------------------------- signing in and out

  function signOut(message) {
    token = null;
    stopPolling();
    try {
      sessionStorage.removeItem(KEY);
    } catch (e) {
      // storage blocked: nothing was kept there either
    }
    $('app').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('token').value = '';
    $('token').focus();
  }

  async function signIn(given, remember) {
    // A header cannot carry other characters, and no valid token has them.
    if (!/^[\x21-\x7e]+$/.test(given)) {
      $('signin-error').textContent = WRONG_TOKEN;
      return;
    }
    token = given;
    $('signin-button').disabled = true;
    $('signin-error').textContent = '';
    let status;
    try {
      status = await (await api('/admin/api/rebuild')).json(); // cheap, and checks the token
    } catch (e) {
      token = null;
      try {
        sessionStorage.removeItem(KEY);
      } catch (err) {
        // ignore
      }
      $('signin-error').textContent = e instanceof AuthError ? WRONG_TOKEN : e.message;
      $('token').value = '';
      $('token').focus();
      return;
    } finally {
      $('signin-button').disabled = false;
    }
    try {
      if (remember) sessionStorage.setItem(KEY, token);
      else sessionStorage.removeItem(KEY);
    } catch (e) {
      // storage blocked: the token stays in memory only
    }
    $('token').value = '';
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    showBuild(status);
    if (status.state === 'running') follow(null);
    loadReport();
    loadDocuments();
  }

  // ---------------------------------------------------------------- the report

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function defaultPeriod() {
    // The report counts UTC days, so "today" is today in UTC.
    const until = new Date();
    const since = new Date(until.getTime() - (PERIOD_DAYS - 1) * 86400000);
    $('since').value = isoDay(since);
    $('until').value = isoDay(until);
  }

  function period(area) {
    const since = $('since').value;
    const until = $('until').value;
    if (!since || !until) {
      $(area + '-error').textContent = 'Choose both dates.';
      return null;
    }
    if (since > until) {
      $(area + '-error').textContent = 'The first date must not be after the second.';
      return null;
    }
    return { since, until };
  }

  function reportUrl(p) {
    return `/admin/api/report?since=${encodeURIComponent(p.since)}&until=${encodeURIComponent(p.until)}`;
  }

  async function loadReport() {
    $('report-error').textContent = '';
    const p = period('report');
    if (!p) return;
    const seq = ++reportSeq;
    $('report-status').textContent = 'Loading the report…';
    try {
      const report = await (await api(reportUrl(p))).json();
      if (seq !== reportSeq) return;
      renderReport(report);
      $('report-status').textContent = `Showing ${report.since} to ${report.until}.`;
    } catch (e) {
      if (seq === reportSeq) fail(e, 'report');
    }
  }

  async function downloadCsv() {
    $('report-error').textContent = '';
    const p = period('report');
    if (!p) return;
    const button = $('csv');
    button.disabled = true;
    $('report-status').textContent = 'Preparing the CSV file…';
    try {
      // fetch rather than a plain link, which could not send the Authorization header
      const response = await api(reportUrl(p) + '&format=csv');
      const blob = await response.blob();
      const named = /filename="?([\w.-]+)"?/.exec(response.headers.get('content-disposition') || '');
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = named ? named[1] : `kinabot-report-${p.since}-${p.until}.csv`;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 30000);
      $('report-status').textContent = `Downloaded ${link.download}.`;
    } catch (e) {
      fail(e, 'report');
    } finally {
      button.disabled = false;
    }
  }

  const int = (n) => Number(n || 0).toLocaleString('en-GB');
  const pct = (share) => `${(Number(share || 0) * 100).toFixed(1)} %`;
  const langName = (code) => (LANGS[code] ? `${LANGS[code]} (${code})` : code || 'unknown');

  function renderReport(r) {
    $('report').hidden = false;
    $('period-label').textContent = `${r.since} to ${r.until}`;
    $('t-questions').textContent = int(r.questions);
    $('t-noanswer-rate').textContent = pct(r.no_answer_rate);
    $('t-noanswer').textContent = `(${int(r.no_answer)} of ${int(r.questions)})`;
    $('t-latency').textContent = r.mean_latency_ms == null ? '–' : `${int(Math.round(r.mean_latency_ms))} ms`;
    $('t-up').textContent = int(r.feedback_up);
    $('t-down').textContent = int(r.feedback_down);

    const days = everyDay(r.since, r.until, r.days || []);
    drawDays($('days-chart'), days, r);
    fillTable($('days-table'), days.map((d) => [d.day, int(d.questions), int(d.no_answer), pct(d.no_answer_rate)]),
      'No questions in this period.');

    // The three languages always show, even at zero, so a missing one stands out.
    const langs = ['sv', 'zh', 'en'].map((lang) => ({ lang, questions: 0, no_answer: 0, no_answer_rate: 0 }));
    for (const item of r.languages || []) {
      const known = langs.find((l) => l.lang === item.lang);
      if (known) Object.assign(known, item);
      else langs.push(item);
    }
    drawLanguages($('langs-chart'), langs);
    fillTable($('langs-table'),
      langs.map((l) => [langName(l.lang), int(l.questions), int(l.no_answer), pct(l.no_answer_rate)]), '');

    fillTable($('top-table'), (r.top_questions || []).map((q) => [q.question, int(q.count)]),
      'No questions in this period.');
    fillTable($('unanswered-table'), (r.unanswered || []).map((q) => [q.question, int(q.count)]),
      'Every question in this period got an answer.');
    fillTable($('feedback-table'),
      (r.documents || []).map((d) => [d.doc_id, int(d.up), int(d.down), pct(d.up_ratio)]),
      'No feedback in this period.');
  }

  function everyDay(since, until, days) {
    // Days without questions are missing from the report; the chart shows them as gaps.
    const byDay = new Map(days.map((d) => [d.day, d]));
    const start = Date.parse(since + 'T00:00:00Z');
    const end = Date.parse(until + 'T00:00:00Z');
    if (!(end >= start) || (end - start) / 86400000 > 800) return days;
    const out = [];
    for (let t = start; t <= end; t += 86400000) {
      const day = isoDay(new Date(t));
      out.push(byDay.get(day) || { day, questions: 0, no_answer: 0, no_answer_rate: 0 });
    }
    return out;
  }

  function fillTable(tbody, rows, emptyText) {
    const heads = Array.from(tbody.closest('table').tHead.rows[0].cells);
    tbody.replaceChildren();
    if (!rows.length) {
      const cell = tbody.insertRow().insertCell();
      cell.colSpan = heads.length;
      cell.className = 'empty';
      cell.textContent = emptyText;
      return;
    }
    for (const row of rows) {
      const tr = tbody.insertRow();
      row.forEach((value, i) => {
        const cell = tr.insertCell();
        cell.textContent = String(value);
        if (heads[i] && heads[i].classList.contains('num')) cell.className = 'num';
        else if (i === 0) cell.className = 'q';
      });
    }
  }

  // ---------------------------------------------------------------- charts (inline SVG, built node by node)

  function svgNode(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (parent) parent.append(node);
    return node;
  }

  function svgText(parent, x, y, text, attrs) {
    const node = svgNode('text', { x, y, 'font-size': 12, fill: COLORS.text, ...attrs }, parent);
    node.textContent = text;
    return node;
  }

  function scale(max) {
    // Round steps (1, 2, 5 × 10^n), whole numbers, about four of them.
    const raw = Math.max(max, 1) / 4;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = Math.max(1, Math.ceil([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)));
    const top = Math.max(step, Math.ceil(max / step) * step);
    const ticks = [];
    for (let v = 0; v <= top; v += step) ticks.push(v);
    return { top, ticks };
  }

  function drawDays(box, days, r) {
    box.replaceChildren();
    const W = 960;
    const H = 250;
    const left = 44;
    const right = 12;
    const top = 12;
    const bottom = 34;
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    const { top: max, ticks } = scale(Math.max(0, ...days.map((d) => d.questions)));
    const busiest = days.reduce((a, d) => (d.questions > (a ? a.questions : 0) ? d : a), null);
    const svg = svgNode('svg', {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': `Questions per day from ${r.since} to ${r.until}: ${r.questions} in all, ${r.no_answer} without ` +
        `an answer` + (busiest ? `; the busiest day was ${busiest.day} with ${busiest.questions}.` : '.'),
    });
    const y = (v) => top + plotH - (v / max) * plotH;
    for (const t of ticks) {
      svgNode('line', { x1: left, x2: W - right, y1: y(t), y2: y(t), stroke: COLORS.grid }, svg);
      svgText(svg, left - 6, y(t) + 4, int(t), { 'text-anchor': 'end' });
    }
    const slot = plotW / Math.max(days.length, 1);
    const barW = Math.min(48, Math.max(1, slot * 0.72));
    const every = Math.max(1, Math.ceil(days.length / 12));
    days.forEach((d, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      const group = svgNode('g', {}, svg);
      svgNode('title', {}, group).textContent =
        `${d.day}: ${d.questions} question${d.questions === 1 ? '' : 's'}, ${d.no_answer} without an answer`;
      const answered = d.questions - d.no_answer;
      if (answered > 0) {
        svgNode('rect', { x, width: barW, y: y(answered), height: y(0) - y(answered), fill: COLORS.answered }, group);
      }
      if (d.no_answer > 0) {
        svgNode('rect', {
          x, width: barW, y: y(d.questions), height: y(answered) - y(d.questions), fill: COLORS.miss,
        }, group);
      }
      // an invisible full-height target, so the tooltip is there on empty days too
      svgNode('rect', { x: left + i * slot, width: slot, y: top, height: plotH, fill: 'transparent' }, group);
      // counted back from the last day, so the latest day always has its label
      if ((days.length - 1 - i) % every === 0) {
        const first = i < every;
        svgText(svg, x + barW / 2, H - bottom + 16, first ? d.day : d.day.slice(5), { 'text-anchor': 'middle' });
      }
    });
    svgNode('line', { x1: left, x2: W - right, y1: y(0), y2: y(0), stroke: COLORS.text }, svg);
    box.append(svg);
  }

  function drawLanguages(box, langs) {
    box.replaceChildren();
    const W = 520;
    const row = 30;
    const left = 110;
    const right = 60;
    const H = langs.length * row + 8;
    const max = Math.max(1, ...langs.map((l) => l.questions));
    const svg = svgNode('svg', {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': 'Questions per language: ' +
        langs.map((l) => `${langName(l.lang)} ${l.questions}, ${l.no_answer} without an answer`).join('; '),
    });
    const width = (v) => (v / max) * (W - left - right);
    langs.forEach((l, i) => {
      const y = 4 + i * row;
      const group = svgNode('g', {}, svg);
      svgNode('title', {}, group).textContent = `${langName(l.lang)}: ${l.questions} questions, ${l.no_answer} without an answer`;
      svgText(group, left - 8, y + 17, langName(l.lang), { 'text-anchor': 'end', 'font-size': 13 });
      const answered = l.questions - l.no_answer;
      svgNode('rect', { x: left, y: y + 3, width: width(answered), height: row - 10, fill: COLORS.answered }, group);
      svgNode('rect', {
        x: left + width(answered), y: y + 3, width: width(l.no_answer), height: row - 10, fill: COLORS.miss,
      }, group);
      svgText(group, left + width(l.questions) + 6, y + 17, int(l.questions), { 'font-size': 13 });
    });
    box.append(svg);
  }

  // ---------------------------------------------------------------- documents and rebuilds

  async function loadDocuments() {
    try {
      const data = await (await api('/admin/api/documents')).json();
      const docs = data.documents || [];
      $('docs-caption').textContent = data.index_version
        ? `${docs.length} document files in index version ${data.index_version}.`
        : 'No index is being served yet.';
      fillTable($('docs-table'), docs.map((d) => [d.id, d.lang, d.title, d.path, int(d.passages), d.updated]),
        'No documents in the index.');
      return data;
    } catch (e) {
      fail(e, 'index');
      return null;
    }
  }

  function when(iso) {
    return iso ? String(iso).replace('T', ' ').replace(/\+00:00$|Z$/, ' UTC') : '';
  }

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }

  function showBuild(status) {
    lastBuild = status;
    const state = STATES[status.state] ? status.state : 'none';
    const badge = $('build-state');
    badge.textContent = STATES[state];
    badge.className = `state ${state}`;
    const bar = $('build-progress');
    let detail = '';
    if (state === 'running') {
      const total = Number(status.total || 0);
      const done = Number(status.done || 0);
      detail = `${status.stage || 'working'}` + (total ? `: ${int(done)} of ${int(total)}` : '');
      if (status.eta_seconds != null) detail += `, about ${duration(status.eta_seconds)} left`;
      bar.hidden = !total;
      bar.max = total || 1;
      bar.value = Math.min(done, total);
    } else {
      bar.hidden = true;
      const s = status.summary;
      if (state === 'done' && s) {
        detail = s.up_to_date
          ? `index ${s.version} was already up to date`
          : `built index ${s.version}: ${int(s.documents)} documents, ${int(s.passages)} passages`;
      } else if (state === 'failed') {
        detail = status.error || 'the build did not finish';
      } else if (state === 'none') {
        detail = 'no build has been started from this service yet';
      }
      if (status.finished) detail += ` (finished ${when(status.finished)})`;
    }
    $('build-detail').textContent = detail;
    $('rebuild').disabled = state === 'running' || state === 'started';
  }

  function stopPolling() {
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function rebuild() {
    $('index-error').textContent = '';
    const previous = lastBuild ? lastBuild.started || null : null;
    $('rebuild').disabled = true;
    try {
      await api('/admin/api/rebuild', { method: 'POST' });
      $('index-status').textContent = 'Rebuild started.';
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        $('index-status').textContent = 'A build is already running; following it.';
      } else {
        fail(e, 'index');
        $('rebuild').disabled = false;
        return;
      }
    }
    showBuild({ state: 'started' });
    follow(previous);
  }

  // Poll the build's status every second until it is done or failed. Right after a POST the
  // status file still describes the previous build, so wait (a while) for one that started later.
  function follow(previousStart) {
    stopPolling();
    const patience = Date.now() + 30000;
    const tick = async () => {
      pollTimer = null;
      if (!token) return;
      let status;
      try {
        status = await (await api('/admin/api/rebuild')).json();
      } catch (e) {
        fail(e, 'index');
        if (token) pollTimer = setTimeout(tick, POLL_MS);
        return;
      }
      if (!token) return;
      const current = status.state === 'running' || (status.started || null) !== previousStart;
      if (!current && Date.now() < patience) {
        pollTimer = setTimeout(tick, POLL_MS);
        return;
      }
      showBuild(status);
      if (status.state === 'running') {
        pollTimer = setTimeout(tick, POLL_MS);
        return;
      }
      $('index-status').textContent = status.state === 'done' ? 'The build is done.' : 'The build did not succeed.';
      if (status.state === 'done') refreshAfterBuild(status.summary && status.summary.version, 10);
    };
    pollTimer = setTimeout(tick, POLL_MS);
  }

  async function refreshAfterBuild(version, tries) {
    // The service switches to the new version just after the build ends; wait for that.
    const data = await loadDocuments();
    if (data && version && data.index_version !== version && tries > 1 && token) {
      setTimeout(() => refreshAfterBuild(version, tries - 1), POLL_MS);
    }
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener('DOMContentLoaded', () => {
    defaultPeriod();
    $('signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      signIn($('token').value.trim(), $('remember').checked);
    });
    $('period-form').addEventListener('submit', (event) => {
      event.preventDefault();
      loadReport();
    });
    $('csv').addEventListener('click', downloadCsv);
    $('rebuild').addEventListener('click', rebuild);
    $('signout').addEventListener('click', () => {
      signOut('');
    });
    let saved = null;
    try {
      saved = sessionStorage.getItem(KEY);
    } catch (e) {
      // storage blocked: ask for the token
    }
    if (saved) {
      $('remember').checked = true;
      signIn(saved, true);
    } else {
      $('token').focus();
    }
  });
})();
