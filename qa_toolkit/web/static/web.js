// Clicking a timed element seeks every player; during playback the utterance being said is marked.
(function () {
  var players = Array.prototype.slice.call(document.querySelectorAll("audio"));
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.player-time") : null;
    if (button) {
      // Fill the form's time field with where the recording is now (mm:ss).
      var field = button.form ? button.form.querySelector("input.clock") : null;
      var now = players.length ? players[0].currentTime : 0;
      if (field) {
        var m = Math.floor(now / 60), s = Math.floor(now % 60);
        field.value = m + ":" + (s < 10 ? "0" : "") + s;
      }
      return;
    }
    var target = event.target.closest ? event.target.closest("[data-start]") : null;
    if (!target) { return; }
    var at = parseFloat(target.getAttribute("data-start"));
    if (isNaN(at)) { return; }
    event.preventDefault();
    // Two-file calls have a player per side, aligned in time: move both.
    players.forEach(function (p) { p.currentTime = at; p.play().catch(function () {}); });
    var utt = target.getAttribute("data-utt");
    var row = utt ? document.getElementById("u-" + utt) : null;
    if (row) { row.scrollIntoView({block: "center"}); }
  });
  var lines = Array.prototype.slice.call(document.querySelectorAll(".utt[data-start]"));
  players.forEach(function (p) {
    p.addEventListener("timeupdate", function () {
      var now = p.currentTime;
      lines.forEach(function (u) {
        var on = now >= parseFloat(u.dataset.start) && now < parseFloat(u.dataset.end);
        u.classList.toggle("playing", on);
      });
    });
  });
})();
