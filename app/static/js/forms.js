/* Form widgets of every screen, in the page's language (<html lang>).
 *
 * - Date-time fields (input[data-datetime]): a plain text box that takes a
 *   typed "YYYY-MM-DD HH:MM", with a calendar and clock picker to the minute.
 *   What the box shows is exactly what the server reads.
 * - select2 pickers: their own texts in Chinese; an empty picker shows its
 *   placeholder ("请选择"), never the blank option's value.
 * - Pickers over big tables (select[data-pick="/pick/<kind>"]): select2
 *   asking the server for rows matching what is typed (app/ui/pickers.py);
 *   in a list's filter row the chosen row's name is fetched by its id.
 * - A select with data-follows="<other select>" and data-choices='{"a": [..]}'
 *   offers only the choices that go with the other select's value (the
 *   severities of the chosen case kind).
 */
(function () {
  "use strict";

  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;

  var SELECT2_ZH = {
    errorLoading: function () { return "无法载入结果。"; },
    inputTooLong: function (args) {
      return "请删除" + (args.input.length - args.maximum) + "个字符";
    },
    inputTooShort: function (args) {
      return "请再输入至少" + (args.minimum - args.input.length) + "个字符";
    },
    loadingMore: function () { return "载入更多结果…"; },
    maximumSelected: function (args) { return "最多只能选择" + args.maximum + "个项目"; },
    noResults: function () { return "未找到结果"; },
    searching: function () { return "搜索中…"; },
    removeAllItems: function () { return "清除"; },
    removeItem: function () { return "删除"; }
  };

  // Before FAB's ab.js builds its pickers (on DOM ready).
  if (window.jQuery && jQuery.fn.select2 && zh) {
    jQuery.fn.select2.defaults.set("language", SELECT2_ZH);
  }

  function dateTimePickers(root) {
    if (typeof flatpickr === "undefined") {
      return;
    }
    root.querySelectorAll("input[data-datetime]").forEach(function (input) {
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
          zh ? flatpickr.l10ns.zh : flatpickr.l10ns.default,
          {firstDayOfWeek: 1}
        )
      });
    });
  }

  function blankPlaceholders() {
    if (!window.jQuery || !jQuery.fn.select2) {
      return;
    }
    jQuery("select.my_select2").each(function () {
      var select = jQuery(this);
      if (!select.find("option[value='__None']").length) {
        return;
      }
      select.select2({
        theme: "bootstrap",
        allowClear: true,
        placeholder: {id: "__None", text: select.data("placeholder") || ""}
      });
    });
  }

  function searchPickers() {
    if (!window.jQuery || !jQuery.fn.select2) {
      return;
    }
    jQuery("select[data-pick]").each(function () {
      var select = jQuery(this);
      if (select.data("select2")) {
        return;
      }
      var url = select.attr("data-pick");
      var glue = url.indexOf("?") >= 0 ? "&" : "?";
      select.select2({
        theme: "bootstrap",
        allowClear: true,
        width: "100%",
        placeholder: {id: "__None", text: select.attr("data-placeholder") || ""},
        ajax: {
          url: url,
          dataType: "json",
          delay: 250,
          data: function (params) {
            return {q: params.term || "", page: params.page || 1};
          },
          processResults: function (data) {
            return data;
          }
        }
      });
      // A list filter applied earlier: its value is in the address only.
      var name = select.attr("name") || "";
      if (name.indexOf("_flt_") === 0 && !select.val()) {
        var value = new URLSearchParams(window.location.search).get(name);
        if (value) {
          jQuery.getJSON(url + glue + "id=" + encodeURIComponent(value), function (data) {
            (data.results || []).forEach(function (row) {
              select.append(new Option(row.text, row.id, true, true)).trigger("change");
            });
          });
        }
      }
    });
  }

  function followingChoices(root) {
    root.querySelectorAll("select[data-follows]").forEach(function (select) {
      var leader = select.form && select.form.elements[select.getAttribute("data-follows")];
      var choices = JSON.parse(select.getAttribute("data-choices") || "{}");
      if (!leader) {
        return;
      }
      var all = Array.prototype.slice.call(select.options).map(function (option) {
        return option.cloneNode(true);
      });
      function follow() {
        var allowed = choices[leader.value];
        var current = select.value;
        select.innerHTML = "";
        all.forEach(function (option) {
          if (!allowed || !option.value || allowed.indexOf(option.value) >= 0) {
            select.appendChild(option.cloneNode(true));
          }
        });
        var kept = Array.prototype.some.call(select.options, function (option) {
          return option.value === current;
        });
        select.value = kept ? current : (select.options[0] || {}).value;
      }
      leader.addEventListener("change", follow);
      follow();
    });
  }

  // FAB's own alerts (ab_actions.js) in the page's language.
  var ALERTS_ZH = {"No row selected": "请先勾选记录"};
  if (zh && typeof window.ab_alert === "function") {
    var abAlert = window.ab_alert;
    window.ab_alert = function (text) {
      abAlert(ALERTS_ZH[text] || text);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    dateTimePickers(document);
    followingChoices(document);
  });
  if (window.jQuery) {
    // After FAB's own picker set-up (ab.js registers its handler first).
    jQuery(blankPlaceholders);
    jQuery(searchPickers);
    // A filter added to a list's search form brings its picker along.
    jQuery(document).on("click", "a.filter", function () {
      window.setTimeout(searchPickers, 0);
    });
  }
})();
