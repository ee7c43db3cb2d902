// agentctl demo app: when the page request carried no token (header or cookie), look for one
// in this origin's browser storage and ask the app who it names. Loaded with script-src 'self'.
(() => {
  "use strict";
  const body = document.body;
  if (body.dataset.state !== "pending") return;
  const params = new URLSearchParams(window.location.search);
  const key = params.get("key") || "access_token";
  const field = params.get("field") || "access_token";
  const show = (id, text) => { document.getElementById(id).textContent = text || ""; };

  // A raw token, a JSON object holding one, or (MSAL.js) an AccessToken cache entry.
  const tokenIn = (value) => {
    if (!value) return null;
    if (value.trim().startsWith("{")) {
      try {
        const entry = JSON.parse(value);
        if (entry.credentialType === "AccessToken" && typeof entry.secret === "string") return entry.secret;
        if (typeof entry[field] === "string") return entry[field];
      } catch (_) { return null; }
      return null;
    }
    return value.trim();
  };
  const find = () => {
    for (const [area, store] of [["localStorage", window.localStorage], ["sessionStorage", window.sessionStorage]]) {
      const token = tokenIn(store.getItem(key));
      if (token) return [area, token];
    }
    for (const [area, store] of [["sessionStorage", window.sessionStorage], ["localStorage", window.localStorage]]) {
      for (let i = 0; i < store.length; i += 1) {
        const name = store.key(i);
        if (name && name.includes("-accesstoken-")) {
          const token = tokenIn(store.getItem(name));
          if (token) return [area + " (MSAL cache)", token];
        }
      }
    }
    return null;
  };
  const finish = (state, text) => {
    const status = document.getElementById("status");
    status.className = "message " + state;
    status.textContent = text;
    body.dataset.state = state;
  };

  const found = find();
  if (!found) {
    finish("anonymous", "Not signed in: no token in the request, its cookies or this origin's storage.");
    return;
  }
  const [via, token] = found;
  show("via", via);
  fetch(body.dataset.whoami, { headers: { Authorization: "Bearer " + token }, credentials: "omit", cache: "no-store" })
    .then((r) => r.json())
    .then((seen) => {
      if (seen.ok) {
        show("mode", seen.mode);
        show("subject", seen.subject);
        show("actor", seen.actor ? seen.actor.name : "");
        show("client", seen.client ? seen.client.name : "");
        show("audit", seen.audit);
        document.title = "agentctl demo app: " + seen.audit;
        finish("signed-in", "Signed in: " + seen.audit);
      } else {
        show("error", seen.error_description);
        document.title = "agentctl demo app: refused";
        finish("refused", "Refused: " + seen.error_description);
      }
    })
    .catch((err) => { show("error", String(err)); finish("refused", "Refused: " + String(err)); });
})();
