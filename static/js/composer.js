/* The WhatsApp composer that knows: on a WhatsApp ticket page it shows the 24-hour window with a live countdown,
 * says what a closed window means before the agent types, offers a template picker that inserts valid shorthand,
 * checks typed shorthand as the agent writes, and asks before a free-form reply goes into a closed window.
 * On the contact page the same picker fills the "start a conversation" form.
 *
 * Progressive enhancement: both pages work without this file. Text from the server is only ever set with
 * textContent (never innerHTML), and the rendered previews are built from text nodes.
 */
(function () {
  "use strict";

  var SHORTHAND_MARK = "&((";
  var CHECK_DELAY_MS = 400;
  var TICK_MS = 30000;
  var SOON_MS = 2 * 60 * 60 * 1000;
  var MAX_TIMEOUT_MS = 2147483647;
  var PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;
  var CONFIRM_CLOSED =
    "The window is closed: this reply will be kept on the ticket but not delivered to the customer. Send anyway?";

  // --- Small helpers ------------------------------------------------------------------------------------------

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

  /* "3 h 12 min", "45 min", "less than a minute". */
  function formatLeft(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "less than a minute";
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (!hours) return rest + " min";
    return rest ? hours + " h " + rest + " min" : hours + " h";
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
            ? "This shorthand cannot be sent as it is:"
            : "This reply would be kept on the ticket but not delivered:"
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
      head.appendChild(el("span", "badge badge-template", "template"));
      if (check.template) {
        head.appendChild(document.createTextNode(" "));
        head.appendChild(el("span", "wa-check-name", check.template.name + " \u00b7 " + check.template.language));
      }
      if (!problems.length) {
        region.classList.add("wa-check-ok");
        head.appendChild(el("span", "wa-check-ok-text", " The customer will receive:"));
      } else {
        head.appendChild(el("span", "muted", " Rendered text:"));
      }
      preview.appendChild(head);
      preview.appendChild(el("p", "wa-rendered", check.rendered));
      region.appendChild(preview);
    }
  }

  // --- The template picker ------------------------------------------------------------------------------------

  /* options: templatesUrl(), shorthandUrl(), payload() (extra JSON for the shorthand call), suggestions() ->
     [{value, label}], firstName(), note(data) -> text or "", onInsert(data). */
  function createPicker(dialog, options) {
    var search = dialog.querySelector("[data-wa-picker-search]");
    var list = dialog.querySelector("[data-wa-picker-list]");
    var count = dialog.querySelector("[data-wa-picker-count]");
    var note = dialog.querySelector("[data-wa-picker-note]");
    var listStep = dialog.querySelector('[data-wa-step="list"]');
    var paramsStep = dialog.querySelector('[data-wa-step="params"]');
    var pickedName = dialog.querySelector("[data-wa-picked-name]");
    var pickedMeta = dialog.querySelector("[data-wa-picked-meta]");
    var params = dialog.querySelector("[data-wa-params]");
    var suggestions = dialog.querySelector("[data-wa-suggestions]");
    var preview = dialog.querySelector("[data-wa-preview]");
    var error = dialog.querySelector("[data-wa-picker-error]");
    var insert = dialog.querySelector("[data-wa-picker-insert]");
    var cache = {}; // templates URL -> promise of the endpoint's answer: fetched once per number
    var templates = [];
    var current = null;
    var opener = null;

    // Outside any form: Enter in the search box or a parameter must never submit the ticket form.
    if (dialog.parentNode !== document.body) document.body.appendChild(dialog);

    function load() {
      var url = options.templatesUrl();
      if (!cache[url]) {
        cache[url] = getJSON(url).then(function (result) {
          if (!result.ok) {
            delete cache[url];
            throw new Error("HTTP " + result.status);
          }
          return result.data;
        });
      }
      return cache[url];
    }

    function showStep(name) {
      listStep.hidden = name !== "list";
      paramsStep.hidden = name !== "params";
    }

    function optionButtons() {
      return Array.prototype.slice.call(list.querySelectorAll(".wa-template-option"));
    }

    function renderList() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = templates.filter(function (t) {
        var haystack = [t.name, t.language, t.category, t.body].join(" ").toLowerCase();
        return words.every(function (word) { return haystack.indexOf(word) !== -1; });
      });
      list.textContent = "";
      if (!shown.length) {
        list.appendChild(
          el(
            "li",
            "wa-template-empty muted",
            templates.length
              ? "No approved template matches \u201c" + search.value.trim() + "\u201d."
              : "No approved templates for this WhatsApp number."
          )
        );
      }
      shown.forEach(function (t) {
        var item = el("li");
        var button = el("button", "wa-template-option");
        button.type = "button";
        button.dataset.templateId = String(t.id);
        var head = el("span", "wa-template-head");
        head.appendChild(el("span", "wa-template-name", t.name));
        head.appendChild(el("span", "wa-template-tag", t.language));
        head.appendChild(el("span", "wa-template-tag wa-category-" + String(t.category).toLowerCase(), t.category));
        button.appendChild(head);
        button.appendChild(el("span", "wa-template-body", t.body || "(no body text)"));
        item.appendChild(button);
        list.appendChild(item);
      });
      count.textContent = templates.length
        ? shown.length + " of " + templates.length + " approved template" + (templates.length === 1 ? "" : "s")
        : "";
    }

    function showError(text) {
      error.hidden = !text;
      error.textContent = text || "";
    }

    function values() {
      return Array.prototype.map.call(params.querySelectorAll("input"), function (input) { return input.value; });
    }

    function updatePreview() {
      if (current) renderTemplateText(preview, current.body, values());
    }

    function fillSuggestions() {
      suggestions.textContent = "";
      var seen = {};
      (options.suggestions() || []).forEach(function (s) {
        if (!s.value || seen[s.value]) return;
        seen[s.value] = true;
        var option = el("option");
        option.value = s.value;
        option.label = s.label;
        suggestions.appendChild(option);
      });
    }

    function choose(template) {
      current = template;
      showError("");
      pickedName.textContent = template.name;
      pickedMeta.textContent = template.language + " \u00b7 " + template.category;
      params.textContent = "";
      fillSuggestions();
      var total = template.body_parameter_count || 0;
      if (!total) params.appendChild(el("p", "hint", "This template takes no parameters."));
      for (var i = 1; i <= total; i++) {
        var field = el("div", "field wa-param");
        var id = "wa-param-" + i;
        var label = el("label", null, "Parameter " + i);
        label.htmlFor = id;
        var input = el("input", "input");
        input.type = "text";
        input.id = id;
        input.autocomplete = "off";
        input.setAttribute("list", "wa-param-suggestions");
        input.maxLength = 1024;
        // Parameter 1 is nearly always the greeting's name: pre-fill the customer's first name.
        if (i === 1) input.value = options.firstName() || "";
        input.addEventListener("input", function () {
          showError("");
          this.removeAttribute("aria-invalid");
          updatePreview();
        });
        field.appendChild(label);
        field.appendChild(input);
        params.appendChild(field);
      }
      updatePreview();
      showStep("params");
      var empty = Array.prototype.filter.call(params.querySelectorAll("input"), function (input) {
        return !input.value.trim();
      })[0];
      (empty || insert).focus();
    }

    function back() {
      current = null;
      showStep("list");
      search.focus();
    }

    function close() {
      if (dialog.open) dialog.close();
    }

    function open(from) {
      opener = from || document.activeElement;
      current = null;
      showError("");
      showStep("list");
      search.value = "";
      note.hidden = true;
      list.textContent = "";
      list.appendChild(el("li", "wa-template-empty muted", "Loading templates\u2026"));
      count.textContent = "";
      if (!dialog.open) dialog.showModal();
      search.focus();
      load()
        .then(function (data) {
          templates = data.results || [];
          var text = options.note ? options.note(data) : "";
          note.hidden = !text;
          note.textContent = text || "";
          renderList();
        })
        .catch(function () {
          templates = [];
          list.textContent = "";
          list.appendChild(el("li", "wa-template-empty", "The templates could not be loaded. Close and try again."));
        });
    }

    function doInsert() {
      if (!current) return;
      var inputs = params.querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) {
        if (!inputs[i].value.trim()) {
          showError("Fill in Parameter " + (i + 1) + ".");
          inputs[i].setAttribute("aria-invalid", "true");
          inputs[i].focus();
          return;
        }
      }
      var payload = options.payload ? options.payload() : {};
      payload.template_id = current.id;
      payload.parameters = values();
      insert.setAttribute("aria-busy", "true");
      insert.disabled = true;
      postJSON(options.shorthandUrl(), payload)
        .then(function (result) {
          if (!result.ok) throw new Error(result.data.error || "The template could not be inserted.");
          opener = null; // focus goes to where the text went, not back to the button
          close();
          options.onInsert(result.data);
        })
        .catch(function (problem) {
          showError(problem.message || "The template could not be inserted.");
        })
        .finally(function () {
          insert.removeAttribute("aria-busy");
          insert.disabled = false;
        });
    }

    search.addEventListener("input", renderList);
    search.addEventListener("keydown", function (event) {
      var all = optionButtons();
      if (event.key === "Enter") {
        event.preventDefault();
        if (all.length === 1) all[0].click();
        else if (all[0]) all[0].focus();
      } else if (event.key === "ArrowDown" && all[0]) {
        event.preventDefault();
        all[0].focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      var all = optionButtons();
      var index = all.indexOf(document.activeElement);
      if (index === -1) return;
      var target = null;
      if (event.key === "ArrowDown") target = all[Math.min(index + 1, all.length - 1)];
      else if (event.key === "ArrowUp") target = index === 0 ? search : all[index - 1];
      else if (event.key === "Home") target = all[0];
      else if (event.key === "End") target = all[all.length - 1];
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".wa-template-option");
      if (!button) return;
      var id = parseInt(button.dataset.templateId, 10);
      var found = templates.filter(function (t) { return t.id === id; })[0];
      if (found) choose(found);
    });
    params.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        doInsert();
      }
    });
    insert.addEventListener("click", doInsert);
    dialog.querySelector("[data-wa-picker-back]").addEventListener("click", back);
    dialog.querySelectorAll("[data-wa-picker-close]").forEach(function (button) {
      button.addEventListener("click", close);
    });
    // A click on the backdrop (the dialog element itself, outside its box) closes it.
    dialog.addEventListener("click", function (event) {
      if (event.target !== dialog) return;
      var box = dialog.getBoundingClientRect();
      var inside =
        event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) close();
    });
    dialog.addEventListener("close", function () {
      if (opener && document.contains(opener) && typeof opener.focus === "function") opener.focus();
      opener = null;
    });

    return { open: open, close: close };
  }

  // --- The ticket page's composer -----------------------------------------------------------------------------

  function initTicketComposer(root) {
    var form = root.closest("form");
    var textarea = form && form.querySelector("textarea[name=body]");
    if (!form || !textarea) return;
    var windowLine = root.querySelector("[data-wa-window]");
    var windowText = root.querySelector("[data-wa-window-text]");
    var notice = root.querySelector("[data-wa-closed-notice]");
    var openButton = root.querySelector("[data-wa-open-picker]");
    var dialog = root.querySelector("[data-wa-picker]");
    var fileInput = form.querySelector("input[type=file]");

    var serverNow = Date.parse(root.dataset.serverNow || "");
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now(); // the server's clock decides when the window closes
    var expires = Date.parse(root.dataset.windowExpires || "");
    var state = {
      expiresAt: isNaN(expires) ? null : expires,
      open: null,
      contact: { name: root.dataset.contactName || "", first_name: root.dataset.contactFirstName || "" },
      account: undefined,
    };
    var expiryTimer = null;
    var checkTimer = null;
    var checkSeq = 0;
    var lastCheck = null; // {body, result}

    // The check's live region sits right below the textarea.
    var region = el("div", "wa-check");
    region.setAttribute("aria-live", "polite");
    region.dataset.waCheck = "";
    textarea.insertAdjacentElement("afterend", region);

    function now() {
      return Date.now() + skew;
    }

    function isOpen() {
      // No customer message yet (or ever): closed, whatever the page said.
      return state.expiresAt !== null && now() < state.expiresAt;
    }

    function publicMode() {
      var mode = form.querySelector('input[name="mode"]:checked');
      return !mode || mode.value === "public";
    }

    function renderWindow() {
      var open = isOpen();
      var wasOpen = state.open;
      state.open = open;
      windowLine.classList.remove("wa-window-open", "wa-window-soon", "wa-window-closed");
      if (open) {
        var left = state.expiresAt - now();
        windowLine.classList.add(left < SOON_MS ? "wa-window-soon" : "wa-window-open");
        windowText.textContent = "Window open \u00b7 closes in " + formatLeft(left);
        windowLine.title = "The customer's 24-hour window closes at " + new Date(state.expiresAt - skew).toLocaleString();
      } else {
        windowLine.classList.add("wa-window-closed");
        windowText.textContent = "Window closed";
        windowLine.title = "More than 24 hours since the customer's last message";
      }
      notice.hidden = open;
      if (wasOpen === true && !open) {
        // It closed while the agent was here: re-judge what is in the composer, or say so when it is empty.
        lastCheck = null;
        scheduleCheck(true);
        if (!region.textContent) {
          region.className = "wa-check wa-check-warning";
          region.appendChild(
            el("p", "wa-check-title", "The 24-hour window has just closed: only an approved template can reach the customer now.")
          );
        }
        closeHeaderChips();
      }
      scheduleExpiry();
    }

    /* The page header's window chip follows app.js's 30-second sweep; bring it along at once (same markup). */
    function closeHeaderChips() {
      document.querySelectorAll(".ticket-meta [data-expires-at]").forEach(function (chip) {
        var at = Date.parse(chip.dataset.expiresAt);
        if (isNaN(at) || at > now()) return;
        chip.className = "chip chip-window-closed";
        chip.textContent = "WhatsApp window closed";
        chip.removeAttribute("data-expires-at");
      });
    }

    function scheduleExpiry() {
      if (expiryTimer) clearTimeout(expiryTimer);
      expiryTimer = null;
      if (!state.open || state.expiresAt === null) return;
      var wait = state.expiresAt - now() + 50;
      if (wait > 0 && wait < MAX_TIMEOUT_MS) expiryTimer = setTimeout(renderWindow, wait);
    }

    function loadState() {
      return getJSON(root.dataset.stateUrl).then(function (result) {
        if (!result.ok) return;
        var data = result.data;
        if (data.window) {
          var at = Date.parse(data.window.expires_at || "");
          state.expiresAt = isNaN(at) ? null : at;
        }
        if (data.contact) state.contact = data.contact;
        state.account = data.account || null;
        renderWindow();
      });
    }

    function setMode(value) {
      var radio = form.querySelector('input[name="mode"][value="' + value + '"]');
      if (radio && !radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function freeFormHint() {
      region.textContent = "";
      region.className = "wa-check wa-check-warning";
      region.appendChild(
        el(
          "p",
          "wa-check-title",
          "Free-form reply: the window is closed, so it will be kept on the ticket but not delivered."
        )
      );
    }

    function runCheck() {
      var body = textarea.value;
      var seq = ++checkSeq;
      region.setAttribute("aria-busy", "true");
      postJSON(root.dataset.checkUrl, { body: body })
        .then(function (result) {
          if (seq !== checkSeq || textarea.value !== body) return; // a newer text is on its way
          if (!result.ok) {
            renderCheck(region, {
              problems: [{ code: "error", message: result.data.error || "The reply could not be checked." }],
            });
            return;
          }
          lastCheck = { body: body, result: result.data };
          renderCheck(region, result.data);
        })
        .catch(function () {
          if (seq === checkSeq) region.textContent = "";
        })
        .finally(function () {
          if (seq === checkSeq) region.removeAttribute("aria-busy");
        });
    }

    function scheduleCheck(immediately) {
      if (checkTimer) clearTimeout(checkTimer);
      checkTimer = null;
      var body = textarea.value;
      if (!publicMode()) {
        checkSeq++;
        region.textContent = "";
        region.className = "wa-check";
        return;
      }
      if (body.indexOf(SHORTHAND_MARK) === -1) {
        checkSeq++;
        lastCheck = null;
        if (body.trim() && state.open === false) freeFormHint();
        else {
          region.textContent = "";
          region.className = "wa-check";
        }
        return;
      }
      if (lastCheck && lastCheck.body === body) return;
      checkTimer = setTimeout(runCheck, immediately ? 0 : CHECK_DELAY_MS);
    }

    var picker = createPicker(dialog, {
      templatesUrl: function () { return root.dataset.templatesUrl; },
      shorthandUrl: function () { return root.dataset.shorthandUrl; },
      firstName: function () { return state.contact.first_name || ""; },
      suggestions: function () {
        return [
          { value: state.contact.first_name, label: "Customer's first name" },
          { value: state.contact.name, label: "Customer's name" },
          { value: root.dataset.ticketId, label: "Ticket id" },
        ];
      },
      note: function () {
        if (state.account === null) return "This ticket is not linked to a WhatsApp number: a template cannot be sent from here.";
        if (state.account && !state.account.templates_enabled) {
          return "Templates are not enabled on this WhatsApp number: a template reply would be kept on the ticket but not delivered. An admin can enable them.";
        }
        return "";
      },
      onInsert: function (data) {
        setMode("public");
        textarea.value = data.shorthand;
        lastCheck = { body: data.shorthand, result: data.check };
        renderCheck(region, data.check);
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.focus();
        textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      },
    });

    openButton.hidden = false;
    openButton.addEventListener("click", function () { picker.open(openButton); });

    textarea.addEventListener("input", function () { scheduleCheck(false); });
    textarea.addEventListener("change", function () { scheduleCheck(false); }); // e.g. a macro filled it
    form.addEventListener("change", function (event) {
      if (event.target.name === "mode") scheduleCheck(true);
    });

    // Registered on the form, so it runs before app.js's document-level double-submit guard; a cancelled send
    // stops there too, or the guard would block the next, real submit.
    form.addEventListener("submit", function (event) {
      if (!publicMode()) return;
      var body = textarea.value;
      var hasFiles = !!(fileInput && fileInput.files && fileInput.files.length);
      if (!body.trim() && !hasFiles) return;
      if (body.indexOf(SHORTHAND_MARK) !== -1) return; // a template: the server judges it and says why
      renderWindow();
      if (state.open) return;
      if (!window.confirm(CONFIRM_CLOSED)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        event.stopPropagation();
        textarea.focus();
      }
    });

    // A new customer message reopens the window: realtime.js swaps in a fresh #comments, we re-read the state.
    var comments = document.getElementById("comments");
    if (comments && comments.parentNode && window.MutationObserver) {
      var reloadTimer = null;
      new MutationObserver(function () {
        if (reloadTimer) clearTimeout(reloadTimer);
        reloadTimer = setTimeout(loadState, 200);
      }).observe(comments.parentNode, { childList: true });
    }

    renderWindow();
    setInterval(renderWindow, TICK_MS);
    loadState();
    if (textarea.value.indexOf(SHORTHAND_MARK) !== -1 || textarea.value.trim()) scheduleCheck(true);
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

    var picker = createPicker(dialog, {
      templatesUrl: function () { return selected().dataset.templatesUrl; },
      shorthandUrl: function () { return selected().dataset.shorthandUrl; },
      payload: function () { return { contact_id: parseInt(root.dataset.contactId, 10) }; },
      firstName: function () { return root.dataset.contactFirstName || ""; },
      suggestions: function () {
        return [
          { value: root.dataset.contactFirstName, label: "Customer's first name" },
          { value: root.dataset.contactName, label: "Customer's name" },
        ];
      },
      note: function (data) {
        if (data.account && !data.account.templates_enabled) {
          return "Templates are not enabled on this WhatsApp number: an admin must enable them before a conversation can be started.";
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
        renderCheck(region, { problems: [{ code: "account", message: "Choose the WhatsApp number to write from first." }] });
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
