// The running total of a quote form (templates/sourcing/_quote_fields.html), updated
// while prices, shipping and tax are typed. The server computes the same total and
// shows it with every answer, so the page works without this script and the stored
// quote's total is always the server's.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-quote-lines]").forEach((table) => {
    const form = table.closest("form");
    const output = form.querySelector("[data-quote-total]");
    if (!output) {
      return;
    }
    const note = form.querySelector("[data-quote-total-note]");
    const currency = output.dataset.currency;
    const locale = document.documentElement.lang || undefined;
    const format = (cents) =>
      (cents / 100).toLocaleString(locale, { style: "currency", currency });
    // A sum of money in cents, or null: digits with at most two decimals.
    const cents = (value) => {
      const text = String(value || "").trim().replace(/,/g, "");
      if (text === "") {
        return 0;
      }
      if (!/^\d+(\.\d{1,2})?$/.test(text)) {
        return null;
      }
      const [whole, fraction = ""] = text.split(".");
      return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
    };

    const recompute = () => {
      let total = 0;
      let complete = true;
      table.querySelectorAll("tbody tr[data-quantity]").forEach((row) => {
        const input = row.querySelector("[name$='-unit_price']");
        const cell = row.querySelector("[data-line-total]");
        const price = input.value.trim() === "" ? null : cents(input.value);
        if (price === null) {
          cell.textContent = "—";
          complete = false;
          return;
        }
        // Half up to the cent, as the server rounds each line.
        const line = Math.round(Number(row.dataset.quantity) * price);
        cell.textContent = format(line);
        total += line;
      });
      for (const name of ["shipping", "tax"]) {
        const field = form.querySelector(`[name='${name}']`);
        const value = field ? cents(field.value) : 0;
        if (value === null) {
          complete = false;
        } else {
          total += value;
        }
      }
      output.textContent = format(total);
      if (note) {
        note.hidden = complete;
      }
    };
    form.addEventListener("input", recompute);
  });
});
