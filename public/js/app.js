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
