/* Public pages: quick exit, receipt safeguard, and small conveniences.
   Everything here is an enhancement: each page works without it. */
(function () {
  "use strict";

  var leaving = false;

  /* Quick exit: leave for a neutral site, replacing this page in the history, on a
     click, or on Shift pressed three times within five seconds (GOV.UK's "Exit this
     page" gesture). Never Esc, which people press to close autofill and date pickers,
     and never from inside a field, where Shift is typing. Without JavaScript it is
     still a plain link. */
  var exit = document.querySelector("[data-quick-exit]");
  function quickExit(event) {
    if (event) {
      event.preventDefault();
    }
    leaving = true;
    document.body.classList.add("leaving");
    window.location.replace(exit.href);
  }
  function inField(element) {
    return !!element && (element.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].indexOf(element.tagName) !== -1);
  }
  if (exit) {
    exit.addEventListener("click", quickExit);
    var shifts = 0;
    var timer = null;
    var resetShifts = function () {
      shifts = 0;
      if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
    };
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Shift") {
        resetShifts();  /* Shift with another key is typing, not the gesture */
      }
    });
    document.addEventListener("keyup", function (event) {
      if (event.key !== "Shift" || event.isComposing || inField(event.target)) {
        return;
      }
      shifts += 1;
      if (!timer) {
        timer = window.setTimeout(resetShifts, 5000);
      }
      if (shifts >= 3) {
        resetShifts();
        quickExit();
      }
    });
    var hint = document.querySelector("[data-quick-exit-hint]");
    if (hint) {
      hint.hidden = false;
    }
  }

  /* Receipt: ask before leaving until the person says the code is kept. */
  var receipt = document.querySelector("[data-receipt]");
  if (receipt) {
    var kept = receipt.querySelector("[data-receipt-kept]");
    var done = receipt.querySelector("[data-receipt-done]");
    window.addEventListener("beforeunload", function (event) {
      if (!leaving && !(kept && kept.checked)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    if (done) {
      done.addEventListener("submit", function () {
        leaving = true;
      });
    }
    var copy = receipt.querySelector("[data-copy-code]");
    var code = receipt.querySelector("[data-receipt-code]");
    if (copy && code && navigator.clipboard) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(code.textContent.trim()).then(function () {
          // A status region that is already on the page, filled anew at each copy, is
          // what screen readers announce (one that appears with its text is often not).
          var status = receipt.querySelector("[data-copied]");
          status.textContent = "";
          window.setTimeout(function () {
            status.textContent = status.getAttribute("data-copied");
          }, 50);
        });
      });
    }
  }

  /* Questions that only apply after some answer are hidden until then. */
  function checkedValue(name) {
    var checked = document.querySelector("input[name='" + name + "']:checked");
    return checked ? checked.value : "";
  }
  var dependents = document.querySelectorAll("[data-show-if]");
  function updateDependents() {
    dependents.forEach(function (element) {
      var values = element.getAttribute("data-show-values").split(" ");
      var hasErrors = element.querySelector(".is-invalid, .invalid-feedback");
      element.hidden = !hasErrors && values.indexOf(checkedValue(element.getAttribute("data-show-if"))) === -1;
    });
  }
  if (dependents.length) {
    document.addEventListener("change", updateDependents);
    updateDependents();
  }

  /* Content addresses: show one empty row at a time, with a button for the next. */
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-location-row]"));
  var addRow = document.querySelector("[data-add-location]");
  function isEmpty(row) {
    return Array.prototype.every.call(row.querySelectorAll("input, select"), function (input) {
      return !input.value;
    }) && !row.querySelector(".is-invalid");
  }
  if (rows.length && addRow) {
    var firstEmptyShown = false;
    rows.forEach(function (row) {
      if (isEmpty(row)) {
        row.hidden = firstEmptyShown;
        firstEmptyShown = true;
      }
    });
    function updateButton() {
      addRow.hidden = !rows.some(function (row) { return row.hidden; });
    }
    addRow.addEventListener("click", function () {
      var next = rows.filter(function (row) { return row.hidden; })[0];
      if (next) {
        next.hidden = false;
        var input = next.querySelector("select, input");
        if (input) {
          input.focus();
        }
      }
      updateButton();
    });
    updateButton();
  }

  // The copy of a report: a button that opens the browser's print dialog (print, or
  // save as PDF). Without this script the browser's own Print does the same.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

})();
