/* flowlab report page: inflates the data embedded in the page and draws each section with
 * Chart.js. Nothing is fetched: the data is in #flowlab-data (gzip, base64), the library inline.
 * window.flowlab exposes the sections for the tests (flowlab.ready resolves once drawn). */
'use strict';
(() => {
  const FL = (window.flowlab = { sections: [], errors: [] });

  // ------------------------------------------------------------------ small helpers
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  const METRICS = ['flows', 'packets', 'bytes'];
  const PROTOS = ['TCP', 'UDP', 'ICMP', 'other'];
  const PROTO_COLOURS = ['#1f77b4', '#2ca02c', '#d62728', '#bcbd22'];
  const SOURCE_COLOURS = ['#0b62a4', '#e8710a', '#2a9d8f', '#c2185b', '#7b1fa2', '#689f38', '#5d4037', '#0097a7', '#f9a825', '#455a64'];
  const WEEK_COLOURS = ['#0b62a4', '#e8710a', '#2a9d8f', '#c2185b', '#7b1fa2', '#689f38', '#5d4037', '#0097a7'];
  const VERDICT_COLOURS = { pass: '#1a7f37', fail: '#cf222e', lost: '#e8710a', crash: '#7a1010', hang: '#7b1fa2',
                            informational: '#0b62a4', skipped: '#8c959f' };
  const OUTCOME_COLOURS = { matched: '#2ca02c', altered: '#ff7f0e', missing: '#d62728', duplicated: '#9467bd', unexpected: '#7f7f7f' };
  const DAY = 86400000;

  const iso = (ms) => new Date(ms).toISOString();
  const timeText = (ms) => { const s = iso(ms); return s.slice(0, 10) + ' ' + s.slice(11, 16); };
  const nfTime = (ms) => { const s = iso(ms); return s.slice(0, 4) + '/' + s.slice(5, 7) + '/' + s.slice(8, 10) + '.' + s.slice(11, 19); };
  const num = (n) => Math.round(n).toLocaleString('en-US');
  const human = (n) => {
    const a = Math.abs(n);
    if (a >= 1e12) return (n / 1e12).toFixed(1) + ' T';
    if (a >= 1e9) return (n / 1e9).toFixed(1) + ' G';
    if (a >= 1e6) return (n / 1e6).toFixed(1) + ' M';
    if (a >= 1e4) return (n / 1e3).toFixed(1) + ' k';
    return String(Math.round(n));
  };
  const alpha = (hex, a) => {
    const v = parseInt(hex.slice(1), 16);
    return `rgba(${v >> 16 & 255},${v >> 8 & 255},${v & 255},${a})`;
  };
  const parseUtc = (text) => {
    const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*Z?\s*$/.exec(text);
    if (!m) return null;
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0));
  };

  // Time axis ticks on round UTC boundaries (the linear axis carries epoch milliseconds).
  const STEPS = [1e3, 5e3, 15e3, 60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];
  function timeAxis(min, max, opts) {
    const o = opts || {};
    return {
      type: 'linear', min, max, stacked: false,
      afterBuildTicks: (axis) => {
        const span = Math.max(axis.max - axis.min, 1);
        const want = Math.max(2, Math.floor(axis.width / 90));
        const step = STEPS.find((s) => span / s <= want) || STEPS[STEPS.length - 1];
        axis.flStep = step;
        const ticks = [];
        // Week steps start on Mondays (epoch day 4 was a Monday).
        const origin = step >= 7 * DAY ? 4 * DAY : 0;
        for (let t = Math.ceil((axis.min - origin) / step) * step + origin; t <= axis.max; t += step) ticks.push({ value: t });
        axis.ticks = ticks;
      },
      ticks: {
        autoSkip: false, maxRotation: 0,
        callback: function (v) {
          if (o.weekday) return ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][Math.floor(v / DAY) % 7] + (v % DAY ? ' ' + iso(v).slice(11, 16) : '');
          const s = iso(v);
          if (this.flStep >= DAY) return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(v).getUTCDay()] + ' ' + s.slice(5, 10);
          return v % DAY === 0 ? s.slice(5, 10) : s.slice(11, 16);
        },
      },
      grid: { color: '#eaeef2' },
      title: o.title ? { display: true, text: o.title } : undefined,
    };
  }

  // Shades the selected window, the drag in progress and the lesson's marks (--answers).
  const bandsPlugin = {
    id: 'flBands',
    beforeDatasetsDraw(chart, args, opts) {
      const { ctx, chartArea: a, scales: { x } } = chart;
      const band = (lo, hi, fill) => {
        const x0 = Math.max(a.left, x.getPixelForValue(lo)), x1 = Math.min(a.right, x.getPixelForValue(hi));
        if (x1 < a.left || x0 > a.right) return null;
        ctx.fillStyle = fill;
        ctx.fillRect(x0, a.top, Math.max(1.5, x1 - x0), a.bottom - a.top);
        return x0;
      };
      ctx.save();
      // What was shaded, in pixels, so that a test can look at the canvas where a mark is.
      chart.$flMarks = [];
      for (const m of opts.marks || []) {
        const x0 = band(m.start_ms, m.end_ms, m.kind === 'answer' ? 'rgba(207,34,46,0.25)' : 'rgba(123,31,162,0.15)');
        if (x0 != null) chart.$flMarks.push({ kind: m.kind, label: m.label, x0, x1: Math.max(x0 + 1.5, Math.min(a.right, x.getPixelForValue(m.end_ms))) });
      }
      if (opts.window) band(opts.window[0], opts.window[1], 'rgba(11,98,164,0.12)');
      if (opts.drag) band(opts.drag[0], opts.drag[1], 'rgba(11,98,164,0.25)');
      ctx.restore();
    },
    afterDatasetsDraw(chart, args, opts) {
      if (!opts.marks || !opts.marks.length || opts.labels === false) return;
      const { ctx, chartArea: a, scales: { x } } = chart;
      ctx.save();
      ctx.font = '11px sans-serif';
      // Three rows of labels; a label goes into the first row with room and is left out when
      // none has (a nightly event over weeks: the bands still show every night).
      const rowEnd = [-Infinity, -Infinity, -Infinity];
      for (const m of opts.marks) {
        const px = x.getPixelForValue(m.start_ms);
        if (px < a.left || px > a.right) continue;
        const w = ctx.measureText(m.label).width;
        const at = Math.max(a.left, Math.min(px + 2, a.right - w));
        const row = rowEnd.findIndex((e) => at > e + 4);
        if (row < 0) continue;
        rowEnd[row] = at + w;
        ctx.fillStyle = m.kind === 'answer' ? '#a40e26' : '#6a1b9a';
        ctx.fillText(m.label, at, a.top + 11 + 12 * row);
      }
      ctx.restore();
    },
  };

  const baseOptions = (extra) => Object.assign({
    animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { enabled: true } },
  }, extra);

  function chartIn(container, config) {
    const canvas = el('canvas');
    container.append(canvas);
    config.plugins = (config.plugins || []).concat([bandsPlugin]);
    return new Chart(canvas.getContext('2d'), config);
  }

  // ------------------------------------------------------------------ traffic
  class Traffic {
    constructor(sec, index, root) {
      this.sec = sec;
      this.index = index;
      this.slotMs = sec.slot_ms;
      this.first = sec.first_slot;
      this.slots = sec.slots;
      // Cells per level (slot, hour, day, week), finest first; start/end in the level's units.
      this.levels = sec.levels.map((L) => ({
        name: L.name, factor: L.factor, offset: L.offset, candidates: L.candidates,
        start: Float64Array.from(L.start), end: Float64Array.from(L.end), total: Float64Array.from(L.total),
        dims: L.dims.map((d) => {
          const count = Uint32Array.from(d.count);
          const off = new Uint32Array(count.length + 1);
          for (let i = 0; i < count.length; i++) off[i + 1] = off[i] + count[i];
          const key = Uint32Array.from(d.key);  // ascending within a cell, as differences
          for (let i = 0; i < count.length; i++) for (let j = off[i] + 1; j < off[i + 1]; j++) key[j] += key[j - 1];
          return { name: d.name, off, rest: Float64Array.from(d.rest), err: Float64Array.from(d.err), key, val: Float64Array.from(d.val) };
        }),
      }));
      this.answers = sec.answers || null;
      this.marks = this.answers ? this.answers.marks : [];
      this.state = { metric: 0, proto: -1, stack: 'source', win: [0, Math.max(0, this.slots - 1)] };
      this.build(root);
    }

    slotTime(i) { return (this.first + i) * this.slotMs; }
    slotOf(ms) { return Math.floor(ms / this.slotMs) - this.first; }

    // Per slot values of one source (or -1: all) for the protocol selection and metric.
    values(source, proto, metric) {
      const out = new Float64Array(this.slots);
      const srcs = source < 0 ? this.sec.series.map((_, i) => i) : [source];
      const protos = proto < 0 ? [0, 1, 2, 3] : [proto];
      for (const s of srcs) for (const p of protos) {
        const a = this.sec.series[s][p][metric];
        for (let i = 0; i < this.slots; i++) out[i] += a[i];
      }
      return out;
    }

    datasets(lo, hi) {
      const { metric, proto, stack } = this.state;
      const groups = stack === 'protocol'
        ? PROTOS.map((name, p) => ({ label: name, colour: PROTO_COLOURS[p], v: this.values(-1, p, metric) }))
        : this.sec.sources.map((s, i) => ({ label: s.label, colour: SOURCE_COLOURS[i % SOURCE_COLOURS.length], v: this.values(i, proto, metric) }));
      return groups.map((g, k) => {
        const data = [];
        for (let i = lo; i <= hi; i++) data.push({ x: this.slotTime(i), y: g.v[i] });
        return { label: g.label, data, borderColor: g.colour, backgroundColor: alpha(g.colour, 0.55), borderWidth: 1,
                 pointRadius: 0, fill: k === 0 ? 'origin' : '-1', stepped: 'before' };
      });
    }

    metricTitle() {
      const p = this.state.stack === 'protocol' ? 'all protocols' : this.state.proto < 0 ? 'all protocols' : PROTOS[this.state.proto];
      return `${METRICS[this.state.metric]} per ${this.slotMs / 60000} min, ${p}`;
    }

    build(root) {
      const sec = this.sec;
      root.append(el('p', { class: 'muted', text: `${sec.source.kind === 'truth' ? 'The exported records (truth/records.csv)' : 'Collector data'}: ${sec.source.path} (${sec.source.format}). ` +
        `${num(sec.counts.records)} records; ${num(sec.counts.flows)} flows, ${num(sec.counts.packets)} packets, ${num(sec.counts.bytes)} bytes in the pictures; ` +
        `${this.slots} slots of ${this.slotMs / 60000} minutes from ${timeText(this.slotTime(0))} UTC.` }));
      if (sec.source.note) root.append(el('p', { class: 'muted', text: 'Reader: ' + sec.source.note }));
      if (sec.lesson && (sec.lesson.story || sec.lesson.question)) {
        const box = el('div', { class: 'box' });
        if (sec.lesson.story) box.append(el('p', null, el('b', { text: 'Story. ' }), sec.lesson.story));
        if (sec.lesson.question) box.append(el('p', null, el('b', { text: 'Question. ' }), sec.lesson.question));
        root.append(box);
      }
      if (this.answers) {
        const box = el('div', { class: 'box answerbox' });
        box.append(el('p', null, el('b', { text: 'Answer key (shown because the report was made with --answers). ' }),
          this.answers.host ? 'Host: ' + this.answers.host + '. ' : '',
          this.marks.length ? 'Shaded on the time axes: red = the answer, purple = the scenario\'s events.' : ''));
        const events = new Map();
        for (const m of this.marks) if (m.kind === 'event') events.set(m.label, (events.get(m.label) || 0) + 1);
        if (events.size) box.append(el('p', { 'data-role': 'events' }, el('b', { text: 'The scenario\'s events: ' }),
          [...events].map(([label, n]) => `${label}: ${n} window${n === 1 ? '' : 's'}`).join('; ') + '.'));
        box.append(el('pre', { text: JSON.stringify(this.answers.key, null, 1) }));
        root.append(box);
      }
      for (const n of sec.notes || []) root.append(el('p', { class: 'muted', text: 'Note: ' + n }));

      // Controls: metric, protocol, stacking.
      const controls = el('div', { class: 'controls' });
      const metricBox = el('span', null, 'Show ');
      METRICS.forEach((m, i) => {
        const r = el('input', { type: 'radio', name: `metric-${this.index}`, value: String(i), 'data-metric': m });
        if (i === this.state.metric) r.checked = true;
        r.addEventListener('change', () => { this.state.metric = i; this.redraw(); });
        metricBox.append(el('label', null, r, ' ' + m));
      });
      controls.append(metricBox);
      const proto = el('select', { 'data-control': 'proto' }, el('option', { value: '-1', text: 'any protocol' }),
        ...PROTOS.map((p, i) => el('option', { value: String(i), text: p })));
      proto.addEventListener('change', () => { this.state.proto = +proto.value; this.redraw(); });
      const stack = el('select', { 'data-control': 'stack' }, el('option', { value: 'source', text: 'stacked by exporter' }),
        el('option', { value: 'protocol', text: 'stacked by protocol' }));
      stack.addEventListener('change', () => { this.state.stack = stack.value; this.redraw(); });
      controls.append(el('label', null, 'Protocol ', proto), el('label', null, stack));
      root.append(controls);

      root.append(el('h3', { text: 'Traffic over the whole span' }));
      root.append(el('p', { class: 'hint', text: 'Drag across the chart to select a time window (a click selects one slot); the window chart and the rankings below follow.' }));
      const mainBox = el('div', { class: 'chart main', 'data-chart': 'main' });
      root.append(mainBox);

      // Window selection.
      const win = el('div', { class: 'controls' });
      this.fromInput = el('input', { type: 'text', 'data-control': 'from', title: 'UTC, YYYY-MM-DD HH:MM' });
      this.toInput = el('input', { type: 'text', 'data-control': 'to', title: 'UTC, YYYY-MM-DD HH:MM' });
      const apply = () => {
        const a = parseUtc(this.fromInput.value), b = parseUtc(this.toInput.value);
        if (a == null || b == null || b <= a) { this.fromInput.setCustomValidity('expected YYYY-MM-DD HH:MM, before "to"'); this.fromInput.reportValidity(); return; }
        this.fromInput.setCustomValidity('');
        this.setWindow(this.slotOf(a), Math.ceil(b / this.slotMs) - this.first - 1);
      };
      const shift = (dir) => {
        const [s, e] = this.state.win, n = e - s + 1;
        this.setWindow(s + dir * n, e + dir * n);
      };
      const day = () => {
        const s = this.state.win[0], t = this.slotTime(s), d0 = Math.floor(t / DAY) * DAY;
        this.setWindow(this.slotOf(d0), this.slotOf(d0 + DAY) - 1);
      };
      win.append(el('span', null, 'Window (UTC) from ', this.fromInput, ' to ', this.toInput),
        el('button', { text: 'Apply', onclick: apply }),
        el('button', { text: '◀', title: 'previous window', onclick: () => shift(-1) }),
        el('button', { text: '▶', title: 'next window', onclick: () => shift(1) }),
        el('button', { text: 'Its day', onclick: day }),
        el('button', { text: 'Whole span', onclick: () => this.setWindow(0, this.slots - 1) }));
      root.append(win);
      root.append(el('h3', { text: 'The window' }));
      const detailBox = el('div', { class: 'chart detail', 'data-chart': 'detail' });
      root.append(detailBox);

      root.append(el('h3', { text: 'Week over week' }));
      root.append(el('p', { class: 'hint', text: 'Each week (Monday 00:00 to Sunday 24:00 UTC) drawn over the others, all exporters, the protocol and metric chosen above.' }));
      const weekBox = el('div', { class: 'chart week', 'data-chart': 'week' });
      root.append(weekBox);

      this.summary = el('p', { class: 'box', 'data-role': 'window-summary' });
      root.append(el('h3', { text: 'Top talkers in the window' }), this.summary);
      this.tables = el('div', { 'data-role': 'tables' });
      root.append(this.tables);

      const lo = this.slotTime(0), hi = this.slotTime(this.slots);
      this.main = chartIn(mainBox, {
        type: 'line', data: { datasets: this.datasets(0, this.slots - 1) },
        options: baseOptions({ scales: { x: timeAxis(lo, hi), y: { stacked: true, beginAtZero: true, title: { display: true, text: this.metricTitle() } } },
                               plugins: { legend: { position: 'bottom' }, flBands: { marks: this.marks } } }),
      });
      this.detail = chartIn(detailBox, {
        type: 'line', data: { datasets: [] },
        options: baseOptions({ scales: { x: timeAxis(lo, hi), y: { stacked: true, beginAtZero: true } },
                               plugins: { legend: { display: false }, flBands: { marks: this.marks } } }),
      });
      this.week = chartIn(weekBox, {
        type: 'line', data: { datasets: [] },
        options: baseOptions({ scales: { x: timeAxis(0, 7 * DAY, { weekday: true }), y: { beginAtZero: true } },
                               plugins: { legend: { position: 'bottom' }, flBands: {} } }),
      });
      this.attachDrag(this.main);
      this.redraw();
    }

    attachDrag(chart) {
      const canvas = chart.canvas;
      let start = null;
      const at = (ev) => {
        const r = canvas.getBoundingClientRect();
        const v = chart.scales.x.getValueForPixel(ev.clientX - r.left);
        return Math.min(Math.max(v, chart.scales.x.min), chart.scales.x.max - 1);
      };
      canvas.addEventListener('mousedown', (ev) => { start = at(ev); ev.preventDefault(); });
      canvas.addEventListener('mousemove', (ev) => {
        if (start == null) return;
        const v = at(ev);
        chart.options.plugins.flBands.drag = [Math.min(start, v), Math.max(start, v)];
        chart.draw();
      });
      const finish = (ev) => {
        if (start == null) return;
        const v = at(ev), a = Math.min(start, v), b = Math.max(start, v);
        start = null;
        chart.options.plugins.flBands.drag = null;
        this.setWindow(this.slotOf(a), this.slotOf(b));
      };
      canvas.addEventListener('mouseup', finish);
      canvas.addEventListener('mouseleave', (ev) => { if (start != null) finish(ev); });
    }

    setWindow(s, e) {
      s = Math.max(0, Math.min(this.slots - 1, s));
      e = Math.max(s, Math.min(this.slots - 1, e));
      this.state.win = [s, e];
      this.drawWindow();
    }

    redraw() {
      this.main.data.datasets = this.datasets(0, this.slots - 1);
      this.main.options.scales.y.title.text = this.metricTitle();
      this.main.update('none');
      this.drawWeeks();
      this.drawWindow();
    }

    drawWeeks() {
      const v = this.values(-1, this.state.proto, this.state.metric);
      const t0 = this.slotTime(0);
      const monday = Math.floor((t0 - 4 * DAY) / (7 * DAY)) * 7 * DAY + 4 * DAY;  // epoch day 4 was a Monday
      const weeks = new Map();
      for (let i = 0; i < this.slots; i++) {
        const t = this.slotTime(i), w = Math.floor((t - monday) / (7 * DAY));
        if (!weeks.has(w)) weeks.set(w, []);
        weeks.get(w).push({ x: t - (monday + w * 7 * DAY), y: v[i] });
      }
      this.week.data.datasets = [...weeks.entries()].map(([w, data], k) => ({
        label: 'week of ' + iso(monday + w * 7 * DAY).slice(0, 10), data, borderColor: WEEK_COLOURS[k % WEEK_COLOURS.length],
        backgroundColor: WEEK_COLOURS[k % WEEK_COLOURS.length], borderWidth: 1, pointRadius: 0, fill: false, stepped: 'before' }));
      this.week.options.scales.y.title = { display: true, text: this.metricTitle() };
      this.week.update('none');
    }

    drawWindow() {
      const [s, e] = this.state.win;
      const a = this.slotTime(s), b = this.slotTime(e + 1);
      this.main.options.plugins.flBands.window = [a, b];
      this.main.draw();
      // The window with as much context on each side as it is long (at least an hour).
      const pad = Math.max(e - s + 1, Math.ceil(3600e3 / this.slotMs));
      const lo = Math.max(0, s - pad), hi = Math.min(this.slots - 1, e + pad);
      this.detail.data.datasets = this.datasets(lo, hi);
      Object.assign(this.detail.options.scales.x, { min: this.slotTime(lo), max: this.slotTime(hi + 1) });
      this.detail.options.plugins.flBands.window = [a, b];
      this.detail.options.scales.y.title = { display: true, text: this.metricTitle() };
      this.detail.update('none');
      this.fromInput.value = timeText(a);
      this.toInput.value = timeText(b);
      this.renderTables();
    }

    // The records of slots [s, e] are those with first >= start of s and last <= end of e,
    // which is what nfdump -t selects. Each level's cell (u, v) holds the records starting in
    // unit u and ending in unit v. The window's values: from the coarsest level down, the cells
    // that lie wholly inside the window and that no coarser level took, so that each record
    // counts once. Its upper bounds: those cells' bounds, and for each level the cells that
    // cover the window (start unit >= that of s, end unit <= that of e: every record of the
    // window is in one of them), whose kept values and bounds limit what a key can have.
    query(s, e) {
      const S = this.first + s, E = this.first + e;
      const unit = (L, slot) => Math.floor((slot - L.offset) / L.factor);
      const range = this.levels.map((L) => [Math.ceil((S - L.offset) / L.factor), Math.floor((E + 1 - L.offset) / L.factor) - 1]);
      const fresh = () => ({ total: [0, 0, 0], dims: [0, 1, 2].map(() => ({ acc: new Map(), rest: [0, 0] })) });
      // acc per key: value (flows, bytes), err where kept, rest where kept.
      const add = (q, L, i) => {
        for (let m = 0; m < 3; m++) q.total[m] += L.total[3 * i + m];
        L.dims.forEach((d, k) => {
          const t = q.dims[k];
          t.rest[0] += d.rest[2 * i];
          t.rest[1] += d.rest[2 * i + 1];
          for (let j = d.off[i]; j < d.off[i + 1]; j++) {
            let a = t.acc.get(d.key[j]);
            if (!a) t.acc.set(d.key[j], (a = new Float64Array(6)));
            for (let m = 0; m < 2; m++) {
              a[m] += d.val[2 * j + m];
              a[2 + m] += d.err[2 * i + m];
              a[4 + m] += d.rest[2 * i + m];
            }
          }
        });
      };
      const inner = fresh(), cells = {};
      for (let li = this.levels.length - 1; li >= 0; li--) {
        const L = this.levels[li], [u1, u2] = range[li];
        if (u1 > u2) continue;
        for (let i = 0; i < L.start.length; i++) {
          if (L.start[i] < u1 || L.end[i] > u2) continue;
          const first = L.start[i] * L.factor + L.offset, last = L.end[i] * L.factor + L.offset;
          let taken = false;
          for (let lj = li + 1; lj < this.levels.length && !taken; lj++) {
            const M = this.levels[lj];
            taken = range[lj][0] <= range[lj][1] && unit(M, first) >= range[lj][0] && unit(M, last) <= range[lj][1];
          }
          if (taken) continue;
          cells[L.name] = (cells[L.name] || 0) + 1;
          add(inner, L, i);
        }
      }
      const covers = this.levels.map((L) => {
        const q = fresh(), u1 = unit(L, S), u2 = unit(L, E);
        for (let i = 0; i < L.start.length; i++) if (L.start[i] >= u1 && L.end[i] <= u2) add(q, L, i);
        return q;
      });
      return { total: inner.total, inner, covers, cells };
    }

    // Top n of a dimension by flows (m 0) or bytes (m 1) and whether the table is exact: every
    // shown value exact and no other key able to reach the last shown value.
    ranking(q, dim, m, n) {
      const bound = (t, key, k) => {
        const a = t.acc.get(key);
        return a ? a[k] + a[2 + k] + (t.rest[k] - a[4 + k]) : t.rest[k];
      };
      const parts = [q.inner, ...q.covers].map((x) => x.dims[dim]);
      const keys = new Set();
      for (const t of parts) for (const key of t.acc.keys()) keys.add(key);
      const rows = [];
      for (const key of keys) {
        const a = parts[0].acc.get(key);
        const v = a ? [a[0], a[1]] : [0, 0];
        const upper = [0, 1].map((k) => Math.max(v[k], Math.min(...parts.map((t) => bound(t, key, k)))));
        rows.push({ key, v, upper });
      }
      rows.sort((x, y) => y.v[m] - x.v[m] || x.key - y.key);
      const shown = rows.slice(0, n).filter((r) => r.v[m] > 0);
      let other = Math.min(...parts.map((t) => t.rest[m]));  // a key kept in no cell of any of them
      for (let i = shown.length; i < rows.length; i++) other = Math.max(other, rows[i].upper[m]);
      for (const r of shown) r.label = this.keyText(dim, r.key);
      const valuesExact = shown.every((r) => r.upper[m] === r.v[m]);
      const last = shown.length ? shown[shown.length - 1].v[m] : 0;
      const complete = shown.length < n ? other === 0 : last >= other;
      return { rows: shown, exact: valuesExact && complete, other, n };
    }

    keyText(dim, key) {
      if (dim === 0) return this.sec.addresses[key];
      if (dim === 1) return String(key);
      const c = this.sec.conversations;
      return this.sec.addresses[c[2 * key]] + ' → ' + this.sec.addresses[c[2 * key + 1]];
    }

    nfdumpCommand(dim, order, s, e, n) {
      const stat = ['ip', 'port', 'record'][dim] + '/' + order;
      const agg = dim === 2 ? ' -A srcip,dstip' : '';
      return `TZ=UTC nfdump -R ${this.sec.nfdump.dir} -t ${nfTime(this.slotTime(s))}-${nfTime(this.slotTime(e + 1))} -s ${stat}${agg} -n ${n}`;
    }

    renderTables() {
      const [s, e] = this.state.win;
      const q = this.query(s, e);
      this.current = { s, e, q };
      const a = this.slotTime(s), b = this.slotTime(e + 1);
      this.summary.textContent = `${timeText(a)} to ${timeText(b)} UTC (${e - s + 1} slot${e > s ? 's' : ''}): ${num(q.total[0])} flows, ` +
        `${num(q.total[1])} packets, ${num(q.total[2])} bytes — the flows that start and end inside the window, as nfdump -t counts them ` +
        `(from ${Object.entries(q.cells).map(([n, k]) => k + ' ' + n + ' cell' + (k > 1 ? 's' : '')).join(', ') || 'no cells'}).`;
      this.tables.textContent = '';
      const n = this.sec.top;
      const titles = ['hosts (either address, as nfdump -s ip)', 'ports (either port, as nfdump -s port)', 'conversations (source → destination, as nfdump -s record -A srcip,dstip)'];
      const heads = ['host', 'port', 'conversation'];
      const answerHost = this.answers && this.answers.host;
      [0, 1, 2].forEach((dim) => {
        const pair = el('div', { class: 'pair' });
        for (const metric of [0, 1]) {
          const r = this.ranking(q, dim, metric, n);
          const name = metric === 0 ? 'flows' : 'bytes';
          const table = el('table', { 'data-dim': heads[dim], 'data-metric': name },
            el('tr', null, el('th', { text: '#' }), el('th', { class: 'key', text: heads[dim] }), el('th', { text: 'flows' }),
              el('th', { text: '% flows' }), el('th', { text: 'bytes' }), el('th', { text: '% bytes' })));
          r.rows.forEach((row, i) => {
            const cell = (m) => {
              const td = el('td', { 'data-value': String(row.v[m]), text: num(row.v[m]) });
              if (row.upper[m] !== row.v[m]) td.append(el('span', { class: 'bound', text: '≤ ' + num(row.upper[m]) }));
              if (m === 1) td.title = human(row.v[m]) + 'B';
              return td;
            };
            const pct = (v, t) => (t ? (100 * v / t).toFixed(1) : '0.0');
            const isAnswer = answerHost && (dim === 0 ? row.label === answerHost : dim === 2 && row.label.split(' → ').includes(answerHost));
            table.append(el('tr', { class: isAnswer ? 'answer' : null, 'data-key': row.label },
              el('td', { text: String(i + 1) }), el('td', { class: 'key', text: row.label }), cell(0), el('td', { text: pct(row.v[0], q.total[0]) }),
              cell(1), el('td', { text: pct(row.v[1], q.total[2]) })));
          });
          if (!r.rows.length) table.append(el('tr', null, el('td', { colspan: '6', class: 'text', text: 'no flows in this window' })));
          const box = el('div', null, el('h4', { text: 'by ' + name }), table);
          box.append(r.exact
            ? el('p', { class: 'exact', 'data-exact': '1', text: 'Exact: the same table as the nfdump command below gives on the same data.' })
            : el('p', { class: 'inexact', 'data-exact': '0', text: `Bounded: computed from the keys kept per cell (${this.levels.map((L) => L.candidates + ' per ' + L.name).join(', ')}), ` +
                `so a value marked ≤ may be up to that much, and a key not shown has at most ${num(r.other)} ${name}. ` +
                'Choose a window of whole hours or days, or rerun with a larger --candidates, for an exact table.' }));
          box.append(el('code', { class: 'cmd', text: this.nfdumpCommand(dim, name, s, e, n) }));
          pair.append(box);
        }
        this.tables.append(el('h4', { text: `Top ${n} ${titles[dim]}` }), pair);
      });
      if (!this.sec.nfdump.known)
        this.tables.append(el('p', { class: 'hint', text: 'NFCAPD_DIR: nfcapd\'s files of this data, e.g. the collector/data directory that ' +
          '`flowlab check SCENARIO --collector nfcapd --workdir W` keeps in W, or the directory of an nfcapd you replayed exports.pcap into.' }));
    }

    // For tests and scripts: the tables of a window as plain data.
    table(dim, metric, s, e, n) {
      const q = this.query(s, e);
      const r = this.ranking(q, dim, metric === 'bytes' ? 1 : 0, n || this.sec.top);
      return { total: q.total, exact: r.exact, other: r.other, cells: q.cells,
               rows: r.rows.map((x) => ({ key: x.label, flows: x.v[0], bytes: x.v[1], upper: { flows: x.upper[0], bytes: x.upper[1] } })) };
    }
  }

  // ------------------------------------------------------------------ verdict
  function verdictSection(sec, root) {
    const good = !!sec.match;
    root.append(el('div', { class: 'verdict ' + (good ? 'good' : 'bad'), 'data-role': 'verdict', text: sec.verdict }));
    const meta = [];
    if (sec.truth) meta.push('truth ' + sec.truth);
    if (sec.collected) meta.push(`collected ${sec.collected.source} (${sec.collected.format})`);
    if (sec.profile) meta.push('profile ' + sec.profile);
    root.append(el('p', { class: 'muted', text: meta.join('; ') }));
    if (sec.collected && sec.collected.note) root.append(el('p', { class: 'muted', text: 'Reader: ' + sec.collected.note }));
    if (sec.level === 'totals') return totalsVerdict(sec, root);
    const c = sec.counts;
    const counts = el('table', { style: 'max-width:560px' });
    for (const [k, v] of [['truth records', c.truth], ['collected records', c.collected], ['matched', c.matched], ['altered', c.altered],
                          ['missing', c.missing], ['duplicated', c.duplicated], ['unexpected', c.unexpected]])
      counts.append(el('tr', null, el('td', { class: 'text', text: k }), el('td', { text: num(v) })));
    root.append(counts);

    if (sec.timeline && sec.timeline.slots && sec.timeline.slots.length) {
      root.append(el('h3', { text: 'Records over time (by flow start)' }));
      const box = el('div', { class: 'chart tall', 'data-chart': 'timeline' });
      root.append(box);
      const rows = sec.timeline.slots, names = ['matched', 'altered', 'missing', 'duplicated', 'unexpected'];
      const ds = names.map((name, k) => ({ label: name, data: rows.map((r) => ({ x: r[0], y: r[2 + k] })), backgroundColor: OUTCOME_COLOURS[name],
                                          borderColor: OUTCOME_COLOURS[name], borderWidth: 1, pointRadius: 0, fill: k === 0 ? 'origin' : '-1', stepped: 'before' }));
      const lo = rows[0][0], hi = rows[rows.length - 1][0] + sec.timeline.slot_ms;
      chartIn(box, { type: 'line', data: { datasets: ds },
                     options: baseOptions({ scales: { x: timeAxis(lo, hi), y: { stacked: true, beginAtZero: true, title: { display: true, text: `records per ${sec.timeline.slot_ms / 60000} minutes` } } } }) });
    } else {
      root.append(el('p', { class: 'hint', text: 'This result has no timeline (made by an older flowlab): no picture over time.' }));
    }

    if (sec.per_exporter && sec.per_exporter.length) {
      root.append(el('h3', { text: 'By exporter' }));
      const box = el('div', { class: 'chart small', 'data-chart': 'exporters' });
      root.append(box);
      const names = ['matched', 'altered', 'missing', 'duplicated', 'unexpected'];
      chartIn(box, { type: 'bar', data: { labels: sec.per_exporter.map((e) => e.exporter),
        datasets: names.map((n) => ({ label: n, data: sec.per_exporter.map((e) => e[n]), backgroundColor: OUTCOME_COLOURS[n] })) },
        options: baseOptions({ parsing: true, normalized: false, indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } }) });
    }

    root.append(el('h3', { text: 'Loss by export sequence number' }));
    if (!sec.loss || !sec.loss.length) root.append(el('p', { text: 'No export message lost a record.' }));
    else {
      const box = el('div', { class: 'chart small', 'data-chart': 'loss' });
      root.append(box);
      let lo = Infinity, hi = -Infinity;
      const ds = sec.loss.map((s, k) => {
        const data = s.ranges.map((g) => { lo = Math.min(lo, g.first_export_ms); hi = Math.max(hi, g.last_export_ms); return { x: g.first_export_ms, y: g.records_missing }; });
        return { label: `${s.exporter} domain ${s.domain} v${s.version}`, data, backgroundColor: SOURCE_COLOURS[k % SOURCE_COLOURS.length],
                 borderColor: SOURCE_COLOURS[k % SOURCE_COLOURS.length], pointRadius: 4, showLine: false };
      });
      if (hi <= lo) hi = lo + 60000;
      chartIn(box, { type: 'scatter', data: { datasets: ds },
        options: baseOptions({ scales: { x: timeAxis(lo - (hi - lo) * 0.02, hi + (hi - lo) * 0.02, { title: 'export time of the first message of each run of lossy messages' }),
                                         y: { beginAtZero: true, title: { display: true, text: 'records missing in the run' } } } }) });
      for (const s of sec.loss) {
        root.append(el('h4', { text: `${s.exporter} domain ${s.domain} v${s.version}: ${num(s.records_missing)} of ${num(s.records)} records missing, ` +
          `in ${num(s.messages_hit)} of ${num(s.messages)} messages` + (s.messages_unseen != null ? `; ${num(s.messages_unseen)} messages never seen` : '') }));
        const t = el('table', null, el('tr', null, ...['sequence', 'messages', 'all lost', 'records missing', 'exported', 'flows starting'].map((h) => el('th', { class: 'text', text: h }))));
        for (const g of s.ranges)
          t.append(el('tr', null, el('td', { class: 'text', text: `${g.first_sequence}–${g.last_sequence}` }), el('td', { text: num(g.messages) }),
            el('td', { text: num(g.messages_whole) }), el('td', { text: num(g.records_missing) }),
            el('td', { class: 'text', text: `${timeText(g.first_export_ms)} – ${timeText(g.last_export_ms)}` }),
            el('td', { class: 'text', text: g.first_flow_ms != null ? `${timeText(g.first_flow_ms)} – ${timeText(g.last_flow_ms)}` : '' })));
        root.append(t);
        if (s.ranges_total > s.ranges.length) root.append(el('p', { class: 'hint', text: `the first ${s.ranges.length} of ${s.ranges_total} runs` }));
      }
    }

    const fields = Object.entries(sec.altered_fields || {});
    if (fields.length) {
      root.append(el('h3', { text: 'Altered fields' }));
      const box = el('div', { class: 'chart small', 'data-chart': 'fields' });
      root.append(box);
      chartIn(box, { type: 'bar', data: { labels: fields.map((f) => f[0]), datasets: [{ label: 'altered records', data: fields.map((f) => f[1]), backgroundColor: OUTCOME_COLOURS.altered }] },
        options: baseOptions({ parsing: true, normalized: false, plugins: { legend: { display: false } } }) });
    }
    const ex = sec.examples || {};
    for (const kind of ['missing', 'altered', 'duplicated', 'unexpected']) {
      if (!ex[kind] || !ex[kind].length) continue;
      const d = el('details', null, el('summary', { text: `Examples: ${kind} (${ex[kind].length})` }));
      d.append(el('pre', { text: ex[kind].map((x) => JSON.stringify(x)).join('\n') }));
      root.append(d);
    }
    for (const n of sec.notes || []) root.append(el('p', { class: 'muted', text: 'Note: ' + n }));
  }

  function totalsVerdict(sec, root) {
    const t = sec.totals;
    root.append(el('p', { text: `${num(t.keys)} keys (${(t.by || []).join(', ')}), ${num(t.keys_outside)} outside the tolerance of ${(100 * t.tolerance).toFixed(2)}%.` }));
    if (t.outside && t.outside.length) {
      const tab = el('table', null, el('tr', null, el('th', { class: 'key', text: 'key' }), ...t.metrics.map((m) => el('th', { text: m + ' truth → collected' }))));
      for (const r of t.outside) tab.append(el('tr', null, el('td', { class: 'key', text: r.key }), ...t.metrics.map((m, i) => el('td', { text: `${num(r.truth[i] ?? r.truth[m] ?? 0)} → ${num(r.collected[i] ?? r.collected[m] ?? 0)}` }))));
      root.append(tab);
    }
  }

  // ------------------------------------------------------------------ rate sweep
  function sweepSection(sec, root) {
    const rows = sec.rows;
    root.append(el('div', { class: 'verdict ' + (sec.capacity ? 'good' : 'bad'), 'data-role': 'capacity',
      text: sec.capacity ? `Capacity: no loss up to ${sec.capacity} (every lower rate of the sweep loss-free too)` : 'Records were lost or altered at every rate of this sweep' }));
    if (sec.loss_free_above && sec.loss_free_above.length)
      root.append(el('p', { class: 'muted', text: 'Loss-free again above a lossy rate (not counted as capacity): ' + sec.loss_free_above.join(', ') }));
    const box = el('div', { class: 'chart tall', 'data-chart': 'sweep' });
    root.append(box);
    const labels = rows.map((r) => r.label);
    const capIndex = labels.indexOf(sec.capacity);
    const capacityPlugin = {
      id: 'flCapacity',
      afterDatasetsDraw(chart) {
        if (capIndex < 0) return;
        const { ctx, chartArea: a, scales: { x } } = chart;
        const px = x.getPixelForValue(capIndex) + (x.getPixelForValue(1) - x.getPixelForValue(0)) / 2;
        ctx.save();
        ctx.strokeStyle = '#1a7f37'; ctx.setLineDash([6, 4]); ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
        ctx.fillStyle = '#1a7f37'; ctx.font = 'bold 12px sans-serif';
        ctx.fillText('capacity ' + sec.capacity, Math.min(px + 4, a.right - 110), a.top + 14);
        ctx.restore();
      },
    };
    chartIn(box, { type: 'bar', plugins: [capacityPlugin], data: { labels, datasets: [
      { label: 'records sent (truth)', data: rows.map((r) => r.truth), backgroundColor: '#8c959f' },
      { label: 'stored and matched', data: rows.map((r) => r.matched), backgroundColor: OUTCOME_COLOURS.matched },
      { label: 'lost', data: rows.map((r) => r.missing), backgroundColor: OUTCOME_COLOURS.missing },
      { label: 'altered', data: rows.map((r) => r.altered), backgroundColor: OUTCOME_COLOURS.altered },
      { label: 'messages per second achieved', data: rows.map((r) => r.achieved_pps), type: 'line', yAxisID: 'rate', borderColor: '#0b62a4', backgroundColor: '#0b62a4' },
    ] }, options: baseOptions({ parsing: true, normalized: false, interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, title: { display: true, text: 'records' } },
                rate: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'messages/s achieved' } } } }) });
    const t = el('table', null, el('tr', null, ...['rate', 'achieved', 'messages', 'records', 'received', 'lost', 'altered', 'extra', 'verdict'].map((h) => el('th', { text: h }))));
    for (const r of rows)
      t.append(el('tr', { class: r.label === sec.capacity ? 'answer' : null }, el('td', { text: r.label }), el('td', { text: num(r.achieved_pps) }),
        el('td', { text: num(r.messages_sent) }), el('td', { text: num(r.truth) }), el('td', { text: num(r.collected) }), el('td', { text: num(r.missing) }),
        el('td', { text: num(r.altered) }), el('td', { text: num(r.extra) }), el('td', { class: 'text', text: r.verdict })));
    root.append(t);
  }

  // ------------------------------------------------------------------ conformance card
  function cardSection(sec, root) {
    if (sec.implementation || sec.suite)
      root.append(el('p', null, el('b', { text: sec.implementation || '' }), sec.suite ? ' against ' + sec.suite : ''));
    const chips = el('div', { class: 'chips' });
    const order = Object.keys(VERDICT_COLOURS).concat(Object.keys(sec.summary).filter((v) => !(v in VERDICT_COLOURS)));
    const present = order.filter((v) => sec.summary[v]);
    for (const v of present) chips.append(el('span', { class: 'chip', style: `background:${VERDICT_COLOURS[v] || '#555'}`, text: `${v}: ${sec.summary[v]}` }));
    root.append(chips);
    const box = el('div', { class: 'chart small', 'data-chart': 'card' });
    root.append(box);
    chartIn(box, { type: 'bar', data: { labels: present, datasets: [{ label: 'cases', data: present.map((v) => sec.summary[v]),
      backgroundColor: present.map((v) => VERDICT_COLOURS[v] || '#555') }] },
      options: baseOptions({ parsing: true, normalized: false, plugins: { legend: { display: false } } }) });
    root.append(el('h3', { text: 'Case matrix' }));
    const groups = new Map();
    for (const c of sec.cases) {
      const g = c.group || '(no group)';
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(c);
    }
    const m = el('div', { class: 'matrix', 'data-role': 'matrix' });
    for (const [g, cases] of groups) {
      const cells = el('div', { class: 'cases' });
      for (const c of cases)
        cells.append(el('span', { class: 'case', 'data-verdict': c.verdict, style: `background:${VERDICT_COLOURS[c.verdict] || '#555'}`,
          title: `${c.id} ${c.title}\n${c.rfc}\n${c.verdict}${c.detail ? ': ' + c.detail : ''}`, text: c.id }));
      m.append(el('div', { class: 'group', text: g }), cells);
    }
    root.append(m);
    const t = el('table', null, el('tr', null, ...['case', 'group', 'title', 'RFC', 'verdict', 'detail'].map((h) => el('th', { class: 'text', text: h }))));
    for (const c of sec.cases) {
      const detail = el('td', { class: 'text', text: c.detail });
      if (c.diffs && (Array.isArray(c.diffs) ? c.diffs.length : Object.keys(c.diffs).length))
        detail.append(el('details', null, el('summary', { text: 'differences' }), el('pre', { text: JSON.stringify(c.diffs, null, 1) })));
      t.append(el('tr', null, el('td', { class: 'text', text: c.id }), el('td', { class: 'text', text: c.group }), el('td', { class: 'text', text: c.title }),
        el('td', { class: 'text', text: c.rfc }), el('td', { class: 'text', style: `color:${VERDICT_COLOURS[c.verdict] || '#555'};font-weight:600`, text: c.verdict }), detail));
    }
    root.append(el('h3', { text: 'Cases' }), t);
    for (const n of sec.notes || []) root.append(el('p', { class: 'muted', text: 'Note: ' + n }));
  }

  // ------------------------------------------------------------------ page
  async function inflate() {
    const text = document.getElementById('flowlab-data').textContent.trim();
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return JSON.parse(await new Response(stream).text());
  }

  function fail(e) {
    FL.errors.push(String(e && e.stack || e));
    const main = document.getElementById('sections');
    main.prepend(el('p', { class: 'error', text: 'This page could not be drawn: ' + (e && e.message || e) +
      (typeof DecompressionStream === 'undefined' ? ' (this browser cannot inflate gzip: please use a current browser)' : '') }));
  }

  FL.ready = (async () => {
    try {
      const data = await inflate();
      FL.data = data;
      const main = document.getElementById('sections');
      const nav = document.getElementById('nav');
      document.getElementById('loading').remove();
      if (data.answers_shown) nav.append(el('span', { class: 'chip', style: 'background:#cf222e', text: 'answers shown' }));
      data.sections.forEach((sec, i) => {
        const id = 'section-' + i;
        const root = el('section', { class: 'report', id, 'data-kind': sec.kind });
        root.append(el('h2', { text: sec.title }));
        main.append(root);
        nav.append(el('a', { href: '#' + id, text: sec.title }));
        if (sec.kind === 'traffic') FL.sections.push(new Traffic(sec, i, root));
        else {
          if (sec.kind === 'verdict') verdictSection(sec, root);
          else if (sec.kind === 'sweep') sweepSection(sec, root);
          else if (sec.kind === 'card') cardSection(sec, root);
          FL.sections.push({ kind: sec.kind, sec });
        }
      });
      document.documentElement.setAttribute('data-ready', '1');
    } catch (e) {
      fail(e);
      throw e;
    }
  })();
})();
