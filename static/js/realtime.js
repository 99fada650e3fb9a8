/* Live agent events over /ws/agent/: delivery-failure notifications on every page (notifications.js), and, on a ticket page, the parts a
   frame concerns (FRAGMENTS below) re-rendered by the server in one request and swapped in place. Text from the
   frames is only ever set with textContent. */
(function () {
  "use strict";

  if (!("WebSocket" in window)) return;
  var MAX_DELAY_MS = 30000;
  var delay = 1000;

  function ticketId() {
    var id = parseInt(document.body.dataset.ticketId || "", 10);
    return isNaN(id) ? null : id;
  }

  /* Which parts of the ticket page a frame concerns, by frame type: the page asks the server for exactly those,
     all in one request. A new frame type that changes the ticket page is one line here (parts: "conversation",
     "events", "window"; tickets.views.TICKET_FRAGMENTS lists them). "window" is the channel's window that the
     composer counts down (composer.js reads it from the swapped #ticket-window): a customer's message reopens it. */
  var FRAGMENTS = {
    "comment.added": ["conversation", "events", "window"],
    "delivery.status": ["conversation", "events"],
    "delivery.failed": ["conversation", "events"],
    "comment.updated": ["conversation", "events"], // an edit, reaction, revoke or finished download
  };

  /* What a frame does beyond the ticket page's parts, on any page. */
  function notifications(name) {
    return function (frame) {
      if (window.SupportDeskNotifications) window.SupportDeskNotifications[name](frame);
    };
  }
  function ticketList(name) {
    return function (frame) {
      if (window.SupportDeskTicketList) window.SupportDeskTicketList[name](frame);
    };
  }
  var EFFECTS = {
    "delivery.failed": notifications("failed"),
    "notification.resolved": notifications("resolved"),
    "notification.dismissed": notifications("dismissed"),
    "ticket.changed": ticketList("changed"), // a list row or view count may have changed (ticket-list.js)
  };

  var pendingParts = {};
  var refreshTimer = null;
  function refreshFragments(parts) {
    // Frames arriving together (a tick and its event, a burst of messages) share one request.
    parts.forEach(function (part) { pendingParts[part] = true; });
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      var url = document.body.dataset.fragmentsUrl;
      var wanted = Object.keys(pendingParts);
      pendingParts = {};
      if (!window.htmx || !url || !wanted.length) return;
      var query = new URLSearchParams();
      wanted.forEach(function (part) { query.append("part", part); });
      var kind = new URLSearchParams(window.location.search).get("events"); // the event log's open tab
      if (kind) query.set("events", kind);
      // Every part comes back as an out-of-band swap: nothing else on the page (composer, scroll) is replaced.
      window.htmx.ajax("GET", url + "?" + query.toString(), { target: "body", swap: "none" });
    }, 150);
  }

  function lookup(table, type) {
    return Object.prototype.hasOwnProperty.call(table, type) ? table[type] : null;
  }

  function onFrame(frame) {
    announce(frame);
    var effect = lookup(EFFECTS, frame.type);
    if (effect) effect(frame);
    var parts = lookup(FRAGMENTS, frame.type);
    if (!parts || frame.ticket_id !== ticketId()) return;
    // The agent's own message is already on the page (the submit re-rendered it): nothing to fetch.
    if (frame.type === "comment.added" && document.getElementById("comment-" + frame.comment_id)) return;
    refreshFragments(parts);
  }

  // An out-of-band swap replaces an element in place; keep the reader where they were reading.
  var scrollBeforeSwap = null;
  document.addEventListener("htmx:oobBeforeSwap", function () {
    if (scrollBeforeSwap === null) scrollBeforeSwap = { x: window.scrollX, y: window.scrollY };
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (scrollBeforeSwap === null) return;
    var kept = scrollBeforeSwap;
    scrollBeforeSwap = null;
    if (window.scrollX !== kept.x || window.scrollY !== kept.y) window.scrollTo(kept.x, kept.y);
  });

  /* For the page scripts that speak on the same socket (presence.js): every frame as a "realtime:frame" event on
     document, and `window.SupportDeskRealtime.send(message)`, false while the socket is not open. */
  var openSocket = null;
  function announce(frame) {
    document.dispatchEvent(new CustomEvent("realtime:frame", { detail: frame }));
  }
  window.SupportDeskRealtime = {
    send: function (message) {
      if (!openSocket || openSocket.readyState !== WebSocket.OPEN) return false;
      openSocket.send(JSON.stringify(message));
      return true;
    },
  };

  var reconnecting = false;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    openSocket = socket;
    socket.addEventListener("open", function () {
      delay = 1000;
      document.body.dataset.live = "connected";
      var id = ticketId();
      if (id !== null) {
        socket.send(JSON.stringify({ type: "ticket.subscribe", ticket_id: id }));
        if (reconnecting) refreshFragments(["conversation", "events", "window"]); // frames sent while we were away are lost
      }
      if (window.SupportDeskTicketList) window.SupportDeskTicketList.connected(socket, reconnecting); // list pages
      reconnecting = true;
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame && typeof frame.type === "string") onFrame(frame);
    });
    socket.addEventListener("close", function () {
      document.body.dataset.live = "disconnected";
      // Reconnect with backoff and jitter; stored notifications are sent again on connect.
      setTimeout(connect, delay + Math.floor(Math.random() * 500));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.realtime !== "off") connect();
  });
})();
