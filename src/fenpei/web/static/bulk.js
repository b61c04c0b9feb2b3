// Bulk work at volume, as enhancements (without this script every form still works):
// - rep pickers: a type-to-filter box over each <select data-rep-picker>. Each option reads
//   "name · team · load · status", so the box matches any of those words; options are only
//   hidden, nothing is fetched;
// - after a change of all matching customers, closing the result (Esc) reloads the list
//   behind it, which still shows the owners from before.
"use strict";

(function () {
  function normalise(text) {
    return text.toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }

  function filterOptions(select, box, none) {
    const words = normalise(box.value).split(" ").filter(Boolean);
    let shown = 0;
    Array.from(select.options).forEach(function (option) {
      if (!option.value) return; // the "choose a rep" prompt stays
      const text = normalise(option.textContent);
      const match = words.every(function (word) { return text.indexOf(word) >= 0; });
      // A chosen rep stays visible, so a narrowed list never hides what will be posted.
      option.hidden = !match && !option.selected;
      if (!option.hidden) shown += 1;
    });
    none.hidden = shown > 0;
  }

  function enhance(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    const box = document.createElement("input");
    box.type = "search";
    box.className = "rep-filter";
    box.id = select.id + "-filter";
    box.placeholder = select.dataset.filterPlaceholder || "";
    box.setAttribute("aria-label", select.dataset.filterLabel || "");
    box.setAttribute("aria-controls", select.id);
    box.autocomplete = "off";
    const none = document.createElement("p");
    none.className = "hint rep-filter-none";
    none.textContent = select.dataset.filterNone || "";
    none.hidden = true;
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(none, select.nextSibling);
    box.addEventListener("input", function () { filterOptions(select, box, none); });
    box.addEventListener("keydown", function (event) {
      // Enter in the box must not submit the bulk form; it moves on to the list instead.
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
    // The box is not a form field of the bulk form: keep it out of posts and change handlers.
    box.addEventListener("change", function (event) { event.stopPropagation(); });
  }

  function setUp(root) {
    (root || document).querySelectorAll("select[data-rep-picker]").forEach(enhance);
  }

  document.addEventListener("htmx:afterSwap", function (event) { setUp(event.detail.target); });

  // "close" does not bubble: listen in the capture phase.
  document.addEventListener("close", function (event) {
    const dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    const back = dialog.querySelector("a[data-matching-back]");
    if (back && dialog.querySelector("[data-matching-done]")) window.location.assign(back.href);
  }, true);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();
