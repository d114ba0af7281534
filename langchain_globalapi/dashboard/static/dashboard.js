/* The cost dashboard: renders a ledger summary (see langchain_globalapi.ledger.summary) with
 * Chart.js, and in live mode keeps it current through server-sent events. The same file runs
 * in the static report, where the summary is embedded and nothing is fetched. */
(function () {
  "use strict";

  var live = document.body.dataset.mode === "live";
  var charts = {};
  var source = null;
  var currentRange = null;
  var renders = 0;

  var TIER_COLORS = { economy: "#2f9e6a", flash: "#2d6cdf", pro: "#8a4fd8", "(none)": "#9aa1ae" };
  var PALETTE = ["#2d6cdf", "#e0793a", "#2f9e6a", "#8a4fd8", "#c2362b", "#1a9bb0", "#c79a1e", "#9aa1ae"];

  function $(id) { return document.getElementById(id); }

  function colorFor(name, index, byTier) {
    if (byTier && TIER_COLORS[name]) { return TIER_COLORS[name]; }
    if (name === "other") { return "#b8bdc7"; }
    return PALETTE[index % PALETTE.length];
  }

  function escapeHtml(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function money(value) {
    if (value === null || value === undefined) { return "n/a"; }
    var x = Number(value);
    if (Math.abs(x) >= 1 || x === 0) {
      return (x < 0 ? "-$" : "$") + DOLLARS.format(Math.abs(x));
    }
    return (x < 0 ? "-$" : "$") + Math.abs(x).toPrecision(3);
  }

  function pct(value, digits) {
    if (value === null || value === undefined) { return "n/a"; }
    return (value * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }

  function count(n) { return COUNT.format(Number(n || 0)); }

  // Formatters are built once: Intl objects are slow to make and labels are made often.
  var DAY = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric" });
  var WEEKDAY = new Intl.DateTimeFormat("en-US", { weekday: "short" });
  var CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
  var STAMP = new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeStyle: "medium" });
  var DOLLARS = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var COUNT = new Intl.NumberFormat("en-US");

  function label(ts, bucket, spanS) {
    var d = new Date(ts * 1000);
    if (bucket >= 86400) { return DAY.format(d); }
    if (spanS > 86400) { return WEEKDAY.format(d) + " " + CLOCK.format(d); }
    return CLOCK.format(d);
  }

  function stamp(ts) { return STAMP.format(new Date(ts * 1000)); }

  function showMessage(kind, text) {
    var box = $("message");
    if (!text) { box.hidden = true; box.textContent = ""; return; }
    box.className = "message " + kind;
    box.innerHTML = "<strong>" + (kind === "error" ? "The ledger cannot be read" : "Nothing to show yet") +
      "</strong>" + escapeHtml(text);
    box.hidden = false;
  }

  function baseOptions(stacked, yMoney, yMax) {
    return {
      animation: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 11 } } },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = ctx.parsed.y;
              return ctx.dataset.label + ": " + (yMoney ? money(v) : (yMax === 1 ? pct(v) : count(v)));
            }
          }
        }
      },
      scales: {
        x: { stacked: stacked, ticks: { maxTicksLimit: 12, font: { size: 10 } }, grid: { display: false } },
        y: {
          stacked: stacked, beginAtZero: true, max: yMax,
          ticks: { font: { size: 10 }, callback: function (v) { return yMoney ? money(v) : (yMax === 1 ? pct(v, 0) : count(v)); } }
        }
      }
    };
  }

  var drawn = {};

  function drawChart(id, type, labels, datasets, options) {
    var chart = charts[id];
    // An update that changes nothing this chart shows (a cache hit and the agreement chart)
    // is skipped: comparing the numbers costs far less than redrawing them.
    var signature = JSON.stringify([labels, datasets.map(function (d) { return [d.label, d.data]; })]);
    if (chart && drawn[id] === signature) { return; }
    drawn[id] = signature;
    if (!chart) {
      charts[id] = new Chart($(id), { type: type, data: { labels: labels, datasets: datasets }, options: options });
      return;
    }
    chart.data.labels = labels;
    var current = chart.data.datasets;
    var same = current.length === datasets.length && datasets.every(function (d, i) { return current[i].label === d.label; });
    if (same) {
      // Swap the numbers only: new dataset objects would rebuild every controller.
      datasets.forEach(function (d, i) { current[i].data = d.data; });
    } else {
      chart.data.datasets = datasets;
    }
    chart.update("none");
  }

  // Stacked areas rather than bars: hundreds of buckets draw as one path per series, which
  // keeps a live update of a week of hourly buckets to a few milliseconds per chart.
  function stackedAreas(series, byTier) {
    return Object.keys(series).map(function (name, i) {
      var c = colorFor(name, i, byTier);
      return { label: name, data: series[name], backgroundColor: c + "cc", borderColor: c, borderWidth: 1, pointRadius: 0, pointHitRadius: 4, fill: i === 0 ? "origin" : "-1", tension: 0 };
    });
  }

  function shares(series) {
    var names = Object.keys(series);
    var result = {};
    names.forEach(function (n) { result[n] = []; });
    if (!names.length) { return result; }
    for (var i = 0; i < series[names[0]].length; i++) {
      var total = 0;
      names.forEach(function (n) { total += series[n][i]; });
      names.forEach(function (n) { result[n].push(total ? series[n][i] / total : 0); });
    }
    return result;
  }

  function renderCharts(s) {
    var r = s.range;
    var spanS = r.until - r.since;
    var labels = s.series.t.map(function (t) { return label(t, r.bucket_s, spanS); });
    drawChart("chart-cumulative", "line", labels, [
      { label: "GPT-4o counterfactual", data: s.series.cumulative_reference, borderColor: "#9aa1ae", backgroundColor: "rgba(154,161,174,0.15)", borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fill: true },
      { label: "Actual spend", data: s.series.cumulative_spend, borderColor: "#2d6cdf", backgroundColor: "rgba(45,108,223,0.18)", borderWidth: 2, pointRadius: 0, fill: true }
    ], baseOptions(false, true));
    drawChart("chart-model", "line", labels, stackedAreas(s.series.spend_by_model, false), baseOptions(true, true));
    drawChart("chart-tiers", "line", labels, stackedAreas(shares(s.series.answers_by_tier), true), baseOptions(true, false, 1));
    drawChart("chart-tier-spend", "line", labels, stackedAreas(s.series.spend_by_tier, true), baseOptions(true, true));
    drawChart("chart-task", "line", labels, stackedAreas(s.series.spend_by_task, false), baseOptions(true, true));
    drawChart("chart-health", "line", labels, [
      { label: "cache hits", data: s.series.cache_hits, borderColor: "#2f9e6a", borderWidth: 2, pointRadius: 0 },
      { label: "failed attempts", data: s.series.failed, borderColor: "#e0793a", borderWidth: 2, pointRadius: 0 },
      { label: "rate limits", data: s.series.rate_limited, borderColor: "#c2362b", borderWidth: 2, pointRadius: 0 }
    ], baseOptions(false, false));
    var points = s.series.agreement;
    var pick = function (key) { return points.map(function (p) { return p ? p[key] : null; }); };
    var threshold = points.map(function () { return s.tripwire.threshold; });
    drawChart("chart-agreement", "line", labels, [
      { label: "Wilson high", data: pick("high"), borderColor: "rgba(45,108,223,0.25)", backgroundColor: "rgba(45,108,223,0.12)", pointRadius: 0, borderWidth: 1, fill: "+1", spanGaps: true },
      { label: "Wilson low", data: pick("low"), borderColor: "rgba(45,108,223,0.25)", pointRadius: 0, borderWidth: 1, fill: false, spanGaps: true },
      { label: "agreement", data: pick("rate"), borderColor: "#2d6cdf", pointRadius: 0, borderWidth: 2, spanGaps: true },
      { label: "alarm threshold", data: threshold, borderColor: "#c2362b", borderDash: [4, 4], pointRadius: 0, borderWidth: 1 }
    ], baseOptions(false, false, 1));
  }

  function table(id, head, rows, emptyText) {
    var html = "<thead><tr>" + head.map(function (h) { return "<th>" + escapeHtml(h) + "</th>"; }).join("") + "</tr></thead><tbody>";
    if (!rows.length) {
      html += '<tr><td class="empty" colspan="' + head.length + '">' + escapeHtml(emptyText) + "</td></tr>";
    }
    rows.forEach(function (cells) {
      html += "<tr>" + cells.map(function (c) {
        return typeof c === "object" && c !== null ? '<td class="' + c.cls + '">' + c.html + "</td>" : "<td>" + escapeHtml(c) + "</td>";
      }).join("") + "</tr>";
    });
    $(id).innerHTML = html + "</tbody>";
  }

  function callRow(c) {
    var status = c.error ? { cls: "bad", html: escapeHtml(c.error) } :
      c.cache_hit ? { cls: "", html: '<span class="pill good">cache</span>' } :
      c.shadow ? { cls: "", html: '<span class="pill">shadow</span>' } :
      c.attempt > 1 ? { cls: "", html: '<span class="pill">fallback #' + c.attempt + "</span>" } : "ok";
    return [
      { cls: "text", html: escapeHtml(stamp(c.ts)) },
      { cls: "text", html: escapeHtml(c.model) }, c.tier || "", c.task || "",
      count(c.input_tokens) + " / " + count(c.output_tokens), money(c.usd),
      Math.round(c.latency_ms) + " ms", status
    ];
  }

  function renderTables(s) {
    table("table-models", ["model", "answers", "failed", "rate limits", "by fallback", "cache hits", "spend", "share"],
      s.models.map(function (m) {
        return [{ cls: "text", html: escapeHtml(m.name) }, count(m.answered), count(m.failed), count(m.rate_limited),
          count(m.fallback_served), count(m.cache_hits), money(m.spend_usd), m.share_pct === null ? "n/a" : m.share_pct.toFixed(1) + "%"];
      }), "No calls in this range.");
    table("table-tasks", ["task", "answers", "spend", "per answer", "GPT-4o", "saved"],
      s.tasks.map(function (t) {
        return [{ cls: "text", html: escapeHtml(t.name || "(none)") }, count(t.answered), money(t.spend_usd),
          money(t.usd_per_answer), money(t.reference_usd), t.saving_pct === null ? "n/a" : t.saving_pct.toFixed(1) + "%"];
      }), "No calls in this range.");
    var head = ["time", "model", "tier", "task", "tokens in / out", "cost", "latency", "status"];
    table("table-top", head, s.top_calls.map(callRow), "No priced calls kept for this range.");
    table("table-recent", head, s.recent_calls.map(callRow), "No calls yet.");
    var alarms = s.tripwire.alarms;
    $("alarms").innerHTML = alarms.length ? "<ul>" + alarms.map(function (a) {
      return "<li>" + escapeHtml(stamp(a.since)) + " to " + escapeHtml(stamp(a.until)) + ": lower bound fell to " + pct(a.lowest) + "</li>";
    }).join("") + "</ul>" : '<p class="note">No alarm in this range (alarm when the Wilson lower bound of agreement falls below ' +
      pct(s.tripwire.threshold, 0) + " over at least " + s.tripwire.min_samples + " verdicts).</p>";
  }

  function renderKpis(s) {
    var t = s.totals;
    $("counter").textContent = t.spend_display;
    $("counter-sub").textContent = count(t.answered) + " answers, " + count(t.input_tokens + t.output_tokens) + " tokens";
    $("reference").textContent = t.reference_display;
    $("saving").textContent = t.saving_display;
    $("saving-pct").textContent = t.saving_pct === null ? "no priced answers yet" : t.saving_pct.toFixed(1) + "% less than GPT-4o";
    $("cache-rate").textContent = pct(t.cache_hit_rate);
    $("cache-sub").textContent = count(t.cache_hits) + " hits saved " + t.saved_by_cache_display;
    $("failed").textContent = count(t.failed);
    $("failed-sub").textContent = "failed attempts, " + count(t.rate_limited) + " rate limits, " + count(t.fallback_served) + " answered by a fallback";
    $("escalation").textContent = pct(t.escalation_rate);
    $("escalation-sub").textContent = count(t.cascade_escalated) + " of " + count(t.cascade_cheap) + " cascade answers escalated";
    var w = s.tripwire;
    $("agreement").textContent = pct(w.rate);
    var sub = w.verdicts ? "[" + pct(w.low) + ", " + pct(w.high) + "] over " + count(w.verdicts) + " verdicts" : "no verdicts yet";
    if (w.alarm && w.latest) {
      sub = "ALARM: the last " + count(w.latest.n) + " agree " + pct(w.latest.rate) + " [" + pct(w.latest.low) + ", " + pct(w.latest.high) + "]; overall " + sub;
    }
    $("agreement-sub").textContent = sub;
    $("tripwire-kpi").classList.toggle("alarm", !!w.alarm);
  }

  function render(s) {
    var began = window.performance ? performance.now() : 0;
    $("ledger-name").textContent = s.ledger;
    markRange(s.range && s.range.name);
    var generated = stamp(s.generated_at);
    if (s.status !== "ok") {
      showMessage(s.status === "error" ? "error" : "empty", s.message);
      $("content").hidden = true;
    } else {
      showMessage(null, null);
      $("content").hidden = false;
      renderKpis(s);
      renderCharts(s);
      renderTables(s);
    }
    $("footer").textContent = (live ? "Updated " : "Report generated ") + generated + " from " + s.ledger + ".";
    renders += 1;
    document.body.dataset.renders = String(renders);
    document.body.dataset.status = s.status;
    document.body.dataset.renderMs = window.performance ? (performance.now() - began).toFixed(1) : "";
    if (window.performance && performance.mark) { performance.mark("dashboard-render-" + renders); }
  }

  function markRange(name) {
    currentRange = name || currentRange;
    var buttons = $("ranges").querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].dataset.range === currentRange ? "true" : "false");
      buttons[i].disabled = !live;
    }
  }

  function setLive(on, text) {
    var el = $("live");
    el.className = "live " + (on ? "on" : "off");
    el.textContent = text;
  }

  function connect(range) {
    if (source) { source.close(); }
    source = new EventSource("api/events?range=" + encodeURIComponent(range));
    source.onopen = function () { setLive(true, "live"); };
    source.onmessage = function (event) { setLive(true, "live"); render(JSON.parse(event.data)); };
    source.onerror = function () { setLive(false, "reconnecting..."); };
  }

  function choose(range) {
    if (!live || range === currentRange) { return; }
    markRange(range);
    history.replaceState(null, "", "#range=" + range);
    connect(range);
  }

  window.__dashboardRender = render;
  var initial = JSON.parse($("initial").textContent);
  render(initial);
  if (live) {
    $("ranges").addEventListener("click", function (event) {
      var range = event.target && event.target.dataset ? event.target.dataset.range : null;
      if (range) { choose(range); }
    });
    var fromHash = /range=([0-9a-z]+)/.exec(location.hash);
    var start = fromHash ? fromHash[1] : initial.range.name;
    markRange(start);
    connect(start);
  } else {
    setLive(false, "static report");
    $("live").className = "live";
  }
})();
