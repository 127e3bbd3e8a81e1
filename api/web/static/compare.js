// "Compare now": send the form as JSON (the server's body check accepts only JSON on POST)
// and put the server-rendered, escaped result fragment in place. No framework, no build.
"use strict";
(function () {
  const form = document.querySelector("form.compare");
  const output = document.getElementById("compare-output");
  if (!form || !output) return;
  const files = document.getElementById("files");
  const box = document.getElementById("reports");
  if (files && box) {
    // Files are read here and put in the box, so upload needs no multipart parsing on the
    // server: JSON Lines as they are; text or HTML pages joined by the "---" separator.
    files.addEventListener("change", async function () {
      const chosen = Array.from(files.files || []);
      if (!chosen.length) return;
      const texts = await Promise.all(chosen.map(function (f) { return f.text(); }));
      const names = chosen.map(function (f) { return f.name.toLowerCase(); });
      let format = "text";
      if (names.every(function (n) { return n.endsWith(".jsonl") || n.endsWith(".json"); })) {
        format = "jsonl";
      } else if (names.every(function (n) { return n.endsWith(".html") || n.endsWith(".htm"); })) {
        format = "html";
      }
      box.value = format === "jsonl" ? texts.join("\n") : texts.join("\n---\n");
      const radio = document.getElementById("format-" + format);
      if (radio) radio.checked = true;
    });
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const button = event.submitter || form.querySelector("button[type=submit]");
    const target = button.getAttribute("formaction") || form.action;
    const data = new FormData(form);
    button.disabled = true;
    output.setAttribute("aria-busy", "true");
    output.innerHTML = '<p class="hint">Comparing…</p>';
    try {
      const response = await fetch(target, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Fragment": "1", "Accept": "text/html" },
        body: JSON.stringify({
          format: data.get("format"), reports: data.get("reports"), key: data.get("key") || "",
        }),
      });
      const type = response.headers.get("content-type") || "";
      if (type.startsWith("text/html")) {
        output.innerHTML = await response.text();  // rendered and escaped by the server
      } else {
        const body = await response.json().catch(function () { return {}; });
        const detail = (body.detail && body.detail[0]) || { type: "error", msg: response.statusText };
        const p = document.createElement("p");
        p.className = "error";
        p.setAttribute("role", "alert");
        p.textContent = detail.type + ": " + detail.msg;
        output.replaceChildren(p);
      }
    } catch (error) {
      const p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = "The server could not be reached: " + error;
      output.replaceChildren(p);
    } finally {
      button.disabled = false;
      output.removeAttribute("aria-busy");
    }
  });
})();
