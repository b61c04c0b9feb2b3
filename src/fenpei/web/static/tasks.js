// The team board (templates/tasks/board.html): drag a card to another column to change
// its status. A drop sets the card's own status select and submits its form (htmx swaps
// the board); a drop on 受阻 / Blocked opens the reason field instead and waits for it.
// The select and the Move button on each card do the same without a mouse.
(function () {
  "use strict";

  function reasonBox(form, status) {
    var box = form.querySelector(".task-move-reason");
    if (!box) { return null; }
    box.hidden = status !== "blocked";
    return box;
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches(".task-move select[name=status]")) {
      reasonBox(select.form, select.value);
    }
  });

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".task-card");
    if (!card) { return; }
    event.dataTransfer.setData("text/plain", card.dataset.taskId);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".task-card");
    if (card) { card.classList.remove("dragging"); }
  });

  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("drop-target");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) { return; }
    event.preventDefault();
    column.classList.remove("drop-target");
    var id = event.dataTransfer.getData("text/plain");
    var card = document.getElementById("task-" + id);
    if (!card || card.dataset.status === column.dataset.status) { return; }
    var form = card.querySelector("form.task-move");
    if (!form) { return; }
    form.elements.status.value = column.dataset.status;
    if (column.dataset.status === "blocked") {
      var box = reasonBox(form, "blocked");
      if (box) { box.querySelector("input").focus(); }
      return;
    }
    form.requestSubmit();
  });
})();
