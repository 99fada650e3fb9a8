/* A failed WhatsApp reply's next steps, under its bubble (templates/whatsapp/_failed_actions.html):
 * "Send as template" asks the composer (composer.js) to open its template picker for this ticket's customer;
 * "Retry" POSTs to the bubble's retry URL, which queues the same message again. The bubble then follows its ticks
 * live (realtime.js refreshes the conversation on the `delivery.status` frames); without a live connection the
 * conversation is asked for once. Listeners sit on the document: the conversation is swapped in place.
 * The words come from the page (data-text-* attributes); server text is only set with textContent.
 */
(function () {
  "use strict";

  function statusOf(button) {
    var box = button.closest("[data-failed-actions]");
    return box ? box.querySelector("[data-retry-status]") : null;
  }

  function say(button, text) {
    var status = statusOf(button);
    if (status) status.textContent = text || "";
  }

  function refreshConversation() {
    var url = document.body.dataset.fragmentsUrl;
    if (!window.htmx || !url) return;
    window.htmx.ajax("GET", url + "?part=conversation&part=events", { target: "body", swap: "none" });
  }

  function retry(button) {
    if (button.disabled) return;
    if (button.dataset.retryConfirm && !window.confirm(button.dataset.retryConfirm)) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(button, button.dataset.textRetrying);
    fetch(button.dataset.retryUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": window.SupportDesk.csrfToken() },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () { return {}; })
          .then(function (data) { return { ok: response.ok, data: data || {} }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.error || "");
        if (document.body.dataset.live !== "connected") refreshConversation();
      })
      .catch(function (problem) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        say(button, (problem && problem.message) || button.dataset.textFailed);
      });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var templateButton = target.closest("[data-send-as-template]");
    if (templateButton) {
      document.dispatchEvent(new CustomEvent("supportdesk:send-as-template", { detail: { opener: templateButton } }));
      return;
    }
    var retryButton = target.closest("[data-retry-url]");
    if (retryButton) retry(retryButton);
  });
})();
