// "Compare now": send the form as JSON (the server's body check accepts only JSON on POST)
// and put the server-rendered, escaped result fragment in place. No framework, no build.
"use strict";
(function () {
  const form = document.querySelector("form.compare");
  const output = document.getElementById("compare-output");
  if (!form || !output) return;
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
