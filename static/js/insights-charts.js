/* The insights page's values and charts, shared by insights.js (which loads after it) through
   `window.SupportDesk.insights`: how a value of each column type reads (Intl, in the page's language <html lang>
   and the agent's time zone <html data-time-zone>), and the ECharts options for a metric's answer.

   Charts must read without telling colours apart: decal patterns on bars (ECharts' `aria.decal`), a dash style and a
   symbol per line, numbers in the heatmap's cells and words at the ends of its scale, a legend with the series'
   names (the column labels, which the server has already translated). */
(function () {
  "use strict";

  var LANGUAGE = document.documentElement.lang || "en";
  var TIME_ZONE = document.documentElement.dataset.timeZone || undefined;
  var LINE_STYLES = ["solid", "dashed", "dotted"];
  var SYMBOLS = ["circle", "rect", "triangle", "diamond", "pin", "arrow"];

  /* --- Values ----------------------------------------------------------------------------------------------------- */

  var numbers = new Intl.NumberFormat(LANGUAGE);
  var percents = new Intl.NumberFormat(LANGUAGE, { style: "percent", maximumFractionDigits: 1 });
  var dates = new Intl.DateTimeFormat(LANGUAGE, { dateStyle: "medium", timeZone: "UTC" });
  var shortDates = new Intl.DateTimeFormat(LANGUAGE, { day: "numeric", month: "short", timeZone: "UTC" });
  var dateTimes = new Intl.DateTimeFormat(LANGUAGE, { dateStyle: "medium", timeStyle: "short", timeZone: TIME_ZONE });
  var weekdays = new Intl.DateTimeFormat(LANGUAGE, { weekday: "long", timeZone: "UTC" });
  var shortWeekdays = new Intl.DateTimeFormat(LANGUAGE, { weekday: "short", timeZone: "UTC" });
  var hours = new Intl.DateTimeFormat(LANGUAGE, { hour: "numeric", timeZone: "UTC" });

  /* A calendar day ("2026-12-04") as a UTC date, so no time zone moves it to the day before. */
  function day(value) {
    var parts = String(value).split("-").map(Number);
    return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
  }

  /* "3 h 12 min", "45 min", "20 s": the composer's wording (and msgids) for durations. */
  function duration(seconds) {
    seconds = Math.round(seconds);
    if (seconds < 60) return interpolate(gettext("%(seconds)s s"), { seconds: seconds }, true);
    var minutes = Math.round(seconds / 60);
    var whole = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (!whole) return interpolate(gettext("%(minutes)s min"), { minutes: rest }, true);
    if (!rest) return interpolate(gettext("%(hours)s h"), { hours: numbers.format(whole) }, true);
    return interpolate(gettext("%(hours)s h %(minutes)s min"), { hours: numbers.format(whole), minutes: rest }, true);
  }

  /* A value as the table and the tooltips show it; `compact` for axis labels. */
  function format(value, type, compact) {
    if (value === null || value === undefined || value === "") return "\u2013";
    switch (type) {
      case "int":
        return numbers.format(value);
      case "share":
        return percents.format(value);
      case "seconds":
        return duration(value);
      case "date":
        return (compact ? shortDates : dates).format(day(value));
      case "datetime":
        return dateTimes.format(new Date(value));
      case "weekday": // 1 = Monday; 1 January 2024 was a Monday
        return (compact ? shortWeekdays : weekdays).format(new Date(Date.UTC(2024, 0, value)));
      case "hour":
        return hours.format(new Date(Date.UTC(2024, 0, 1, value)));
      default:
        return String(value);
    }
  }

  /* --- Chart -------------------------------------------------------------------------------------------------- */

  function columnOf(data, key) {
    for (var i = 0; i < data.columns.length; i += 1) {
      if (data.columns[i].key === key) return data.columns[i];
    }
    return { key: key, label: key, type: "text" };
  }

  /* The category names along the x (or y) axis; a name that repeats (a template in two languages) gets the row's
     other text cells, so every bar has its own name. */
  function categories(data, column) {
    var names = data.rows.map(function (row) { return format(row[column.key], column.type, true); });
    var others = data.columns.filter(function (c) { return c.type === "text" && c.key !== column.key; });
    return names.map(function (name, index) {
      var repeated = names.indexOf(name) !== names.lastIndexOf(name);
      if (!repeated || !others.length) return name;
      return name + " \u00b7 " + others.map(function (c) { return data.rows[index][c.key]; }).join(" \u00b7 ");
    });
  }

  function plotted(data) {
    var chart = data.chart;
    var keys = chart.kind === "heatmap" ? [chart.value] : chart.series || [];
    return data.rows.some(function (row) {
      return keys.some(function (key) { return row[key] !== null && row[key] !== undefined && row[key] !== 0; });
    });
  }

  /* Durations are ticked in steps a person counts in (5 min, 1 h, 1 day), not in fractions of the longest one. */
  var DURATION_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

  /* The step and the axis' end (a whole number of steps, so the last tick is a round duration too). */
  function durationScale(data, keys) {
    var highest = 0;
    data.rows.forEach(function (row) {
      var sum = 0;
      keys.forEach(function (key) {
        highest = Math.max(highest, row[key] || 0);
        sum += row[key] || 0;
      });
      if (data.chart.kind.indexOf("stacked") === 0) highest = Math.max(highest, sum);
    });
    var step = DURATION_STEPS[DURATION_STEPS.length - 1];
    for (var i = DURATION_STEPS.length - 1; i >= 0 && highest / DURATION_STEPS[i] <= 6; i -= 1) {
      step = DURATION_STEPS[i]; // the smallest step that still gives at most six ticks
    }
    return { interval: step, max: Math.max(1, Math.ceil(highest / step)) * step };
  }

  function valueAxis(type, data) {
    var axis = {
      type: "value",
      minInterval: type === "int" ? 1 : undefined,
      axisLabel: { formatter: function (value) { return format(value, type, true); } },
    };
    if (type === "seconds") {
      var scale = durationScale(data, data.chart.series);
      axis.interval = scale.interval;
      axis.max = scale.max;
    }
    return axis;
  }

  function seriesOptions(data) {
    var chart = data.chart;
    var x = columnOf(data, chart.x);
    var stacked = chart.kind === "stacked_bar" || chart.kind === "stacked_hbar";
    var horizontal = chart.kind === "hbar" || chart.kind === "stacked_hbar";
    var valueType = columnOf(data, chart.series[0]).type;
    var names = categories(data, x);
    var series = chart.series.map(function (key, index) {
      var column = columnOf(data, key);
      var one = {
        name: column.label,
        type: chart.kind === "line" ? "line" : "bar",
        data: data.rows.map(function (row) { return row[key] === null ? "-" : row[key]; }),
        emphasis: { focus: "series" },
      };
      if (stacked) one.stack = "total";
      if (chart.kind === "line") {
        one.lineStyle = { type: LINE_STYLES[index % LINE_STYLES.length], width: 2 };
        one.symbol = SYMBOLS[index % SYMBOLS.length];
        one.symbolSize = 8;
        one.showAllSymbol = true;
      } else if (!stacked && chart.series.length === 1) {
        one.label = {
          show: true,
          position: horizontal ? "right" : "top",
          formatter: function (p) { return format(p.value, column.type, true); },
        };
      }
      return one;
    });
    var categoryAxis = {
      type: "category",
      data: names,
      inverse: horizontal, // the first row at the top, as in the table
      axisLabel: horizontal ? { width: 160, overflow: "truncate" } : { hideOverlap: true },
    };
    return {
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: chart.kind === "line" ? "line" : "shadow" },
        valueFormatter: function (value) { return format(value === "-" ? null : value, valueType); },
      },
      xAxis: horizontal ? valueAxis(valueType, data) : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis(valueType, data),
      series: series,
    };
  }

  function heatmapOptions(data) {
    var chart = data.chart;
    var x = columnOf(data, chart.x);
    var y = columnOf(data, chart.y);
    var value = columnOf(data, chart.value);
    var xs = [];
    var ys = [];
    data.rows.forEach(function (row) {
      if (xs.indexOf(row[chart.x]) === -1) xs.push(row[chart.x]);
      if (ys.indexOf(row[chart.y]) === -1) ys.push(row[chart.y]);
    });
    var highest = 0;
    var cells = data.rows.map(function (row) {
      highest = Math.max(highest, row[chart.value] || 0);
      return [xs.indexOf(row[chart.x]), ys.indexOf(row[chart.y]), row[chart.value]];
    });
    return {
      grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
      tooltip: {
        formatter: function (p) {
          return (
            format(ys[p.value[1]], y.type) + ", " + format(xs[p.value[0]], x.type) + ": " +
            value.label + " " + format(p.value[2], value.type)
          );
        },
      },
      xAxis: {
        type: "category",
        name: x.label,
        nameLocation: "middle",
        nameGap: 24,
        data: xs.map(function (v) { return format(v, x.type, true); }),
        splitArea: { show: true },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: ys.map(function (v) { return format(v, y.type, true); }),
        splitArea: { show: true },
      },
      visualMap: {
        min: 0,
        max: Math.max(highest, 1),
        calculable: true,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 120,
        text: [
          interpolate(gettext("More (%(count)s)"), { count: numbers.format(highest) }, true),
          gettext("Fewer"),
        ],
        inRange: { color: ["#f4f7f6", "#7cc6b4", "#075e54"] },
      },
      series: [
        {
          name: value.label,
          type: "heatmap",
          data: cells,
          label: {
            show: true,
            fontSize: 10,
            formatter: function (p) { return p.value[2] ? numbers.format(p.value[2]) : ""; },
          },
          itemStyle: { borderColor: "#fff", borderWidth: 1 },
        },
      ],
    };
  }

  function chartOptions(data) {
    var options = data.chart.kind === "heatmap" ? heatmapOptions(data) : seriesOptions(data);
    options.aria = {
      enabled: true,
      // ECharts' own reading of every data point is long and hard to follow: the table says it better.
      label: {
        description: interpolate(
          gettext("Chart: %(title)s. The same figures are in its table."), { title: data.title }, true
        ),
      },
      decal: { show: data.chart.kind !== "heatmap" },
    };
    options.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return options;
  }

  var SupportDesk = window.SupportDesk || (window.SupportDesk = {});
  SupportDesk.insights = {
    language: LANGUAGE,
    format: format,
    plotted: plotted,
    chartOptions: chartOptions,
  };
})();
