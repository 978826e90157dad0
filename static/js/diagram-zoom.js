// Pathway maps fit the page: they open scaled to the card's width; "+"/"−" zoom, "Fit" and
// "Actual size" reset, and a zoomed map pans by dragging (or by scrolling its box).
(function () {
  "use strict";
  document.querySelectorAll(".diagram-wrap").forEach(function (wrap) {
    var svg = wrap.querySelector("svg.pathway-diagram");
    if (!svg) return;
    var natural = svg.viewBox.baseVal.width;
    var scale = null; // null: fit the box

    function apply() {
      if (scale === null) {
        svg.style.width = "100%";
        svg.style.maxWidth = natural + "px";
        svg.style.minWidth = "0";
        wrap.classList.remove("zoomed");
      } else {
        svg.style.width = Math.round(natural * scale) + "px";
        svg.style.maxWidth = "none";
        svg.style.minWidth = "0";
        wrap.classList.add("zoomed");
      }
      label.textContent = scale === null ? "fitted" : Math.round(scale * 100) + " %";
    }
    function current() { return scale === null ? svg.getBoundingClientRect().width / natural : scale; }
    function zoom(factor) { scale = Math.min(3, Math.max(0.2, current() * factor)); apply(); }

    var bar = document.createElement("div");
    bar.className = "diagram-tools";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Map zoom");
    [["Fit", function () { scale = null; apply(); }],
     ["−", function () { zoom(1 / 1.25); }],
     ["+", function () { zoom(1.25); }],
     ["Actual size", function () { scale = 1; apply(); }]].forEach(function (spec) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = spec[0];
      b.addEventListener("click", spec[1]);
      bar.appendChild(b);
    });
    var label = document.createElement("span");
    label.className = "muted";
    bar.appendChild(label);
    wrap.parentNode.insertBefore(bar, wrap);

    var drag = null;
    wrap.addEventListener("mousedown", function (e) {
      if (!wrap.classList.contains("zoomed")) return;
      drag = {x: e.clientX, y: e.clientY, left: wrap.scrollLeft, top: wrap.scrollTop};
      e.preventDefault();
    });
    window.addEventListener("mousemove", function (e) {
      if (!drag) return;
      wrap.scrollLeft = drag.left - (e.clientX - drag.x);
      wrap.scrollTop = drag.top - (e.clientY - drag.y);
    });
    window.addEventListener("mouseup", function () { drag = null; });
    apply();
  });
})();
