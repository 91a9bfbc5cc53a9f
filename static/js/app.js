// Procure's page behaviour. Served from static/ (no inline scripts, so the
// Content-Security-Policy can forbid them). Every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Ask before a destructive action: <form data-confirm="Cancel this request?">
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
