// Conflict and update reasons show on hover and on keyboard focus (CSS); Escape hides the one
// showing without moving the pointer or the focus (WCAG 1.4.13), until the pointer or focus
// leaves it. The pages work without this file; it only adds the dismissal.
"use strict";
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".note:hover, .note:focus-within").forEach(function (note) {
      note.classList.add("dismissed");
    });
  });
  function restore(event) {
    const note = event.target.closest && event.target.closest(".note");
    if (note) note.classList.remove("dismissed");
  }
  document.addEventListener("mouseout", restore);
  document.addEventListener("focusout", restore);
})();
