/* The ticket list, live and by keyboard.

   Live: realtime.js hands this page the socket when it opens (list.subscribe joins the list groups of what the agent
   may see) and every `ticket.changed` frame. Frames carry ids only; the page asks the server again for its own URL
   (the current view, filters, sort and page), as htmx does for a filter change: #ticket-results comes back with the
   view counts as an out-of-band swap. A burst of frames makes one request, at most one is in flight, and scroll,
   the selected row and the keyboard focus are kept. A reconnect refreshes once (frames sent meanwhile are lost).

   Keyboard: j/k move the selection through the rows (aria-selected, a ring, the subject link focused), Enter opens
   the selected ticket. Ignored while typing in a field or with a modifier key. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  var timer = null;
  var inFlight = false;
  var again = false;
  var othersInFlight = 0; // the page's own htmx requests for the results (filters, sort, pages)
  var selectedId = null;

  function listPage() {
    return document.body.dataset.ticketList === "live";
  }

  function results() {
    return document.getElementById("ticket-results");
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#ticket-results .ticket-row"));
  }

  function rowById(id) {
    return id === null ? null : document.querySelector('#ticket-results .ticket-row[data-ticket-id="' + id + '"]');
  }

  function subjectLink(row) {
    return row ? row.querySelector(".col-subject a") : null;
  }

  /* --- Selection ------------------------------------------------------------------------------------------------ */

  function select(row, focus) {
    rows().forEach(function (other) {
      if (other !== row) {
        other.classList.remove("is-selected");
        other.removeAttribute("aria-selected");
      }
    });
    if (!row) {
      selectedId = null;
      return;
    }
    row.classList.add("is-selected");
    row.setAttribute("aria-selected", "true");
    selectedId = row.dataset.ticketId;
    if (focus) {
      var link = subjectLink(row);
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(rowById(selectedId));
    if (index === -1) index = step > 0 ? -1 : all.length;
    index = Math.max(0, Math.min(all.length - 1, index + step));
    select(all[index], true);
  }

  function typing(target) {
    if (!target || target === document.body) return false;
    if (target.isContentEditable) return true;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
    } else if (event.key === "Enter") {
      var row = rowById(selectedId);
      var link = subjectLink(row);
      if (!link) return;
      if (event.target === link) return; // the focused link opens itself
      if (event.target.closest && event.target.closest("a, button")) return; // another control was meant
      event.preventDefault();
      link.click();
    }
  }

  /* --- Live refresh --------------------------------------------------------------------------------------------- */

  function refresh() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  function run() {
    timer = null;
    if (inFlight || othersInFlight > 0) {
      again = true; // after the request in flight, once
      return;
    }
    var target = results();
    if (!target || !window.htmx) return;
    inFlight = true;
    again = false;
    var wrap = target.querySelector(".table-wrap");
    var kept = {
      x: window.scrollX,
      y: window.scrollY,
      wrapLeft: wrap ? wrap.scrollLeft : 0,
      focused: target.contains(document.activeElement),
    };
    var done = function () {
      inFlight = false;
      restore(kept);
      if (again) refresh();
    };
    window.htmx
      .ajax("GET", window.location.pathname + window.location.search, {
        target: "#ticket-results",
        swap: "outerHTML",
        select: "#ticket-results",
        headers: { "X-Live-Refresh": "true" },
      })
      .then(done, done);
  }

  function restore(kept) {
    var wrap = document.querySelector("#ticket-results .table-wrap");
    if (wrap) wrap.scrollLeft = kept.wrapLeft;
    var row = rowById(selectedId);
    if (row) select(row, false);
    else selectedId = null;
    if (kept.focused && row) {
      var link = subjectLink(row);
      if (link) link.focus({ preventScroll: true });
    }
    if (window.scrollX !== kept.x || window.scrollY !== kept.y) window.scrollTo(kept.x, kept.y);
  }

  function ours(event) {
    // A request of the page's own (a filter, a sort link, a page), not this file's live refresh.
    var detail = event.detail || {};
    if (!detail.target || detail.target.id !== "ticket-results") return false;
    var headers = (detail.requestConfig && detail.requestConfig.headers) || {};
    return !headers["X-Live-Refresh"];
  }

  /* --- Wiring ----------------------------------------------------------------------------------------------------- */

  window.SupportDeskTicketList = {
    /* realtime.js: the socket is open (again, when `reconnected`). */
    connected: function (socket, reconnected) {
      if (!listPage()) return;
      socket.send(JSON.stringify({ type: "list.subscribe" }));
      if (reconnected) refresh();
    },
    /* realtime.js: a `ticket.changed` frame. */
    changed: function () {
      if (listPage()) refresh();
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (!listPage()) return;
    document.addEventListener("keydown", onKey);
    document.addEventListener("htmx:beforeRequest", function (event) {
      if (ours(event)) othersInFlight += 1;
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      if (!ours(event)) return;
      othersInFlight = Math.max(0, othersInFlight - 1);
      if (again && othersInFlight === 0) refresh();
    });
    // A click selects the row too, so j/k go on from where the agent is.
    document.addEventListener("click", function (event) {
      var row = event.target.closest && event.target.closest("#ticket-results .ticket-row");
      if (row) select(row, false);
    });
    // Back from a ticket to a page kept in the back-forward cache: what changed meanwhile is fetched once.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) refresh();
    });
  });
})();
