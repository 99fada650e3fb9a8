/* Live agent events over /ws/agent/: delivery-failure banners on every page, and, on a ticket page, the parts a
   frame concerns (FRAGMENTS below) re-rendered by the server in one request and swapped in place. Text from the
   frames is only ever set with textContent. */
(function () {
  "use strict";

  if (!("WebSocket" in window)) return;
  var MAX_DELAY_MS = 30000;
  var delay = 1000;
  var shown = {}; // comment id -> banner, so a frame that arrives twice shows one banner

  function ticketId() {
    var id = parseInt(document.body.dataset.ticketId || "", 10);
    return isNaN(id) ? null : id;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Only an http(s) URL of this site becomes a link: never javascript:, data: or another host. */
  function sameOriginUrl(value) {
    if (!value) return "";
    try {
      var url = new URL(String(value || ""), window.location.href);
      return url.origin === window.location.origin ? url.href : "";
    } catch (e) {
      return "";
    }
  }

  function dismissOnServer(commentId) {
    var body = new URLSearchParams();
    body.set("comment_id", String(commentId));
    return fetch("/notifications/dismiss/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": window.SupportDesk.csrfToken() },
      body: body,
    });
  }

  function showFailure(frame) {
    var key = String(frame.comment_id);
    var code = String((frame.error && frame.error.code) || "");
    var existing = shown[key];
    if (existing && existing.parentNode) {
      if (existing.dataset.code === code) return; // the same failure again (agent and ticket group, replay)
      existing.parentNode.removeChild(existing); // the message failed again, for another reason: show that one
    }
    var area = document.getElementById("banner-area");
    if (!area) return;
    var banner = el("div", "banner banner-failed banner-delivery");
    banner.setAttribute("role", "alert");
    banner.dataset.commentId = key;
    banner.dataset.ticketId = String(frame.ticket_id);
    banner.dataset.code = code;
    var content = el("div", "banner-content");
    content.appendChild(el("p", "banner-title", "Message not delivered"));
    content.appendChild(el("p", "banner-text", window.SupportDeskReasons.reasonFor(frame.error)));
    var meta = el("p", "banner-meta");
    var link = el("a", "banner-link", "Ticket #" + frame.ticket_id);
    link.href = sameOriginUrl(frame.ticket_url) || "/tickets/" + encodeURIComponent(frame.ticket_id) + "/";
    meta.appendChild(link);
    var when = new Date(frame.occurred_at);
    if (!isNaN(when.getTime())) {
      var time = el("time", "banner-time", " \u00b7 " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      time.dateTime = frame.occurred_at;
      meta.appendChild(time);
    }
    if (frame.error && frame.error.code) meta.appendChild(el("span", "banner-code", " \u00b7 code " + frame.error.code));
    content.appendChild(meta);
    var close = el("button", "banner-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss notification");
    close.addEventListener("click", function () {
      dismissOnServer(frame.comment_id);
      if (banner.parentNode) banner.parentNode.removeChild(banner);
    });
    banner.appendChild(content);
    banner.appendChild(close);
    area.appendChild(banner);
    shown[key] = banner;
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
  var EFFECTS = {
    "delivery.failed": showFailure,
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

  var reconnecting = false;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    socket.addEventListener("open", function () {
      delay = 1000;
      document.body.dataset.live = "connected";
      var id = ticketId();
      if (id !== null) {
        socket.send(JSON.stringify({ type: "ticket.subscribe", ticket_id: id }));
        if (reconnecting) refreshFragments(["conversation", "events", "window"]); // frames sent while we were away are lost
      }
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
