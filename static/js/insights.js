/* The insights page: each metric card asks the API for its numbers (the card's data-api-url, which carries the
   page's period and filters) and shows them three ways: headline figures, an ECharts chart (options from
   insights-charts.js, which loads first) and a plain table, so every figure can be read without the chart.

   The card says how far it got in data-state (loading, ready, empty, error) and which period it shows in
   data-period ("2026-11-05/2026-12-04"). A failed request leaves a message and a "Try again" button in the card.

   The filter form is a plain GET form; choosing a period (other than a custom one) or a filter submits it. */
(function () {
  "use strict";

  var charts = window.SupportDesk.insights;
  var format = charts.format;

  /* --- Headline figures ------------------------------------------------------------------------------------------ */

  /* Summary keys that are not also a column of the metric. */
  function summaryLabel(key) {
    var labels = {
      messages: gettext("Messages"),
      tickets: gettext("Tickets"),
      listed: gettext("Listed"),
      open: gettext("Open tickets"),
      total: gettext("Total"),
      failed_share: gettext("Share failed"),
      busiest_weekday: gettext("Busiest weekday"),
      busiest_hour: gettext("Busiest hour"),
    };
    return labels[key] || key;
  }

  function summaryType(key) {
    if (/share$/.test(key)) return "share";
    if (/seconds$/.test(key)) return "seconds";
    if (key === "busiest_weekday") return "weekday";
    if (key === "busiest_hour") return "hour";
    return "int";
  }

  function drawSummary(list, data) {
    var columns = {};
    data.columns.forEach(function (column) { columns[column.key] = column; });
    list.textContent = "";
    Object.keys(data.summary || {}).forEach(function (key) {
      var column = columns[key];
      var type = column && column.type !== "date" ? column.type : summaryType(key);
      var item = document.createElement("div");
      item.className = "metric-figure";
      var term = document.createElement("dt");
      term.textContent = column ? column.label : summaryLabel(key);
      var value = document.createElement("dd");
      value.textContent = format(data.summary[key], type);
      item.appendChild(term);
      item.appendChild(value);
      list.appendChild(item);
    });
  }

  /* --- Table -------------------------------------------------------------------------------------------------- */

  function cell(tag, row, column) {
    var node = document.createElement(tag);
    var value = row[column.key];
    if (column.type === "id" && column.key === "ticket_id" && value !== null && value !== undefined) {
      var link = document.createElement("a");
      link.href = "/tickets/" + encodeURIComponent(value) + "/";
      link.textContent = "#" + value;
      node.appendChild(link);
    } else {
      node.textContent = format(value, column.type);
    }
    if (column.type === "datetime" && value) node.title = value;
    if (/^(int|share|seconds|id)$/.test(column.type)) node.className = "num";
    return node;
  }

  function drawTable(container, data) {
    var table = document.createElement("table");
    table.className = "ticket-table metric-data";
    var caption = document.createElement("caption");
    caption.textContent = data.period_bound === false
      ? interpolate(gettext("%(title)s, right now"), { title: data.title }, true)
      : interpolate(
        gettext("%(title)s, %(from)s to %(to)s"),
        { title: data.title, from: format(data.period.from, "date"), to: format(data.period.to, "date") },
        true
      );
    table.appendChild(caption);
    var head = document.createElement("thead");
    var headRow = document.createElement("tr");
    data.columns.forEach(function (column) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.label;
      if (/^(int|share|seconds|id)$/.test(column.type)) th.className = "num";
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = document.createElement("tbody");
    data.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      data.columns.forEach(function (column, index) {
        var node = cell(index === 0 ? "th" : "td", row, column);
        if (index === 0) node.scope = "row";
        tr.appendChild(node);
      });
      body.appendChild(tr);
    });
    if (!data.rows.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = data.columns.length;
      td.className = "empty";
      td.textContent = gettext("No data for this period");
      empty.appendChild(td);
      body.appendChild(empty);
    }
    table.appendChild(body);
    container.textContent = "";
    container.appendChild(table);
  }

  /* Draws (or redraws) the card's chart; false when it cannot be drawn (the library missing or refusing). */
  function drawChart(card, container, data) {
    if (card.resizer) card.resizer.disconnect();
    if (card.chart) card.chart.dispose();
    card.chart = card.resizer = null;
    if (!window.echarts) return false;
    container.hidden = false;
    try {
      var chart = window.echarts.init(container, null, {
        renderer: "svg",
        locale: charts.language.slice(0, 2) === "de" ? "DE" : "EN",
      });
      card.chart = chart;
      chart.setOption(charts.chartOptions(data));
    } catch (error) {
      container.hidden = true;
      return false;
    }
    if (window.ResizeObserver) {
      card.resizer = new ResizeObserver(function () { chart.resize(); });
      card.resizer.observe(container);
    }
    return true;
  }

  /* --- Cards -------------------------------------------------------------------------------------------------- */

  function setState(card, state, text) {
    card.dataset.state = state;
    card.setAttribute("aria-busy", state === "loading" ? "true" : "false");
    var message = card.querySelector("[data-message]");
    message.hidden = !text;
    message.textContent = text || "";
    message.classList.toggle("metric-error", state === "error");
  }

  function fail(card) {
    var chart = card.querySelector("[data-chart]");
    if (chart) chart.hidden = true;
    card.querySelector("[data-table]").hidden = true;
    card.querySelector("[data-summary]").textContent = "";
    setState(card, "error", gettext("These figures could not be loaded."));
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button button-quiet";
    retry.setAttribute("data-retry", "");
    retry.textContent = gettext("Try again");
    var message = card.querySelector("[data-message]");
    message.appendChild(document.createTextNode(" "));
    message.appendChild(retry);
  }

  function load(card) {
    setState(card, "loading", gettext("Loading…"));
    return fetch(card.dataset.apiUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { show(card, data); })
      .catch(function () { fail(card); });
  }

  /* Messages, replies and deliveries are counted from facts rebuilt every minute: say how fresh they are. */
  function showFreshness(data) {
    var note = document.querySelector("[data-facts-as-of]");
    if (!note || !data.facts_refreshed_at) return;
    note.textContent = interpolate(
      gettext("Messages and deliveries as of %(time)s."), { time: format(data.facts_refreshed_at, "datetime") }, true
    );
    note.hidden = false;
  }

  function show(card, data) {
    showFreshness(data);
    card.dataset.period = data.period.from + "/" + data.period.to;
    card.dataset.rows = String(data.rows.length);
    drawSummary(card.querySelector("[data-summary]"), data);
    var table = card.querySelector("[data-table]");
    drawTable(table, data);
    var container = card.querySelector("[data-chart]");
    var empty = !data.rows.length || (data.chart.kind !== "table" && !charts.plotted(data));
    var drawn = true;
    if (container) {
      container.hidden = true;
      if (!empty) drawn = drawChart(card, container, data);
    }
    if (data.chart.kind === "table") table.hidden = !data.rows.length;
    if (empty) {
      setState(card, "empty", gettext("No data for this period"));
    } else if (!drawn) {
      setState(card, "ready", gettext("The chart could not be drawn; the table shows the figures."));
      table.hidden = false;
    } else {
      setState(card, "ready", "");
    }
  }

  function toggleTable(button) {
    var card = button.closest(".metric-card");
    var table = card.querySelector("[data-table]");
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    table.hidden = !open;
  }

  /* --- Filters ------------------------------------------------------------------------------------------------ */

  function initFilters(form) {
    var dates = form.querySelector("[data-custom-dates]");
    function customChosen() {
      var checked = form.querySelector('input[name="period"]:checked');
      return checked && checked.value === "custom";
    }
    function showDates() {
      dates.hidden = !customChosen();
      dates.querySelectorAll("input").forEach(function (input) { input.disabled = dates.hidden; });
    }
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.name === "period") {
        showDates();
        if (!customChosen()) form.requestSubmit();
      } else if (target.hasAttribute("data-auto-submit")) {
        form.requestSubmit();
      }
    });
    showDates();
  }

  function init() {
    var form = document.querySelector("[data-insights-filters]");
    if (form) initFilters(form);
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest("[data-table-toggle]");
      if (toggle) toggleTable(toggle);
      var retry = event.target.closest("[data-retry]");
      if (retry) load(retry.closest(".metric-card"));
    });
    document.querySelectorAll(".metric-card[data-api-url]").forEach(load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
