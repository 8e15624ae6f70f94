/* Amends — small progressive enhancements. Every page works without this file.
 *
 * - <button data-copy="#element-id">: copies the element's value/text to the clipboard
 *   and says so in the button (the token page uses it).
 * - <form data-confirm="Question?">: asks before submitting (plain forms; htmx forms use
 *   hx-confirm, which htmx handles itself).
 * - <input data-select-on-focus>: selects its whole value when focused.
 * - <button data-quote-selection="#textarea-id" hidden>: shown (so only with script),
 *   enabled while words are selected inside a [data-quote-source] element; a click
 *   puts those words, spacing collapsed, into the textarea and focuses it. Without
 *   script the user pastes the sentence; the server checks it occurs either way.
 * - <input type="checkbox" data-select-all="ids" form="F">: ticks or unticks every
 *   checkbox named "ids" of form F, and follows them (ticked when all are, mixed when
 *   some are); an element [data-selected-count="ids"] then says how many are ticked.
 * - After htmx swaps in content that has an element with [data-focus], focus it, so
 *   keyboard users land on the form they just opened or the message they just got.
 */
(function () {
  "use strict";

  function copyFrom(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) { return; }
    var text = "value" in target ? target.value : target.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        if (target.select) { target.select(); }
      });
    } else if (target.select) {
      target.focus();
      target.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* select is enough */ }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (button) {
      event.preventDefault();
      copyFrom(button);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function boxesOf(name, formId) {
    var found = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    return Array.prototype.filter.call(found, function (box) {
      return !formId || box.getAttribute("form") === formId || (box.form && box.form.id === formId);
    });
  }

  function followSelection(name, formId) {
    var boxes = boxesOf(name, formId);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    document.querySelectorAll('[data-select-all="' + name + '"]').forEach(function (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (el) {
      if (!el.hasAttribute("data-idle")) { el.setAttribute("data-idle", el.textContent); }
      el.textContent = ticked ? ticked + " selected:" : el.getAttribute("data-idle");
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('input[type="checkbox"]')) { return; }
    var formId = box.getAttribute("form") || (box.form && box.form.id) || "";
    var all = box.getAttribute("data-select-all");
    if (all) {
      boxesOf(all, formId).forEach(function (each) { each.checked = box.checked; });
      followSelection(all, formId);
    } else if (box.name && document.querySelector('[data-select-all="' + box.name + '"]')) {
      followSelection(box.name, formId);
    }
  });

  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-select-on-focus") && el.select) {
      window.setTimeout(function () { el.select(); }, 0);
    }
  });

  var lastQuote = "";
  function quoteButtons() {
    return document.querySelectorAll("[data-quote-selection]");
  }
  function selectedQuote() {
    var selection = window.getSelection ? window.getSelection() : null;
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return ""; }
    var node = selection.getRangeAt(0).commonAncestorContainer;
    var element = node.nodeType === 1 ? node : node.parentElement;
    if (!element || !element.closest || !element.closest("[data-quote-source]")) { return ""; }
    return selection.toString().replace(/\s+/g, " ").trim();
  }
  function syncQuoteButtons() {
    var buttons = quoteButtons();
    if (!buttons.length) { return; }
    var text = selectedQuote();
    if (text) { lastQuote = text; }
    buttons.forEach(function (button) {
      button.hidden = false;
      button.disabled = !lastQuote;
    });
  }
  document.addEventListener("selectionchange", syncQuoteButtons);
  document.addEventListener("htmx:afterSettle", syncQuoteButtons);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-quote-selection]");
    if (!button || !lastQuote) { return; }
    var target = document.querySelector(button.getAttribute("data-quote-selection"));
    if (!target) { return; }
    target.value = lastQuote;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.focus();
  });

  // One focus mechanism for full pages and htmx swaps alike (native autofocus fires at
  // an unpredictable moment after a swap and can steal focus from where the user typed).
  function focusMarked() {
    var el = document.querySelector("[data-focus]");
    if (!el) { return; }
    el.removeAttribute("data-focus");  // focus once, not on every later swap
    if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
  }
  document.addEventListener("htmx:afterSettle", focusMarked);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusMarked);
    document.addEventListener("DOMContentLoaded", syncQuoteButtons);
  } else {
    focusMarked();
    syncQuoteButtons();
  }
}());
