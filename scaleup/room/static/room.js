// Live updates, by polling: a participant's page reloads when the inject, lock or reveal changes
// (not while a reflection is being typed); the facilitator's live counts are replaced in place.
(function () {
  var body = document.body, poll = body.dataset.poll, live = body.dataset.live, busy = false, leaving = false;
  if (!poll && !live) return;
  // a submitted form (an answer, Lock, End...) is navigating away: a reload now would cancel it
  document.addEventListener('submit', function () { leaving = true; });
  window.addEventListener('pagehide', function () { leaving = true; });
  window.addEventListener('pageshow', function () { leaving = false; });
  function typing() {
    var t = document.activeElement;
    return t && t.tagName === 'TEXTAREA' && t.value !== t.defaultValue;
  }
  function tick() {
    if (busy || leaving) return;
    busy = true;
    fetch(live || poll, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {
      return r.ok ? (live ? r.text() : r.json()) : null;
    }).then(function (data) {
      busy = false;
      if (!data || leaving) return;
      if (!live) { if (data.stage !== body.dataset.stage && !typing()) location.reload(); return; }
      var box = document.getElementById('live'), holder = document.createElement('div');
      holder.innerHTML = data;
      var fresh = holder.firstElementChild;
      if (fresh.dataset.stage !== body.dataset.stage) location.reload();
      else if (fresh.dataset.changes !== box.dataset.changes) box.replaceWith(fresh);
    }).catch(function () { busy = false; });
  }
  setInterval(tick, 1500);
})();
