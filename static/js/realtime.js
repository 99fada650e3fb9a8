/* Live agent events over /ws/agent/: delivery-failure banners on every page, and, on a ticket page, delivery
   ticks and new messages updated in place. Text from the server is only ever set with textContent. */
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

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
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
      headers: { "X-CSRFToken": csrfToken() },
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

  var refreshTimer = null;
  function refreshTicket() {
    // Re-render the conversation and the event log from the server: the markup lives in one place.
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      if (!window.htmx) return;
      var url = window.location.pathname + window.location.search;
      if (document.getElementById("comments")) {
        window.htmx.ajax("GET", url, { target: "#comments", select: "#comments", swap: "outerHTML" });
      }
      if (document.getElementById("event-log")) {
        window.htmx.ajax("GET", url, { target: "#event-log", select: "#event-log", swap: "outerHTML" });
      }
    }, 150);
  }

  var handlers = {
    "delivery.failed": function (frame) {
      showFailure(frame);
      if (frame.ticket_id === ticketId()) refreshTicket();
    },
    "delivery.status": function (frame) {
      if (frame.ticket_id === ticketId()) refreshTicket();
    },
    "comment.added": function (frame) {
      if (frame.ticket_id === ticketId() && !document.getElementById("comment-" + frame.comment_id)) refreshTicket();
    },
    "comment.updated": function (frame) {
      // An edit, a reaction, a revoke or a downloaded file of a comment already shown.
      if (frame.ticket_id === ticketId()) refreshTicket();
    },
  };

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
        if (reconnecting) refreshTicket(); // frames sent while we were away are lost: re-render once
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
      var handler = frame && handlers[frame.type];
      if (handler) handler(frame);
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
