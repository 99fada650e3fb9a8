/* Delivery-failure notifications: one banner per ticket (a new failure on the same ticket raises its count), newest
   first, at most MAX_VISIBLE banners in the top-right strip under the header (it has its own space: it never lies
   over the page), the rest behind "N more" in the list the header's bell opens. realtime.js hands the frames in.
   Text from the frames is only ever set with textContent. */
(function () {
  "use strict";

  var MAX_VISIBLE = 3;
  var groups = {}; // ticket id -> {ticketId, comments: {comment id: code}, frame, resolved, count}

  /* The words come from the page (Django's translations, in #delivery-banners' data-text-* attributes), else from
     the JavaScript catalogue. */
  function t(key, fallback, n) {
    var strip = document.getElementById("delivery-banners");
    var text = (strip && strip.dataset[key]) || fallback;
    return n === undefined ? text : text.replace("{n}", function () { return String(n); }); // no $-patterns
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function sameOriginUrl(value) {
    if (!value) return "";
    try {
      var url = new URL(String(value || ""), window.location.href);
      return url.origin === window.location.origin ? url.href : "";
    } catch (e) {
      return "";
    }
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields || {}).forEach(function (key) { body.set(key, String(fields[key])); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": window.SupportDesk.csrfToken() },
      body: body,
    });
  }

  function time(group) {
    return group.at || 0;
  }

  function ordered() {
    return Object.keys(groups)
      .map(function (key) { return groups[key]; })
      .sort(function (a, b) { return time(b) - time(a) || b.ticketId - a.ticketId; });
  }

  function ticketLink(group) {
    var link = el("a", "banner-link", t("textTicket", gettext("Ticket #{n}"), group.ticketId));
    link.href = sameOriginUrl(group.frame.ticket_url) || "/tickets/" + encodeURIComponent(group.ticketId) + "/";
    return link;
  }

  function dismiss(group) {
    Object.keys(group.comments).forEach(function (commentId) {
      post("/notifications/dismiss/", { comment_id: commentId });
    });
    delete groups[String(group.ticketId)];
    render();
  }

  function banner(group) {
    var frame = group.frame;
    var code = String((frame.error && frame.error.code) || "");
    var node = el("div", "banner banner-delivery " + (group.resolved ? "banner-resolved" : "banner-failed"));
    node.setAttribute("role", group.resolved ? "status" : "alert");
    node.dataset.ticketId = String(group.ticketId);
    node.dataset.commentId = String(frame.comment_id);
    node.dataset.count = String(group.count);
    node.dataset.code = code;
    var content = el("div", "banner-content");
    var title = group.resolved ? t("textResolved", gettext("Delivered later")) : t("textFailed", gettext("Message not delivered"));
    content.appendChild(el("p", "banner-title", title));
    content.appendChild(
      el(
        "p",
        "banner-text",
        group.resolved
          ? t("textResolvedDetail", gettext("A later message to this customer was delivered."))
          : window.SupportDeskReasons.reasonFor(frame.error)
      )
    );
    var meta = el("p", "banner-meta");
    meta.appendChild(ticketLink(group));
    var when = new Date(frame.occurred_at);
    if (!isNaN(when.getTime())) {
      var stamp = el("time", "banner-time", " \u00b7 " + when.toLocaleTimeString(document.documentElement.lang || [], {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: document.documentElement.dataset.timeZone || undefined,
      }));
      stamp.dateTime = frame.occurred_at;
      meta.appendChild(stamp);
    }
    if (code) meta.appendChild(el("span", "banner-code", " \u00b7 " + t("textCode", gettext("code {n}"), code)));
    if (group.count > 1) {
      meta.appendChild(document.createTextNode(" \u00b7 "));
      meta.appendChild(el("span", "banner-count", "\u00d7" + group.count));
    }
    content.appendChild(meta);
    var close = el("button", "banner-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", t("textDismiss", gettext("Dismiss notification")));
    close.addEventListener("click", function () { dismiss(group); });
    node.appendChild(content);
    node.appendChild(close);
    return node;
  }

  function listItem(group) {
    var item = el("li", "notification-item" + (group.resolved ? " is-resolved" : ""));
    item.dataset.ticketId = String(group.ticketId);
    item.appendChild(ticketLink(group));
    var text = group.resolved
      ? t("textResolved", gettext("Delivered later"))
      : window.SupportDeskReasons.reasonFor(group.frame.error);
    if (group.count > 1) text += " (\u00d7" + group.count + ")";
    item.appendChild(el("span", "notification-reason", text));
    return item;
  }

  function setOpen(open) {
    var bell = document.getElementById("notification-bell");
    var panel = document.getElementById("notification-list");
    if (!bell || !panel) return;
    panel.hidden = !open;
    bell.setAttribute("aria-expanded", open ? "true" : "false");
  }

  /* The newest MAX_VISIBLE; on a ticket page the ticket's own banner is always among them. */
  function visible(all) {
    var shown = all.slice(0, MAX_VISIBLE);
    var here = groups[String(document.body.dataset.ticketId || "")];
    if (here && shown.indexOf(here) === -1) shown[MAX_VISIBLE - 1] = here;
    return shown;
  }

  function render() {
    var strip = document.getElementById("delivery-banners");
    var all = ordered();
    if (strip) {
      strip.replaceChildren();
      var shown = visible(all);
      shown.forEach(function (group) { strip.appendChild(banner(group)); });
      if (all.length > shown.length) {
        var more = el("button", "banner-more", t("textMore", gettext("{n} more"), all.length - shown.length));
        more.type = "button";
        more.setAttribute("aria-controls", "notification-list");
        more.addEventListener("click", function () { setOpen(true); });
        strip.appendChild(more);
      }
    }
    var unread = all.filter(function (group) { return !group.resolved; }).length;
    var count = document.getElementById("notification-count");
    if (count) {
      count.textContent = String(unread);
      count.hidden = unread === 0;
    }
    var items = document.getElementById("notification-items");
    if (items) {
      items.replaceChildren();
      all.forEach(function (group) { items.appendChild(listItem(group)); });
    }
    var empty = document.getElementById("notification-empty");
    if (empty) empty.hidden = all.length > 0;
    var dismissAll = document.getElementById("notification-dismiss-all");
    if (dismissAll) dismissAll.disabled = all.length === 0;
  }

  function failed(frame) {
    var key = String(frame.ticket_id);
    var commentKey = String(frame.comment_id);
    var code = String((frame.error && frame.error.code) || "");
    var group = groups[key];
    if (!group) group = groups[key] = { ticketId: frame.ticket_id, comments: {}, count: 0, frame: frame };
    if (group.comments[commentKey] === code && !group.resolved) return; // the same failure again (replay)
    if (!Object.prototype.hasOwnProperty.call(group.comments, commentKey)) group.count += 1;
    group.comments[commentKey] = code;
    group.resolved = false;
    // The banner tells the failure that arrived last (stored ones are replayed oldest first); one without a
    // readable time has just arrived.
    var at = new Date(frame.occurred_at).getTime();
    group.frame = frame;
    group.at = Math.max(group.at || 0, isNaN(at) ? Date.now() : at);
    render();
  }

  function resolved(frame) {
    var group = groups[String(frame.ticket_id)];
    if (!group) return;
    var ids = (frame.comment_ids || []).map(String);
    var open = Object.keys(group.comments).filter(function (id) { return ids.indexOf(id) === -1; });
    if (open.length) return; // a failure newer than the delivered message is still open
    group.resolved = true;
    render();
  }

  function dismissed(frame) {
    if (frame.comment_ids === null || frame.comment_ids === undefined) {
      groups = {};
    } else {
      var ids = frame.comment_ids.map(String);
      Object.keys(groups).forEach(function (key) {
        var open = Object.keys(groups[key].comments).filter(function (id) { return ids.indexOf(id) === -1; });
        if (!open.length) delete groups[key];
      });
    }
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.getElementById("notification-bell");
    var panel = document.getElementById("notification-list");
    if (bell && panel) {
      bell.addEventListener("click", function () { setOpen(panel.hidden); });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && !panel.hidden) {
          setOpen(false);
          bell.focus();
        }
      });
    }
    var dismissAll = document.getElementById("notification-dismiss-all");
    if (dismissAll) {
      dismissAll.addEventListener("click", function () {
        post("/notifications/dismiss-all/");
        groups = {};
        render();
      });
    }
    render();
  });

  window.SupportDeskNotifications = { failed: failed, resolved: resolved, dismissed: dismissed };
})();
