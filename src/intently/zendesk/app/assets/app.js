/* The Zendesk app: asks intently about the open ticket with the token kept in the app's secure settings. */
(function () {
  "use strict";
  var client = window.ZAFClient.init();
  var root = document.getElementById("panel");

  var base = null;
  var built = window.IntentlyBuild || {};

  /* The server address is a plain setting (read here); the token a secure one, which only Zendesk's proxy
   * fills in, so the browser never sees it. Zendesk lets the app reach only the host it was built for (the
   * manifest's domainWhitelist): a setting naming another host is refused here, saying exactly that. */
  function server() {
    if (base) { return Promise.resolve(base); }
    return client.metadata().then(function (metadata) {
      var setting = String((metadata.settings || {}).intently_url || "").replace(/\/+$/, "");
      var host = "";
      try { host = new URL(setting).hostname; } catch (e) { host = ""; }
      if (built.host && host !== built.host) {
        return Promise.reject({ mismatch: true, setting: setting, host: host });
      }
      base = setting;
      return base;
    });
  }

  function mismatchMessage(error) {
    var said = error.setting ? "is " + error.setting : "is empty";
    return "The server address in the app's settings " + said + ", but this app was built for " + built.url +
      ": Zendesk lets it reach " + built.host + " only. Set the server address to " + built.url +
      ", or build the app again with intently zendesk-app build --url " + (error.setting || "ADDRESS") +
      " and upload it.";
  }

  /* The panel's one-click actions, through the Apps framework: they change the ticket being edited (the agent
   * still saves it), never the ticket in Zendesk directly. */
  var handlers = {
    add_tag: function (action) { return client.invoke("ticket.tags.add", action.tag); },
    internal_note: function (action) {
      return client.set("comment.type", "internalNote").then(function () {
        return client.invoke("comment.appendText", action.text);
      });
    },
    /* Zendesk assigns an agent within a group: the ticket's group is kept when it has one. */
    take_ticket: function (action) {
      return client.get("ticket.assignee").then(function (data) {
        var group = ((data || {})["ticket.assignee"] || {}).group;
        var value = { userId: action.assignee_id };
        if (group && group.id) { value.groupId = group.id; }
        return client.set("ticket.assignee", value);
      });
    }
  };

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
      window.IntentlyPanel.render(root, { ticket: answers[0], public: answers[1], internal: answers[2] }, handlers);
      client.invoke("resize", { width: "100%", height: document.body.scrollHeight + 20 + "px" });
    }).catch(function (error) {
      var status = error && error.status;
      var message = error && error.mismatch ? mismatchMessage(error)
        : status === 404 ? "intently does not know this ticket yet (it appears after the next sync or webhook)."
        : status === 401 ? "intently refused the app's token: check the token in the app's settings."
        : "intently could not be reached. Check the server address in the app's settings.";
      window.IntentlyPanel.renderError(root, message);
    });
  }

  client.on("app.registered", load);
  client.on("ticket.updated", load);
  client.on("ticket.assignee.user.id.changed", load);
})();
