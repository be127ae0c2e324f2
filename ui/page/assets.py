"""The page's style sheet and script, handed to Gradio at launch."""

CSS = """
#sources-panel, #briefing-passages { max-height: 60vh; overflow-y: auto; }
.source-focus { background: var(--color-accent-soft); outline: 2px solid var(--color-accent); border-radius: 4px; }
#index-status p { margin: 0; }
@media (max-width: 700px) {  /* a phone: the sources and articles go below the chat */
  #main-row, #briefing-row { flex-direction: column; }
  #main-row > *, #briefing-row > * { min-width: 0 !important; width: 100%; }
}
"""
# Enter sends (the textbox's own behaviour); Esc stops the answer being written. A click on an answer's [n]
# opens the "Sources" under that answer and shows passage n, the words that back the answer in bold; a click on a
# briefing's [n] shows its sentence in the passages panel beside the stories.
PAGE_JS = """
() => {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const stop = document.querySelector("#question button.stop-button, button.stop-button");
    if (stop) { event.preventDefault(); stop.click(); }
  });
  const passageIn = (root, n) => root && [...root.querySelectorAll("strong")]
    .find((s) => s.textContent.startsWith(`[${n}] `));
  const focus = (heading) => {
    document.querySelectorAll(".source-focus").forEach((e) => e.classList.remove("source-focus"));
    const block = heading.closest("p") || heading;
    const next = block.nextElementSibling;  // the quoted passage, after an "Also reported by" line if any
    const quote = [next, next && next.nextElementSibling].find((e) => e && e.tagName === "BLOCKQUOTE");
    [block, quote].forEach((e) => e && e.classList.add("source-focus"));
    block.scrollIntoView({ block: "start", behavior: "smooth" });
  };
  document.addEventListener("click", (event) => {  // a briefing's [n]: its passage in the passages panel
    const link = event.target.closest && event.target.closest('a[href^="#brief-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const [story, n] = link.getAttribute("href").slice("#brief-".length).split("-");
    const found = [...document.querySelectorAll("#briefing-passages strong")]
      .find((s) => s.textContent.startsWith(`Story ${story} · [${n}] `));
    if (found) focus(found);
  }, true);
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#source-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const n = link.getAttribute("href").slice("#source-".length);
    const group = [...document.querySelectorAll(".thought-group")].find((g) =>  // the first after the link
      /Sources \\(\\d+\\)/.test(g.textContent) && (link.compareDocumentPosition(g) & Node.DOCUMENT_POSITION_FOLLOWING));
    const found = passageIn(group, n);
    if (found && found.offsetParent !== null) return focus(found);
    if (group) {
      group.querySelector(".title")?.click();
      return setTimeout(() => { const opened = passageIn(group, n); if (opened) focus(opened); }, 400);
    }
    const inPanel = passageIn(document.querySelector("#sources-panel"), n);
    if (inPanel) focus(inPanel);
  }, true);
}
"""
