// The dashboard's charts (Apache ECharts, vendored). Data comes from the
// <script type="application/json" class="chart-data"> block of the figures fragment, never
// from inline script; names are passed to ECharts as text. The fragment replaces itself
// every 30 s (htmx), and the charts are drawn again from the new block.
"use strict";

(function () {
  const charts = [];

  function readData(root) {
    const block = root.querySelector("script.chart-data");
    if (!block) return null;
    try {
      return JSON.parse(block.textContent);
    } catch (_bad) {
      return null;
    }
  }

  // A rep whose status is not "available" gets it beside the name (休假中, 暂停接单…) and a
  // grey bar: what routing decides now, readable without hovering.
  const GREY = "#9aa5b1";

  function barOptions(categories, series) {
    return {
      animation: false,
      // room on the right for the figure after the longest bar ("123 / 不限", "349 / 553 · 63%")
      grid: { left: 8, right: 110, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0, data: series.filter(function (s) { return s.name; }).map(function (s) { return s.name; }) },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", inverse: true, data: categories,
        axisLabel: { width: 200, overflow: "truncate" },
      },
      series: series,
      aria: { enabled: true },
    };
  }

  // The figure goes after the end of the bar, in dark text: readable however short the
  // bar is (inside a bar a small value had no room and its white text vanished).
  function endLabel(formatter) {
    return { show: true, position: "right", color: "#1f2933", fontSize: 12, formatter: formatter };
  }

  function loadChart(data) {
    const labels = data.labels;
    const rows = data.loads;
    const names = rows.map(function (r) {
      return r.status_text ? r.name + " · " + r.status_text : r.name;
    });
    const open = rows.map(function (r) {
      const color = r.full ? "#c0392b" : (r.status_text ? GREY : "#2f6fb0");
      return { value: r.open, itemStyle: { color: color } };
    });
    // The free part of the bar reaches max_open; reps without one have none, and their
    // label follows the open part.
    const free = rows.map(function (r) {
      return r.max === null ? 0 : Math.max(0, r.max - r.open);
    });
    return barOptions(
      names,
      [
        { name: labels.open, type: "bar", stack: "load", data: open, barMaxWidth: 22,
          itemStyle: { color: "#2f6fb0" } },
        {
          name: labels.free, type: "bar", stack: "load", data: free, barMaxWidth: 22,
          itemStyle: { color: "#d9e2ec" },
          label: endLabel(function (p) {
            const row = rows[p.dataIndex];
            return row.open + " / " + (row.max === null ? labels.no_cap : row.max);
          }),
        },
      ],
    );
  }

  function conversionChart(data) {
    const labels = data.labels;
    const rows = data.conversions;
    return barOptions(
      rows.map(function (r) { return r.name; }),
      [
        { name: labels.won, type: "bar", stack: "closed", barMaxWidth: 22,
          data: rows.map(function (r) { return r.won; }), itemStyle: { color: "#2e8540" } },
        { name: labels.lost, type: "bar", stack: "closed", barMaxWidth: 22,
          data: rows.map(function (r) { return r.lost; }), itemStyle: { color: GREY },
          label: endLabel(function (p) {
            const row = rows[p.dataIndex];
            return row.won + " / " + (row.won + row.lost) + (row.rate === null ? "" : " · " + row.rate + "%");
          }) },
      ],
    );
  }

  const builders = { loads: loadChart, conversions: conversionChart };

  function draw(root) {
    if (!window.echarts) return;
    const scope = root.querySelector ? root : document;
    const data = readData(scope);
    if (!data) return;
    scope.querySelectorAll("[data-chart]").forEach(function (element) {
      const build = builders[element.dataset.chart];
      if (!build) return;
      const old = window.echarts.getInstanceByDom(element);
      if (old) old.dispose();
      if (element.dataset.heightPx) element.style.height = Number(element.dataset.heightPx) + "px";
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(build(data));
      charts.push(chart);
    });
  }

  function start() {
    const figures = document.getElementById("dashboard-figures");
    if (figures) draw(figures);
    document.body.addEventListener("htmx:load", function (event) {
      const element = event.detail && event.detail.elt;
      if (element && element.id === "dashboard-figures") {
        // Forget the charts of the fragment just replaced.
        for (let i = charts.length - 1; i >= 0; i--) {
          if (!document.contains(charts[i].getDom())) {
            charts[i].dispose();
            charts.splice(i, 1);
          }
        }
        draw(element);
      }
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
