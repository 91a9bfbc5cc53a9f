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

// Purchase-request lines: add and remove rows without a round trip, keeping
// what was typed. Without JavaScript the same buttons submit the form and the
// server adds or removes the row.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.querySelector("[data-line-rows]");
  if (!container) {
    return;
  }
  const form = container.closest("form");
  const rows = () => Array.from(container.querySelectorAll("[data-line-row]"));

  const renumber = () => {
    rows().forEach((row, index) => {
      row.querySelectorAll("[name^='lines-'], [id^='lines-'], label[for^='lines-']").forEach((el) => {
        for (const attr of ["name", "id", "for", "aria-describedby"]) {
          const value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.replace(/lines-\d+-/g, `lines-${index}-`));
          }
        }
      });
      const legend = row.querySelector("legend");
      if (legend) {
        legend.textContent = `Line ${index + 1}`;
      }
      const remove = row.querySelector("[data-remove-line]");
      if (remove) {
        remove.value = String(index);
      }
    });
  };

  const parse = (value) => {
    const number = Number(String(value || "").replace(/,/g, ""));
    return Number.isFinite(number) ? number : NaN;
  };
  const format = (number) =>
    number.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  const recompute = () => {
    let sum = 0;
    let complete = true;
    rows().forEach((row) => {
      const quantity = parse(row.querySelector("[name$='-quantity']").value);
      const price = parse(row.querySelector("[name$='-unit_price']").value);
      const cell = row.querySelector("[data-line-total]");
      if (Number.isNaN(quantity) || Number.isNaN(price) || row.querySelector("[name$='-unit_price']").value === "") {
        cell.textContent = "";
        complete = false;
        return;
      }
      const total = Math.round(quantity * price * 100) / 100;
      cell.textContent = format(total);
      sum += total;
    });
    const grand = form.querySelector("[data-grand-total]");
    if (grand) {
      grand.textContent = rows().length && complete ? format(sum) : "—";
    }
  };

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-line]");
    const remove = event.target.closest("[data-remove-line]");
    if (add) {
      event.preventDefault();
      const last = rows()[rows().length - 1];
      const copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach((input) => {
        input.value = input.name.endsWith("-quantity") ? "1" : input.name.endsWith("-unit") ? "each" : "";
        input.classList.remove("is-invalid");
      });
      copy.querySelectorAll("select").forEach((select) => {
        select.value = "other";
      });
      copy.querySelectorAll(".invalid-feedback").forEach((el) => el.remove());
      container.appendChild(copy);
      renumber();
      recompute();
      copy.querySelector("input").focus();
    } else if (remove) {
      event.preventDefault();
      if (rows().length > 1) {
        remove.closest("[data-line-row]").remove();
        renumber();
        recompute();
      }
    }
  });
  form.addEventListener("input", recompute);
  recompute();
});
