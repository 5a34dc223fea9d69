// The console's own script: "select all" boxes and the charts. No inline script anywhere (see the CSP).
(function () {
  "use strict";

  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-select-all");
        document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (item) {
          item.checked = box.checked;
        });
      });
    });
  }

  function campaignOption(data, el) {
    var series = data.series.map(function (s) {
      var line = { name: s.name, type: "line", smooth: true, showSymbol: false, data: s.data };
      if (s.usual !== null) {
        line.markLine = { silent: true, symbol: "none", lineStyle: { type: "dashed" },
          data: [{ yAxis: s.usual, name: el.dataset.usual }], label: { formatter: el.dataset.usual } };
      }
      return line;
    });
    if (series.length && data.clues.length) {
      series[0].markLine = series[0].markLine || { silent: true, symbol: "none", data: [] };
      data.clues.forEach(function (c) {
        series[0].markLine.data.push({ xAxis: c.at, label: { formatter: el.dataset.clue + " " + c.label } });
      });
    }
    return { tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 }, grid: { left: 40, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.x }, yAxis: { type: "value", minInterval: 1 }, dataZoom: [{ type: "inside" }], series: series };
  }

  function monthOption(data, el) {
    return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.days.x }, yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: el.dataset.messages, type: "bar", data: data.days.messages },
        { name: el.dataset.active, type: "line", data: data.days.active }
      ] };
  }

  function charts() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(data.kind === "campaign" ? campaignOption(data, el) : monthOption(data, el));
      el.setAttribute("data-ready", "yes");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { selectAll(); charts(); });
})();
