/* Agent collision on the ticket page (tickets/presence.py, tickets/collision.py):
 *  - who else has the ticket open: initials chips in the header, from the "presence" frames over /ws/agent/;
 *  - this agent's typing, sent on the same socket as `ticket.typing` (at most every 3 s while typing; `false` after
 *    5 s idle, an emptied textarea, or a submit); the others' typing shown above the composer;
 *  - the newest message the agent has on screen (the form's hidden `seen_comment_id`), moved on when realtime.js
 *    swaps in a refreshed conversation;
 *  - a notice in the composer when someone else's reply or note arrives while the agent is writing.
 * Texts come translated from templates/tickets/_presence.html; frame text is only ever set with textContent.
 */
(function () {
  "use strict";

  var TYPING_EVERY_MS = 3000;
  var IDLE_MS = 5000;
  var EXCERPT_CHARS = 100;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function send(message) {
    return !!(window.SupportDeskRealtime && window.SupportDeskRealtime.send(message));
  }

  function start() {
    var root = document.querySelector("[data-presence]");
    if (!root) return;
    var ticketId = parseInt(root.dataset.ticketId, 10);
    var selfId = parseInt(root.dataset.selfId, 10);
    var text = root.dataset;
    var chips = root.querySelector("[data-presence-chips]");
    var summary = root.querySelector("[data-presence-text]");
    var form = document.getElementById("ticket-form");
    var textarea = form && form.querySelector("textarea[name=body]");
    var typingLine = form && form.querySelector("[data-typing-line]");
    var seenInput = form && form.querySelector("[data-seen-comment]");
    var notice = form && form.querySelector("[data-collision-notice]");

    // --- Who else is here --------------------------------------------------------------------------------------

    function render(viewers) {
      var others = viewers.filter(function (viewer) { return viewer.id !== selfId; });
      chips.textContent = "";
      others.forEach(function (viewer) {
        var chip = document.createElement("li");
        chip.className = "presence-chip" + (viewer.typing ? " is-typing" : "") + (viewer.typing && viewer.internal ? " is-note" : "");
        chip.textContent = viewer.initials;
        chip.title = format(text.textViewing, { name: viewer.name });
        chip.dataset.viewerId = String(viewer.id);
        chips.appendChild(chip);
      });
      var names = others.map(function (viewer) { return viewer.name; });
      summary.textContent = names.length === 1
        ? format(text.textViewing, { name: names[0] })
        : format(text.textViewingMany, { names: names.join(", ") });
      root.hidden = others.length === 0;

      if (!typingLine) return;
      var typing = others.filter(function (viewer) { return viewer.typing; }).map(function (viewer) {
        return format(viewer.internal ? text.textTypingNote : text.textTypingReply, { name: viewer.name });
      });
      typingLine.textContent = typing.join(" ");
      typingLine.hidden = typing.length === 0;
    }

    // The socket went away: what the list says is no longer known. On reconnect the server sends it again.
    new MutationObserver(function () {
      if (document.body.dataset.live === "disconnected") render([]);
    }).observe(document.body, { attributes: true, attributeFilter: ["data-live"] });

    // --- This agent's typing -----------------------------------------------------------------------------------

    var typingMode = null; // "public" | "internal" while the others are told we type
    var typingSentAt = 0;
    var idleTimer = null;

    function mode() {
      var radio = form.querySelector('input[name="mode"]:checked');
      return radio && radio.value === "internal" ? "internal" : "public";
    }

    function stopTyping() {
      clearTimeout(idleTimer);
      if (typingMode === null) return;
      typingMode = null;
      send({ type: "ticket.typing", ticket_id: ticketId, typing: false });
    }

    function typed() {
      if (!textarea.value.trim()) {
        stopTyping();
        return;
      }
      var now = Date.now();
      var current = mode();
      if (current !== typingMode || now - typingSentAt >= TYPING_EVERY_MS) {
        if (send({ type: "ticket.typing", ticket_id: ticketId, typing: true, mode: current })) {
          typingMode = current;
          typingSentAt = now;
        }
      }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stopTyping, IDLE_MS);
    }

    if (textarea) {
      textarea.addEventListener("input", typed);
      form.addEventListener("change", function (event) {
        if (event.target.name === "mode" && typingMode !== null) typed();
      });
      form.addEventListener("submit", stopTyping);
    }

    // --- What the agent has seen, and what arrived while they were writing -------------------------------------

    var pending = {}; // comment ids announced while the agent was writing, not yet on the page

    function newestOnPage() {
      var newest = 0;
      document.querySelectorAll("#comments > .comment[data-comment-id]").forEach(function (comment) {
        newest = Math.max(newest, parseInt(comment.dataset.commentId, 10) || 0);
      });
      return newest;
    }

    function excerpt(comment) {
      var body = comment.querySelector(".comment-body");
      var words = (body ? body.textContent : "").replace(/\s+/g, " ").trim();
      return words.length > EXCERPT_CHARS ? words.slice(0, EXCERPT_CHARS - 1) + "\u2026" : words;
    }

    function showNotice(comment) {
      var author = comment.querySelector(".comment-author");
      var name = author ? author.textContent.trim() : "";
      var template = null;
      if (comment.classList.contains("comment--auto")) template = text.textAutomatic;
      else if (name === text.selfName) return; // our own, from another tab
      else if (comment.classList.contains("comment--agent")) template = text.textReplied;
      else if (comment.classList.contains("comment--note")) template = text.textNoted;
      if (!template) return; // a customer's message, a system note
      notice.querySelector("[data-collision-notice-text]").textContent = format(template, {
        name: name,
        excerpt: excerpt(comment),
      });
      notice.hidden = false;
    }

    function conversationSwapped() {
      if (seenInput) {
        var newest = newestOnPage();
        var seen = parseInt(seenInput.value, 10) || 0;
        if (newest > seen) seenInput.value = String(newest);
      }
      Object.keys(pending).forEach(function (id) {
        var comment = document.getElementById("comment-" + id);
        if (!comment) return; // still on its way
        delete pending[id];
        if (notice) showNotice(comment);
      });
    }

    document.addEventListener("htmx:oobAfterSwap", conversationSwapped);
    if (notice) {
      notice.querySelector("[data-collision-notice-close]").addEventListener("click", function () {
        notice.hidden = true;
      });
    }

    // --- Frames --------------------------------------------------------------------------------------------------

    document.addEventListener("realtime:frame", function (event) {
      var frame = event.detail;
      if (!frame || frame.ticket_id !== ticketId) return;
      if (frame.type === "presence" && Array.isArray(frame.viewers)) render(frame.viewers);
      else if (frame.type === "comment.added" && textarea && textarea.value.trim()) {
        if (!document.getElementById("comment-" + frame.comment_id)) pending[frame.comment_id] = true;
      }
    });

    // The server held a reply back: its warning (at the top of the composer) must be in view, after the page has
    // anchored itself at the newest message (ticket-page.js).
    var warning = form && form.querySelector("[data-collision-warning]");
    if (warning) {
      window.addEventListener("load", function () {
        var box = warning.getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) warning.scrollIntoView({ block: "center" });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
