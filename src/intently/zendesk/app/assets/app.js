/* The Zendesk app: asks intently about the open ticket with the token kept in the app's secure settings. */
(function () {
  "use strict";
  var client = window.ZAFClient.init();
  var root = document.getElementById("panel");

  var base = null;

  /* The server address is a plain setting (read here); the token a secure one, which only Zendesk's proxy
   * fills in, so the browser never sees it. */
  function server() {
    if (base) { return Promise.resolve(base); }
    return client.metadata().then(function (metadata) {
      base = String((metadata.settings || {}).intently_url || "").replace(/\/+$/, "");
      return base;
    });
  }

  function api(path, method, body) {
    return server().then(function (url) {
      return request(url + path, method, body);
    });
  }

  function request(url, method, body) {
    return client.request({
      url: url,
      type: method,
      contentType: "application/json",
      headers: { Authorization: "Bearer {{setting.intently_token}}" },
      data: body ? JSON.stringify(body) : undefined,
      secure: true,
      cors: false
    });
  }

  function load() {
    client.get(["ticket.id", "currentUser.id"]).then(function (data) {
      var ticketId = data["ticket.id"];
      var agentId = data["currentUser.id"];
      return Promise.all([
        api("/api/tickets/" + encodeURIComponent(ticketId) + "/judgements?agent_id=" + encodeURIComponent(agentId), "GET"),
        api("/api/check-reply", "POST", { ticket_id: ticketId, agent_id: agentId, public: true }),
        api("/api/check-reply", "POST", { ticket_id: ticketId, agent_id: agentId, public: false })
      ]);
    }).then(function (answers) {
      window.IntentlyPanel.render(root, { ticket: answers[0], public: answers[1], internal: answers[2] });
      client.invoke("resize", { width: "100%", height: document.body.scrollHeight + 20 + "px" });
    }).catch(function (error) {
      var status = error && error.status;
      var message = status === 404 ? "intently does not know this ticket yet (it appears after the next sync or webhook)."
        : status === 401 ? "intently refused the app's token: check the token in the app's settings."
        : "intently could not be reached. Check the server address in the app's settings.";
      window.IntentlyPanel.renderError(root, message);
    });
  }

  client.on("app.registered", load);
  client.on("ticket.updated", load);
  client.on("ticket.assignee.user.id.changed", load);
})();
