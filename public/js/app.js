// Slotwise: the little JavaScript the pages use. Every page works without it.
(function () {
  'use strict';

  // htmx requests carry the session's CSRF token in a header (src/http/csrf.ts).
  document.addEventListener('htmx:config:request', function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var ctx = event.detail && event.detail.ctx;
    if (meta && ctx && ctx.request && ctx.request.headers) {
      ctx.request.headers['X-CSRF-Token'] = meta.getAttribute('content');
    }
  });

  // Pre-select the browser's own time zone where a form asks for it.
  function detectTimeZones() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    document.querySelectorAll('select[data-detect-timezone]').forEach(function (select) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) {
          select.value = zone;
          break;
        }
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', detectTimeZones);
  else detectTimeZones();
})();

// Booking pages: show times in the visitor's own zone. Without a zone in the
// URL the server uses the business's; with JavaScript we switch once to the
// browser's, and the zone select submits itself when changed.
(function () {
  'use strict';
  function setup() {
    var picker = document.querySelector('[data-tz-auto]');
    if (picker) {
      var zone;
      try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      } catch (e) {
        zone = null;
      }
      var select = picker.querySelector('select[name="tz"]');
      if (zone && select && select.value !== zone && select.querySelector('option[value="' + zone.replace(/"/g, '') + '"]')) {
        var url = new URL(window.location.href);
        url.searchParams.set('tz', zone);
        window.location.replace(url.toString());
        return;
      }
    }
  }
  document.addEventListener('change', function (event) {
    var target = event.target;
    if (target && target.matches && target.matches('form[data-autosubmit] select')) target.form.submit();
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
  else setup();
})();

// The day strip as one tab stop (roving focus): Tab reaches the chosen day,
// the arrow keys (and Home/End) move between days, and the next Tab goes on
// towards the times. Without JavaScript every day is its own tab stop.
(function () {
  'use strict';
  var KEYS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1 };
  function days(strip) {
    return Array.prototype.slice.call(strip.querySelectorAll('.day'));
  }
  function setup(root) {
    (root || document).querySelectorAll('.day-strip__days').forEach(function (strip) {
      var all = days(strip);
      var current = strip.querySelector('.day--selected') || all[0];
      all.forEach(function (d) { d.setAttribute('tabindex', d === current ? '0' : '-1'); });
    });
  }
  document.addEventListener('keydown', function (event) {
    var day = event.target && event.target.closest ? event.target.closest('.day-strip__days .day') : null;
    if (!day) return;
    var all = days(day.closest('.day-strip__days'));
    var i = all.indexOf(day);
    var next = event.key === 'Home' ? 0 : event.key === 'End' ? all.length - 1 : KEYS[event.key] !== undefined ? i + KEYS[event.key] : -1;
    if (next < 0 || next >= all.length) return;
    event.preventDefault();
    all.forEach(function (d) { d.setAttribute('tabindex', '-1'); });
    all[next].setAttribute('tabindex', '0');
    all[next].focus();
  });
  // htmx replaces the picker when a day is chosen (outerHTML: its own swap
  // events then fire on detached elements): watch for the new strip, and keep
  // the keyboard on the chosen day.
  var hadFocus = false;
  document.addEventListener('htmx:before:swap', function () {
    var a = document.activeElement;
    hadFocus = !!(a && a.closest && a.closest('.day-strip'));
  });
  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      for (var r = 0; r < records.length; r++) {
        for (var n = 0; n < records[r].addedNodes.length; n++) {
          var node = records[r].addedNodes[n];
          if (node.nodeType === 1 && (node.matches('.day-strip, #picker') || node.querySelector('.day-strip'))) {
            setup(document);
            var chosen = document.querySelector('.day-strip .day--selected');
            if (hadFocus && chosen) chosen.focus();
            hadFocus = false;
            return;
          }
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { setup(document); });
  else setup(document);
})();
