// Agent desk: keep the open page current. The ticket page reloads when the conversation has new
// events (unless the agent is typing); the queue reloads every 15 s. No data is rendered here.
(() => {
  "use strict";
  const transcript = document.getElementById("transcript");
  const busy = () => {
    const typed = ["reply-text", "resolution"].some((id) => { const box = document.getElementById(id); return box && box.value.trim() !== ""; });
    const active = document.activeElement;
    return typed || (active && active.tagName === "SELECT");
  };
  if (transcript) {
    const url = "/desk/api/tickets/" + encodeURIComponent(transcript.dataset.ticket) + "?fields=state";
    const known = Number(transcript.dataset.events);
    setInterval(async () => {
      if (busy()) return;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.status === 401) { location.assign("/desk/login"); return; }
        if (!response.ok) return;
        const state = await response.json();
        if (state.events !== known) location.reload();
      } catch (e) { /* offline for a moment: try again on the next tick */ }
    }, 3000);
  } else if (document.getElementById("general-queue")) {
    setInterval(() => { if (!busy()) location.reload(); }, 15000);
  }
})();
