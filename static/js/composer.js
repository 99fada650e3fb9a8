/* The WhatsApp composer that knows: on a WhatsApp ticket page it shows the 24-hour window with a live countdown,
 * says what a closed window means before the agent types, offers a template picker that inserts valid shorthand,
 * checks typed shorthand as the agent writes, and asks before a free-form reply goes into a closed window.
 * On the contact page the same picker fills the "start a conversation" form.
 *
 * This file wires the capabilities together; each lives in its own script, loaded before this one in this order
 * (templates/whatsapp/_composer_scripts.html): composer-util.js (helpers, the `window.SupportDesk.composer`
 * namespace), composer-picker.js, composer-window.js, composer-check.js, composer-confirm.js.
 *
 * Progressive enhancement: both pages work without these files. Text from the server is only ever set with
 * textContent (never innerHTML).
 */
(function () {
  "use strict";

  var composer = window.SupportDesk && window.SupportDesk.composer;
  if (!composer) return;
  var renderCheck = composer.renderCheck;

  // --- The ticket page's composer -----------------------------------------------------------------------------

  function initTicketComposer(root) {
    var form = root.closest("form");
    var textarea = form && form.querySelector("textarea[name=body]");
    if (!form || !textarea) return;
    var openButton = root.querySelector("[data-wa-open-picker]");
    var dialog = root.querySelector("[data-wa-picker]");

    var expires = Date.parse(root.dataset.windowExpires || "");
    var state = {
      expiresAt: isNaN(expires) ? null : expires,
      open: null,
      contact: { name: root.dataset.contactName || "", first_name: root.dataset.contactFirstName || "" },
      account: undefined,
    };
    var checker = composer.createChecker(root, form, textarea, state);
    var windowState = composer.createWindow(root, state, checker.windowClosed);

    var swaps = 0; // fresh windows swapped in by realtime.js: newer than an answer asked for before them

    function loadState() {
      var asked = swaps;
      return composer.getJSON(root.dataset.stateUrl).then(function (result) {
        if (!result.ok) return;
        var data = result.data;
        if (data.contact) state.contact = data.contact;
        state.account = data.account || null;
        if (data.window && asked === swaps) windowState.update(data.window.expires_at);
        else windowState.render();
      });
    }

    function setMode(value) {
      var radio = form.querySelector('input[name="mode"][value="' + value + '"]');
      if (radio && !radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    var picker = composer.createPicker(dialog, {
      templatesUrl: function () { return root.dataset.templatesUrl; },
      shorthandUrl: function () { return root.dataset.shorthandUrl; },
      firstName: function () { return state.contact.first_name || ""; },
      suggestions: function () {
        return [
          { value: state.contact.first_name, label: gettext("Customer's first name") },
          { value: state.contact.name, label: gettext("Customer's name") },
          { value: root.dataset.ticketId, label: gettext("Ticket id") },
        ];
      },
      note: function () {
        if (state.account === null) {
          return gettext("This ticket is not linked to a WhatsApp number: a template cannot be sent from here.");
        }
        if (state.account && !state.account.templates_enabled) {
          return gettext(
            "Templates are not enabled on this WhatsApp number: a template reply would be kept on the ticket but not delivered. An admin can enable them."
          );
        }
        return "";
      },
      onInsert: function (data) {
        setMode("public");
        textarea.value = data.shorthand;
        checker.show(data.shorthand, data.check);
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.focus();
        textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      },
    });

    openButton.hidden = false;
    openButton.addEventListener("click", function () { picker.open(openButton); });

    // A failed bubble's "Send as template" (failed-actions.js): a public reply, the composer in view, the picker
    // open for this ticket's customer; focus returns to the bubble's button when the picker is closed.
    document.addEventListener("supportdesk:send-as-template", function (event) {
      setMode("public");
      root.scrollIntoView({ block: "center" });
      picker.open((event.detail && event.detail.opener) || openButton);
    });

    composer.confirmClosedWindow(form, textarea, state, windowState.render);

    // A new customer message reopens the window: realtime.js swaps a fresh #ticket-window (the "window" part of
    // the same request that brings the conversation), and its data attributes carry the new expiry.
    var fresh = document.getElementById("ticket-window");
    if (fresh && fresh.parentNode && window.MutationObserver) {
      new MutationObserver(function () {
        var swapped = document.getElementById("ticket-window");
        if (!swapped || swapped === fresh) return; // another part was swapped, not the window
        fresh = swapped;
        swaps++;
        windowState.update(swapped.dataset.windowExpires);
      }).observe(fresh.parentNode, { childList: true });
    }

    windowState.start();
    loadState();
    if (textarea.value.indexOf(composer.SHORTHAND_MARK) !== -1 || textarea.value.trim()) checker.schedule(true);
  }

  // --- The contact page's "start a conversation" panel --------------------------------------------------------

  function initStartPanel(root) {
    var form = root.querySelector("form");
    if (!form) return;
    var account = form.querySelector("[data-wa-account]");
    var textarea = form.querySelector("[data-wa-start-body]");
    var region = form.querySelector("[data-wa-check]");
    var openButton = form.querySelector("[data-wa-open-picker]");
    var dialog = root.querySelector("[data-wa-picker]");

    function selected() {
      return account.options[account.selectedIndex] || null;
    }

    var picker = composer.createPicker(dialog, {
      templatesUrl: function () { return selected().dataset.templatesUrl; },
      shorthandUrl: function () { return selected().dataset.shorthandUrl; },
      payload: function () { return { contact_id: parseInt(root.dataset.contactId, 10) }; },
      firstName: function () { return root.dataset.contactFirstName || ""; },
      suggestions: function () {
        return [
          { value: root.dataset.contactFirstName, label: gettext("Customer's first name") },
          { value: root.dataset.contactName, label: gettext("Customer's name") },
        ];
      },
      note: function (data) {
        if (data.account && !data.account.templates_enabled) {
          return gettext(
            "Templates are not enabled on this WhatsApp number: an admin must enable them before a conversation can be started."
          );
        }
        return "";
      },
      onInsert: function (data) {
        textarea.value = data.shorthand;
        renderCheck(region, data.check);
        textarea.focus();
      },
    });

    openButton.hidden = false;
    openButton.addEventListener("click", function () {
      var option = selected();
      if (!option || !option.value) {
        renderCheck(region, { problems: [{ code: "account", message: gettext("Choose the WhatsApp number to write from first.") }] });
        account.focus();
        return;
      }
      picker.open(openButton);
    });
    account.addEventListener("change", function () {
      region.textContent = "";
      region.className = "wa-check";
    });
    textarea.addEventListener("input", function () {
      // The preview no longer matches what will be sent; the server checks it again on submit.
      region.textContent = "";
      region.className = "wa-check";
    });
  }

  function init() {
    if (!window.fetch || typeof HTMLDialogElement === "undefined") return;
    document.querySelectorAll("[data-wa-composer]").forEach(initTicketComposer);
    document.querySelectorAll("[data-wa-start]").forEach(initStartPanel);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
