/* Form widgets of every screen.
 *
 * Date-time fields (input[data-datetime]): a plain text box that takes a
 * typed "YYYY-MM-DD HH:MM", with a calendar and clock picker to the minute in
 * the page's language. What the box shows is exactly what the server reads.
 */
(function () {
  "use strict";

  function dateTimePickers(root) {
    if (typeof flatpickr === "undefined") {
      return;
    }
    root.querySelectorAll("input[data-datetime]").forEach(function (input) {
      var lang = input.getAttribute("data-locale") || "zh";
      flatpickr(input, {
        enableTime: true,
        time_24hr: true,
        allowInput: true,
        minuteIncrement: 1,
        dateFormat: "Y-m-d H:i",
        disableMobile: true,
        // Weeks start on Monday, as on a Chinese calendar.
        locale: Object.assign(
          {},
          lang.indexOf("zh") === 0 ? flatpickr.l10ns.zh : flatpickr.l10ns.default,
          {firstDayOfWeek: 1}
        )
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    dateTimePickers(document);
  });
})();
