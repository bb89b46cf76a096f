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
