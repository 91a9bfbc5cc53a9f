// The running total of a quote form (templates/sourcing/_quote_fields.html), updated
// while prices, shipping and tax are typed, in the currency chosen on the form. The
// server computes the same total and shows it with every answer, so the page works
// without this script and the stored quote's total is always the server's.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-quote-lines]").forEach((table) => {
    const form = table.closest("form");
    const output = form.querySelector("[data-quote-total]");
    if (!output) {
      return;
    }
    const note = form.querySelector("[data-quote-total-note]");
    const select = form.querySelector("select[name='currency']");
    const locale = document.documentElement.lang || undefined;
    let currency = output.dataset.currency;
    // How many decimals the currency has (JPY 0, USD 2, BHD 3), as the server's Babel says.
    const places = () =>
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits;
    const format = (units) => {
      const digits = places();
      return (units / 10 ** digits).toLocaleString(locale, {
        style: "currency",
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    };
    // A sum of money in the currency's minor units, or null: digits with at most as
    // many decimals as the currency has.
    const minorUnits = (value) => {
      const text = String(value || "").trim().replace(/,/g, "");
      if (text === "") {
        return 0;
      }
      const digits = places();
      const pattern = digits ? new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`) : /^\d+$/;
      if (!pattern.test(text)) {
        return null;
      }
      const [whole, fraction = ""] = text.split(".");
      return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || 0);
    };

    const recompute = () => {
      if (select && select.value) {
        currency = select.value;
        output.dataset.currency = currency;
        // "Unit price (EUR)", "Total (EUR)": each label names the chosen currency.
        form.querySelectorAll("[data-quote-currency]").forEach((label) => {
          label.textContent = `${label.dataset.quoteCurrency} (${currency})`;
        });
      }
      let total = 0;
      let complete = true;
      table.querySelectorAll("tbody tr[data-quantity]").forEach((row) => {
        const input = row.querySelector("[name$='-unit_price']");
        const cell = row.querySelector("[data-line-total]");
        const price = input.value.trim() === "" ? null : minorUnits(input.value);
        if (price === null) {
          cell.textContent = "—";
          complete = false;
          return;
        }
        // Half up to the minor unit, as the server rounds each line.
        const line = Math.round(Number(row.dataset.quantity) * price);
        cell.textContent = format(line);
        total += line;
      });
      for (const name of ["shipping", "tax"]) {
        const field = form.querySelector(`[name='${name}']`);
        const value = field ? minorUnits(field.value) : 0;
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
    form.addEventListener("change", recompute);
  });
});
