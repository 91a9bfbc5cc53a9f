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
  // The chosen currency's decimals (JPY 0, USD 2, BHD 3), as the server rounds them.
  const places = () => {
    const select = form.querySelector("select[name='currency']");
    if (!select || !select.value) {
      return 2;
    }
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency: select.value })
        .resolvedOptions().maximumFractionDigits;
    } catch (error) {
      return 2;
    }
  };
  const format = (number, decimals) =>
    number.toLocaleString(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

  const recompute = () => {
    let sum = 0;
    let complete = true;
    const decimals = places();
    const unit = 10 ** decimals;
    rows().forEach((row) => {
      const quantity = parse(row.querySelector("[name$='-quantity']").value);
      const price = parse(row.querySelector("[name$='-unit_price']").value);
      const cell = row.querySelector("[data-line-total]");
      if (Number.isNaN(quantity) || Number.isNaN(price) || row.querySelector("[name$='-unit_price']").value === "") {
        cell.textContent = "";
        complete = false;
        return;
      }
      const total = Math.round(quantity * price * unit) / unit;
      cell.textContent = format(total, decimals);
      sum += total;
    });
    const grand = form.querySelector("[data-grand-total]");
    if (grand) {
      grand.textContent = rows().length && complete ? format(sum, decimals) : "—";
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
        // A catalogue line's price is fixed; the copy is a line of its own.
        if (input.readOnly) {
          input.readOnly = false;
          input.classList.replace("form-control-plaintext", "form-control");
        }
      });
      copy.querySelectorAll("[data-catalogue-note]").forEach((el) => el.remove());
      copy.querySelectorAll("select").forEach((select) => {
        select.value = "other";
      });
      copy.querySelectorAll(".invalid-feedback").forEach((el) => el.remove());
      container.appendChild(copy);
      renumber();
      recompute();
      copy.querySelector("input:not([type='hidden'])").focus();
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

// Tables on a narrow screen. A data table wider than its wrapper on a phone becomes a
// list of cards (.table-cards in app.css: a card per row, each cell labelled with its
// column's heading, which screen readers still read from the table itself). A table
// that still scrolls sideways (the comparison of quotes, a wide table on a tablet)
// gets a wrapper the keyboard can reach: a focusable region named after the table.
(() => {
  const phone = window.matchMedia("(max-width: 575.98px)");
  const keepsColumns = ".comparison-table, [data-cards='no']";

  // The region's name: the heading above the table, else its caption.
  const headingOf = (wrapper) => {
    for (let node = wrapper; node && node !== document.body; node = node.parentElement) {
      for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
        const heading = before.matches("h1, h2, h3, h4, h5, h6") ? before : before.querySelector("h1, h2, h3, h4, h5, h6");
        if (heading && heading.textContent.trim()) {
          return heading.textContent.trim();
        }
      }
    }
    const caption = wrapper.querySelector("caption");
    return caption && caption.textContent.trim() ? caption.textContent.trim() : "Table";
  };

  const labelCells = (table) => {
    const headings = Array.from(table.querySelectorAll("thead tr:last-child th")).flatMap((th) =>
      Array(th.colSpan || 1).fill(th.classList.contains("col-actions") ? "" : th.textContent.trim()),
    );
    table.querySelectorAll("tbody tr, tfoot tr").forEach((row) => {
      const cells = Array.from(row.cells);
      const filled = (cell) => cell.textContent.trim() || cell.querySelector("input, select, textarea, button, img, svg");
      // A footer's single figure reads with the row's own heading ("Subtotal $35.00").
      const labelled = row.parentElement.tagName !== "TFOOT" || cells.filter((c) => c.tagName === "TD" && filled(c)).length > 1;
      let column = 0;
      cells.forEach((cell) => {
        if (!filled(cell)) {
          cell.classList.add("card-empty");
        } else if (labelled && cell.colSpan === 1 && headings[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", headings[column]);
        }
        column += cell.colSpan || 1;
      });
    });
  };

  const fit = () => {
    document.querySelectorAll(".table-responsive").forEach((wrapper) => {
      const table = wrapper.querySelector(":scope > table.data-table");
      if (table) {
        table.classList.remove("table-cards");
        if (phone.matches && !table.matches(keepsColumns) && wrapper.scrollWidth > wrapper.clientWidth + 1) {
          labelCells(table);
          table.classList.add("table-cards");
        }
      }
      const scrolls = wrapper.scrollWidth > wrapper.clientWidth + 1;
      if (scrolls && !wrapper.hasAttribute("tabindex")) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.dataset.madeFocusable = "";
        if (!wrapper.hasAttribute("aria-label") && !wrapper.hasAttribute("aria-labelledby")) {
          wrapper.setAttribute("role", "region");
          wrapper.setAttribute("aria-label", `${headingOf(wrapper)} (scrolls sideways)`);
        }
      } else if (!scrolls && "madeFocusable" in wrapper.dataset) {
        ["tabindex", "role", "aria-label", "data-made-focusable"].forEach((name) => wrapper.removeAttribute(name));
      }
    });
  };

  let pending = 0;
  const later = () => {
    window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(fit);
  };
  document.addEventListener("DOMContentLoaded", fit);
  window.addEventListener("resize", later);
})();
