/* The template picker of the WhatsApp composer: a native modal <dialog> that searches the number's approved
 * templates, asks for their parameters with a live preview, and inserts valid shorthand. The ticket page's composer
 * and the contact page's "start a conversation" panel both use it (composer.js). Needs composer-util.js.
 */
(function () {
  "use strict";

  var composer = window.SupportDesk.composer;
  var el = composer.el;
  var getJSON = composer.getJSON;
  var postJSON = composer.postJSON;
  var renderTemplateText = composer.renderTemplateText;

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
              ? interpolate(gettext("No approved template matches “%(words)s”."), { words: search.value.trim() }, true)
              : gettext("No approved templates for this WhatsApp number.")
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
        button.appendChild(el("span", "wa-template-body", t.body || gettext("(no body text)")));
        item.appendChild(button);
        list.appendChild(item);
      });
      count.textContent = templates.length
        ? interpolate(
            ngettext(
              "%(shown)s of %(total)s approved template",
              "%(shown)s of %(total)s approved templates",
              templates.length
            ),
            { shown: shown.length, total: templates.length },
            true
          )
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
      if (!total) params.appendChild(el("p", "hint", gettext("This template takes no parameters.")));
      for (var i = 1; i <= total; i++) {
        var field = el("div", "field wa-param");
        var id = "wa-param-" + i;
        var label = el("label", null, interpolate(gettext("Parameter %(number)s"), { number: i }, true));
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
      list.appendChild(el("li", "wa-template-empty muted", gettext("Loading templates…")));
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
          list.appendChild(el("li", "wa-template-empty", gettext("The templates could not be loaded. Close and try again.")));
        });
    }

    function doInsert() {
      if (!current) return;
      var inputs = params.querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) {
        if (!inputs[i].value.trim()) {
          showError(interpolate(gettext("Fill in Parameter %(number)s."), { number: i + 1 }, true));
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
          if (!result.ok) throw new Error(result.data.error || gettext("The template could not be inserted."));
          opener = null; // focus goes to where the text went, not back to the button
          close();
          options.onInsert(result.data);
        })
        .catch(function (problem) {
          showError(problem.message || gettext("The template could not be inserted."));
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

  composer.createPicker = createPicker;
})();
