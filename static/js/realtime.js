/* Live agent events over /ws/agent/: subscribes to the open ticket and shows delivery failures as banners. */
(function () {
  "use strict";

  if (!("WebSocket" in window)) return;
  var MAX_DELAY_MS = 60000;
  var delay = 1000;

  function ticketId() {
    var id = parseInt(document.body.dataset.ticketId || "", 10);
    return isNaN(id) ? null : id;
  }

  function markFailed(message) {
    var tick = document.querySelector('.delivery[data-comment-id="' + message.comment_id + '"]');
    if (!tick) return;
    var error = message.error || {};
    var text = "Failed: " + [error.code, error.title].filter(Boolean).join(" ");
    tick.className = "delivery delivery-failed";
    tick.title = text + (error.detail ? " (" + error.detail + ")" : "");
    tick.innerHTML = "";
    var symbol = document.createElement("span");
    symbol.className = "delivery-symbol";
    symbol.setAttribute("aria-hidden", "true");
    symbol.textContent = "\u2717";
    var label = document.createElement("span");
    label.className = "delivery-text";
    label.textContent = text;
    tick.appendChild(symbol);
    tick.appendChild(label);
  }

  var handlers = {
    "delivery.failed": function (message) {
      var error = message.error || {};
      var text = "Delivery failed on ticket #" + message.ticket_id + ": " + [error.code, error.title].filter(Boolean).join(" ");
      if (window.SupportDesk) window.SupportDesk.showBanner(text, { kind: "failed", href: message.ticket_url });
      if (message.ticket_id === ticketId()) markFailed(message);
    },
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    socket.addEventListener("open", function () {
      delay = 1000;
      var id = ticketId();
      if (id !== null) socket.send(JSON.stringify({ type: "ticket.subscribe", ticket_id: id }));
    });
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      var handler = handlers[message.type];
      if (handler) handler(message);
    });
    socket.addEventListener("close", function () {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.realtime !== "off") connect();
  });
})();
