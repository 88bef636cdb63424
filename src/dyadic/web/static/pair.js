// The pair page's charts: fetch the Vega-Lite specifications from the API and draw them with the vendored
// vega-embed. The year range filters each chart's inline data and the download links; it is kept in the URL.
(function () {
  "use strict";
  const root = document.getElementById("pair");
  if (!root) return;
  const status = document.getElementById("status");
  const from = document.getElementById("year-from");
  const to = document.getElementById("year-to");
  const lo = Number(root.dataset.yearLo), hi = Number(root.dataset.yearHi);
  let charts = [];
  const views = {};

  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  function range() {
    let a = Number(from.value) || lo, b = Number(to.value) || hi;
    a = Math.max(lo, Math.min(hi, a)); b = Math.max(lo, Math.min(hi, b));
    if (a > b) { const t = a; a = b; b = t; }
    from.value = a; to.value = b;
    return [a, b];
  }

  function filtered(spec, a, b) {
    const out = JSON.parse(JSON.stringify(spec));
    for (const name of Object.keys(out.datasets || {})) {
      out.datasets[name] = out.datasets[name].filter(function (r) {
        return typeof r.year !== "number" || (r.year >= a && r.year <= b);
      });
    }
    return out;
  }

  function setLinks(a, b) {
    const full = a === lo && b === hi;
    document.querySelectorAll("figure.chart a.dl").forEach(function (el) {
      const url = new URL(el.getAttribute("href"), window.location.href);
      if (full) { url.searchParams.delete("start"); url.searchParams.delete("end"); }
      else { url.searchParams.set("start", a); url.searchParams.set("end", b); }
      el.setAttribute("href", url.pathname + url.search);
    });
    const page = new URL(window.location.href);
    if (full) { page.searchParams.delete("start"); page.searchParams.delete("end"); }
    else { page.searchParams.set("start", a); page.searchParams.set("end", b); }
    window.history.replaceState(null, "", page.pathname + page.search);
  }

  async function draw() {
    const [a, b] = range();
    setLinks(a, b);
    root.dataset.chartsReady = "0";
    say("drawing " + charts.length + " chart(s)…");
    const opts = {
      renderer: "svg", ast: true, defaultStyle: false,
      actions: { export: true, source: false, compiled: false, editor: false },
      tooltip: { disableDefaultStyle: true }
    };
    let done = 0;
    for (const ch of charts) {
      const el = document.getElementById("vis-" + ch.id);
      if (!el) continue;
      if (views[ch.id]) { views[ch.id].finalize(); }
      try {
        const res = await vegaEmbed(el, filtered(ch.spec, a, b), opts);
        views[ch.id] = res;
        done += 1;
      } catch (err) {
        say("a chart could not be drawn: " + err.message, true);
        return;
      }
    }
    root.dataset.chartsReady = String(done);
    root.dataset.yearRange = a + "-" + b;
    say(done ? ("years " + a + "–" + b) : "no chart for this pair");
  }

  document.getElementById("years").addEventListener("submit", function (ev) {
    ev.preventDefault();
    draw();
  });
  document.getElementById("years-reset").addEventListener("click", function () {
    from.value = lo; to.value = hi; draw();
  });

  fetch(root.dataset.chartsUrl, { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) return r.json().then(function (e) { throw new Error(e.detail || r.statusText); });
      return r.json();
    })
    .then(function (doc) { charts = doc.charts; return draw(); })
    .catch(function (err) { say("charts unavailable: " + err.message, true); });
})();
