// The inbox: after "mark read" swaps the list in (htmx), its status line takes the focus,
// so a keyboard or screen-reader user hears what happened and goes on from there instead
// of from the top of the page. Other swaps (the bell's every 30 s) leave the focus alone.
// Loaded (deferred) by notifications/inbox.html.
"use strict";

document.addEventListener("htmx:afterSwap", function (event) {
  const path = event.detail && event.detail.pathInfo && event.detail.pathInfo.requestPath;
  if (!path || path.split("?")[0] !== "/inbox/read") return;
  const list = document.getElementById("inbox-list");
  const status = list && list.querySelector("[data-focus-after-swap]");
  if (status) status.focus();
});
