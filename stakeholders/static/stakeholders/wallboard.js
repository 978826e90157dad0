// The wallboard stays alive: every few seconds it asks the server for its figures (same scope
// as the page) and swaps them in place, without reloading. A failed poll leaves the last
// figures up and marks them as not updating.
(function () {
  var box = document.getElementById("wall-live");
  if (!box) return;
  var every = (parseFloat(box.dataset.every) || 3) * 1000;
  var busy = false;
  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(box.dataset.live, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        box.innerHTML = data.html;
        box.classList.toggle("is-stale", !!data.stale);
        box.classList.remove("is-offline");
      })
      .catch(function () { box.classList.add("is-offline"); })
      .then(function () { busy = false; });
  }
  setInterval(poll, every);
})();
