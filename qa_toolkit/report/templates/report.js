// Seek the call's audio when a timed element is clicked; sort tables by a header click.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-start]") : null;
    if (target) {
      // A call recorded as two files has a player per side, aligned in time: move both.
      var at = parseFloat(target.getAttribute("data-start"));
      document.querySelectorAll("audio").forEach(function (player) {
        if (isNaN(at)) { return; }
        player.currentTime = at;
        player.play().catch(function () {});
      });
      var utt = target.getAttribute("data-utt");
      var row = utt ? document.getElementById("u-" + utt) : null;
      if (row) { row.scrollIntoView({block: "center"}); }
      return;
    }
    var head = event.target.closest ? event.target.closest("th[data-sort]") : null;
    if (!head) { return; }
    var table = head.closest("table");
    var index = Array.prototype.indexOf.call(head.parentNode.children, head);
    var numeric = head.getAttribute("data-sort") === "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var down = head.getAttribute("data-dir") !== "down";
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-value") || a.cells[index].textContent;
      var y = b.cells[index].getAttribute("data-value") || b.cells[index].textContent;
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return down ? -order : order;
    });
    head.setAttribute("data-dir", down ? "down" : "up");
    rows.forEach(function (r) { body.appendChild(r); });
  });
})();
