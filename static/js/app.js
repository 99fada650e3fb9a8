/* SupportDesk agent pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  var AUTO_DISMISS_MS = 6000;

  function bannerArea() {
    return document.getElementById("banner-area");
  }

  /* Show a notification in the top-right banner area. Used by realtime.js too. */
  function showBanner(text, options) {
    options = options || {};
    var area = bannerArea();
    if (!area) return null;
    var banner = document.createElement("div");
    banner.className = "banner banner-" + (options.kind || "info");
    var body = document.createElement("p");
    body.className = "banner-text";
    if (options.href) {
      var link = document.createElement("a");
      link.href = options.href;
      link.textContent = text;
      body.appendChild(link);
    } else {
      body.textContent = text;
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "banner-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", gettext("Dismiss notification"));
    close.textContent = "\u00d7";
    banner.appendChild(body);
    banner.appendChild(close);
    if (options.onDismiss) banner.addEventListener("banner:dismissed", options.onDismiss);
    area.appendChild(banner);
    if (options.autoDismiss) setTimeout(function () { dismiss(banner); }, AUTO_DISMISS_MS);
    return banner;
  }

  function dismiss(banner) {
    if (!banner || !banner.parentNode) return;
    banner.dispatchEvent(new CustomEvent("banner:dismissed", { bubbles: true }));
    banner.parentNode.removeChild(banner);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) dismiss(button.closest(".banner"));
  });

  /* Ctrl+Enter (Cmd+Enter on a Mac) submits the composer. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var field = event.target.closest("[data-submit-shortcut]");
    if (!field || !field.form) return;
    event.preventDefault();
    field.form.requestSubmit();
  });

  /* "/" jumps to the ticket search, unless the agent is typing somewhere. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    var search = document.querySelector(".filters input[type=search]");
    if (!search) return;
    event.preventDefault();
    search.focus();
  });

  /* One submit per click: a double click must not post the same reply twice. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  });

  /* Coming back through the browser's history restores the page as it was: let its forms submit again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button[aria-disabled]").forEach(function (button) {
        button.removeAttribute("aria-disabled");
      });
    });
  });

  /* The CSRF token base.html puts on <body hx-headers>, for the scripts that POST with fetch (composer.js, realtime.js). */
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  /* A WhatsApp window chip turns to "closed" when its time runs out, without a reload. */
  function refreshWindows() {
    var now = Date.now();
    document.querySelectorAll("[data-expires-at]").forEach(function (chip) {
      var expires = Date.parse(chip.dataset.expiresAt);
      if (!isNaN(expires) && expires <= now) {
        chip.className = "chip chip-window-closed";
        chip.textContent = chip.closest("td") ? pgettext("WhatsApp window", "Closed") : gettext("WhatsApp window closed");
        chip.removeAttribute("data-expires-at");
      }
    });
  }
  setInterval(refreshWindows, 30000);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".banner[data-autodismiss]").forEach(function (banner) {
      setTimeout(function () { dismiss(banner); }, AUTO_DISMISS_MS);
    });
    refreshWindows();
  });

  window.SupportDesk = { showBanner: showBanner, dismissBanner: dismiss, csrfToken: csrfToken };
})();
