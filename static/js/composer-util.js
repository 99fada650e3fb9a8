/* The WhatsApp composer's shared pieces: small DOM and JSON helpers, the countdown's wording, and how a check
 * (the composer/check or a shorthand endpoint's `check`) is shown. Every composer-*.js script and composer.js read
 * them from `window.SupportDesk.composer`, which this file creates; it loads first.
 *
 * Text from the server is only ever set with textContent (never innerHTML), and the rendered previews are built
 * from text nodes.
 */
(function () {
  "use strict";

  var PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function answer(response) {
    return response
      .json()
      .catch(function () { return {}; })
      .then(function (data) { return { ok: response.ok, status: response.status, data: data || {} }; });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(answer);
  }

  function postJSON(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": window.SupportDesk.csrfToken(),
      },
      body: JSON.stringify(payload),
    }).then(answer);
  }

  /* "3 h 12 min", "45 min", "less than a minute": the wording (and the msgids) of the `time_left` filter
     (tickets/templatetags), so the header and the composer agree in every language. */
  function formatLeft(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return gettext("less than a minute");
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (!hours) return interpolate(gettext("%(minutes)s min"), { minutes: rest }, true);
    if (!rest) return interpolate(gettext("%(hours)s h"), { hours: hours }, true);
    return interpolate(gettext("%(hours)s h %(minutes)s min"), { hours: hours, minutes: rest }, true);
  }

  /* A date and time in the page's language (<html lang>) and the agent's time zone (<html data-time-zone>),
     e.g. "Dec 3, 2026, 4:40 PM" or "03.12.2026, 16:40". */
  function formatDateTime(date) {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: document.documentElement.dataset.timeZone || undefined,
    }).format(date);
  }

  /* The template body with {{n}} filled, as text nodes and <mark>s (a missing value shows its placeholder). */
  function renderTemplateText(container, body, values) {
    container.textContent = "";
    var text = String(body || "");
    var last = 0;
    text.replace(PLACEHOLDER, function (match, number, offset) {
      if (offset > last) container.appendChild(document.createTextNode(text.slice(last, offset)));
      var value = values[parseInt(number, 10) - 1];
      var filled = value !== undefined && value.trim() !== "";
      var mark = el("mark", filled ? "wa-param-value" : "wa-param-missing", filled ? value : match);
      container.appendChild(mark);
      last = offset + match.length;
      return match;
    });
    if (last < text.length) container.appendChild(document.createTextNode(text.slice(last)));
  }

  /* The outcome of a check (the composer/check or a shorthand endpoint's `check`), as text, into `region`. */
  function renderCheck(region, check) {
    region.textContent = "";
    region.className = "wa-check";
    if (!check) return;
    var problems = check.problems || [];
    if (problems.length) {
      region.classList.add("wa-check-warning");
      var box = el("div", "wa-check-problems");
      var malformed = problems.some(function (p) { return p.code === "shorthand"; });
      box.appendChild(
        el(
          "p",
          "wa-check-title",
          malformed
            ? gettext("This shorthand cannot be sent as it is:")
            : gettext("This reply would be kept on the ticket but not delivered:")
        )
      );
      var list = el("ul", "wa-check-list");
      problems.forEach(function (problem) {
        var item = el("li", null, problem.message);
        item.dataset.code = problem.code;
        list.appendChild(item);
      });
      box.appendChild(list);
      region.appendChild(box);
    }
    if (check.rendered) {
      var preview = el("div", "wa-check-preview");
      var head = el("p", "wa-check-head");
      head.appendChild(el("span", "badge badge-template", gettext("template")));
      if (check.template) {
        head.appendChild(document.createTextNode(" "));
        head.appendChild(el("span", "wa-check-name", check.template.name + " \u00b7 " + check.template.language));
      }
      if (!problems.length) {
        region.classList.add("wa-check-ok");
        head.appendChild(el("span", "wa-check-ok-text", " " + gettext("The customer will receive:")));
      } else {
        head.appendChild(el("span", "muted", " " + gettext("Rendered text:")));
      }
      preview.appendChild(head);
      preview.appendChild(el("p", "wa-rendered", check.rendered));
      region.appendChild(preview);
    }
  }

  var SupportDesk = window.SupportDesk || (window.SupportDesk = {});
  SupportDesk.composer = {
    SHORTHAND_MARK: "&((",
    el: el,
    getJSON: getJSON,
    postJSON: postJSON,
    formatLeft: formatLeft,
    formatDateTime: formatDateTime,
    renderTemplateText: renderTemplateText,
    renderCheck: renderCheck,
  };
})();
