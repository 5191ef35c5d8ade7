// sfumato dashboard: draws a run's charts from the JSON the page embeds,
// and keeps the iteration slider and Bob's window in the URL. The figures
// shown here are the ones the server computes (crate::data); the browser
// tests compare them.
(function () {
  "use strict";
  const holder = document.getElementById("data");
  const picker = document.getElementById("scenario");
  if (picker) {
    picker.addEventListener("change", function () {
      location.href = "/run/" + encodeURIComponent(picker.value);
    });
  }
  if (!holder || typeof uPlot === "undefined") return;
  const D = JSON.parse(holder.textContent);
  // The iteration the slider shows, and how to redraw Bob's matches.
  let currentIter = D.iter;
  let redrawBob = null;
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  const fmt = (x) => x.toFixed(3);

  function euclid(a, b) {
    let s = 0;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
  function znorm(v) {
    const n = Math.max(v.length, 1);
    const mean = v.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) * (x - mean), 0) / n);
    if (sd < 1e-12) return v.map(() => 0);
    return v.map((x) => (x - mean) / sd);
  }
  function closest(s, cs) {
    let best = null;
    cs.forEach(function (c, i) {
      const d = euclid(s, c);
      if (best === null || d < best[1]) best = [i, d];
    });
    return best;
  }
  function centroidsAt(it) {
    return it.centroids_after.length ? it.centroids_after : it.centroids_before;
  }
  function setUrl(key, value) {
    const u = new URL(location.href);
    u.searchParams.set(key, value);
    history.replaceState(null, "", u);
  }
  function widthOf(el) {
    return Math.max(260, Math.min(620, (el.parentElement && el.parentElement.clientWidth) || 560));
  }
  function chart(id, title, labels, data, extra) {
    const el = document.getElementById(id);
    if (!el) return null;
    const series = [{ label: labels[0] }];
    for (let i = 1; i < labels.length; i++) {
      const s = { label: labels[i], stroke: COLORS[(i - 1) % COLORS.length], width: 1.5 };
      if (extra && extra.dashed && extra.dashed(i)) s.dash = [6, 4];
      if (extra && extra.color) s.stroke = extra.color(i);
      series.push(s);
    }
    const opts = {
      title: title,
      width: widthOf(el),
      height: 220,
      scales: { x: { time: false } },
      series: series,
      cursor: extra && extra.cursor ? extra.cursor : {},
      hooks: extra && extra.hooks ? extra.hooks : {},
    };
    return new uPlot(opts, data, el);
  }
  const range = (n) => Array.from({ length: n }, (_, i) => i);

  if (D.kind === "cluster") cluster();
  if (D.kind === "dream") dream();
  if (D.kind === "query") query();

  // Bob's profiles: those published at the iteration, or the last ones.
  function profilesAt(iter) {
    const it = D.iterations[iter];
    if (it && it.centroids_after.length) return it.centroids_after;
    return D.profiles;
  }

  function cluster() {
    const its = D.iterations;
    const plots = {};
    D.picked.forEach(function (p) {
      const xs = range(p.values.length);
      plots[p.participant] = chart("p-" + p.participant, "participant " + p.participant,
        ["slot", "series", "closest centroid"], [xs, p.values, p.values.map(() => null)],
        { dashed: (i) => i === 2 });
    });
    let centroidPlot = null;
    function show(iter) {
      const it = its[iter];
      if (!it) return;
      currentIter = iter;
      if (redrawBob) redrawBob();
      const cs = centroidsAt(it);
      D.picked.forEach(function (p) {
        const c = closest(p.values, cs);
        const label = document.getElementById("closest-" + p.participant);
        if (c) {
          if (label) label.textContent = "closest centroid " + c[0] + ", distance " + fmt(c[1]);
          const u = plots[p.participant];
          if (u) u.setData([range(p.values.length), p.values, cs[c[0]]]);
        } else if (label) {
          label.textContent = "no centroids";
        }
      });
      const out = document.getElementById("iter-label");
      if (out) out.textContent = String(iter + 1);
      // The first four centroids, before (solid) and after (dashed).
      const before = it.centroids_before.slice(0, 4);
      const after = it.centroids_after.slice(0, 4);
      const n = Math.max(...before.concat(after).map((c) => c.length), 0);
      const data = [range(n)];
      const labels = ["slot"];
      before.forEach((c, i) => { data.push(c); labels.push("before " + i); });
      after.forEach((c, i) => { data.push(c); labels.push("after " + i); });
      const el = document.getElementById("centroids-chart");
      if (el) {
        if (centroidPlot) centroidPlot.destroy();
        centroidPlot = chart("centroids-chart", "iteration " + (iter + 1), labels, data, {
          dashed: (i) => i > before.length,
          color: (i) => COLORS[(i > before.length ? i - before.length - 1 : i - 1) % COLORS.length],
        });
      }
    }
    const slider = document.getElementById("iter");
    if (slider) {
      slider.addEventListener("input", function () {
        const iter = Number(slider.value);
        show(iter);
        setUrl("iter", iter);
      });
    }
    if (D.bob) bob();
    show(D.iter);
    timings();
    chart("inertia-chart", "intra-cluster inertia", ["iteration", "before noise", "after noise"], [
      its.map((i) => i.iteration + 1),
      its.map((i) => i.inertia_before),
      its.map((i) => i.inertia_after),
    ]);
  }

  // Time per participant per iteration, one line per operation and key
  // size, on a log scale.
  function timings() {
    if (!D.timings || !D.timings.length) return;
    const el = document.getElementById("timings-chart");
    if (!el) return;
    const name = (t) => t.operation + " " + t.key_bits + " bits";
    const keys = [];
    D.timings.forEach(function (t) {
      if (keys.indexOf(name(t)) < 0) keys.push(name(t));
    });
    const iters = Array.from(new Set(D.timings.map((t) => t.iteration))).sort((a, b) => a - b);
    const data = [iters];
    keys.forEach(function (k) {
      data.push(iters.map(function (i) {
        const t = D.timings.find((x) => name(x) === k && x.iteration === i);
        return t && t.micros_per_participant > 0 ? t.micros_per_participant : null;
      }));
    });
    const series = [{ label: "iteration" }].concat(keys.map(function (k, i) {
      const s = { label: k, stroke: COLORS[i % 3], width: 1.5 };
      if (k.indexOf(" 512 ") < 0) s.dash = [6, 4];
      return s;
    }));
    new uPlot({
      title: "µs per participant per iteration",
      width: widthOf(el),
      height: 240,
      scales: { x: { time: false }, y: { distr: 3 } },
      series: series,
    }, data, el);
  }

  function bob() {
    const values = D.bob.values;
    const xs = range(values.length);
    const startIn = document.getElementById("w-start");
    const lenIn = document.getElementById("w-len");
    let u = null;
    function update(start, len, fromDrag) {
      len = Math.max(1, Math.min(len, values.length));
      start = Math.max(0, Math.min(start, values.length - len));
      startIn.value = start;
      lenIn.value = len;
      document.getElementById("w-label").textContent = "slots " + start + "–" + (start + len - 1);
      const w = values.slice(start, start + len);
      const zw = znorm(w);
      const eu = [];
      const zn = [];
      profilesAt(currentIter).forEach(function (p, i) {
        if (p.length < start + len) return;
        const pw = p.slice(start, start + len);
        eu.push([i, euclid(w, pw)]);
        zn.push([i, euclid(zw, znorm(pw))]);
      });
      eu.sort((a, b) => a[1] - b[1]);
      zn.sort((a, b) => a[1] - b[1]);
      for (const [id, list] of [["bob-euclid", eu], ["bob-znorm", zn]]) {
        const ol = document.getElementById(id);
        ol.innerHTML = "";
        list.slice(0, 3).forEach(function (m) {
          const li = document.createElement("li");
          li.textContent = "profile " + m[0] + ": " + fmt(m[1]);
          ol.appendChild(li);
        });
      }
      setUrl("w", start + "," + len);
      if (u && !fromDrag) {
        const l = u.valToPos(start, "x");
        const r = u.valToPos(start + len - 1, "x");
        u.setSelect({ left: l, width: Math.max(r - l, 2), top: 0, height: u.bbox.height / devicePixelRatio }, false);
      }
    }
    u = chart("bob-chart", "participant #" + D.bob.participant, ["slot", "Bob"], [xs, values], {
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [function (self) {
          if (self.select.width < 1) return;
          const a = Math.round(self.posToVal(self.select.left, "x"));
          const b = Math.round(self.posToVal(self.select.left + self.select.width, "x"));
          update(Math.min(a, b), Math.abs(b - a) + 1, true);
        }],
      },
    });
    startIn.addEventListener("change", () => update(Number(startIn.value), Number(lenIn.value), false));
    lenIn.addEventListener("change", () => update(Number(startIn.value), Number(lenIn.value), false));
    redrawBob = () => update(Number(startIn.value), Number(lenIn.value), false);
    update(D.window[0], D.window[1], false);
  }

  function dream() {
    chart("slots-chart", "published and true totals (kWh)", ["slot", "published", "true"], [
      D.slots.map((s) => s.slot),
      D.slots.map((s) => (s.published === null ? null : s.published)),
      D.slots.map((s) => s.truth),
    ]);
  }

  function query() {
    chart("latency-chart", "latency per query (ms)", ["query", "latency"], [
      D.answers.map((a) => a.number),
      D.answers.map((a) => a.latency_ms),
    ]);
  }
})();
