/* The intently panel: renders what intently says about a ticket. Shared by the Zendesk app (app.js)
 * and the standalone page /sidebar. Every value from the server is inserted as text, never as HTML. */
(function (global) {
  "use strict";

  var VERDICTS = {
    assignee: "the assignee's own work",
    ownership_change: "taking the ticket",
    intentional: "intentional collaboration",
    drive_by: "a drive-by"
  };
  /* intently's one vocabulary (VERDICT_LABELS in intently.engine.judgement; a test keeps the two the same) */
  var LABELS = {
    assignee: "Assignee's own work",
    ownership_change: "Took the ticket",
    intentional: "Intentional help",
    drive_by: "Drive-by"
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function verdictBadge(verdict) {
    return el("span", { "class": "verdict " + verdict }, [LABELS[verdict] || verdict]);
  }

  function answerCard(title, answer) {
    var card = el("div", { "class": "card" + (answer.verdict === "drive_by" ? " warn" : "") }, [
      el("strong", {}, [title + " would be "]), verdictBadge(answer.verdict),
      el("span", { "class": "muted" }, [" (" + answer.rule + ")"]),
      el("p", { "class": "reason" }, [el("span", { "class": "muted" }, ["Why, as the ticket stands now: "]), answer.reason])
    ]);
    var path = answer.intentional_path || [];
    if (path.length) {
      card.appendChild(el("p", { "class": "reason" }, [el("strong", {}, ["The intentional path instead:"])]));
      card.appendChild(el("ul", {}, path.map(function (step) {
        var text = typeof step === "string" ? step : (step.description || step.action || "");
        var verdict = typeof step === "object" && step.verdict ? " → " + (VERDICTS[step.verdict] || step.verdict) : "";
        var title = typeof step === "object" && step.title ? " (" + step.title + ")" : "";
        return el("li", {}, [text + verdict + title]);
      })));
    }
    var closed = answer.not_open || [];
    if (closed.length) {
      card.appendChild(el("p", { "class": "reason" }, [el("strong", {}, ["Not open now:"])]));
      card.appendChild(el("ul", {}, closed.map(function (rule) {
        return el("li", { "class": "muted" }, [(rule.title || rule.rule) + ": " + (rule.why || "")]);
      })));
    }
    return card;
  }

  /* What the coverage rules look at now: the assignee's local time and availability, the customer's wait. */
  function coverage(cover) {
    var items = [];
    if (cover.assignee) {
      var who = [cover.assignee.said];
      if (cover.assignee.local_time) {
        who.push(" Their local time: ", el("strong", {}, [cover.assignee.local_time]), " (" + cover.assignee.time_zone + ").");
      }
      items.push(el("li", { "data-coverage": "assignee" }, who));
    }
    if (cover.customer) { items.push(el("li", { "data-coverage": "customer" }, [cover.customer.said])); }
    return el("ul", { "class": "coverage", "data-list": "coverage" }, items);
  }

  /* One-click actions (adding the asking tag, starting an internal note to the assignee, taking an unassigned
   * ticket): each button calls the handler the app gave for its kind; without one (the standalone page) no button
   * is shown. */
  var DONE = {
    add_tag: "Tag added: save the ticket to ask",
    internal_note: "Note started below",
    take_ticket: "Assigned to you: save the ticket, then reply"
  };

  function actionButtons(actions, handlers) {
    var buttons = (actions || []).filter(function (action) { return handlers && handlers[action.kind]; });
    if (!buttons.length) { return null; }
    return el("p", { "class": "actions" }, buttons.map(function (action) {
      var button = el("button", { "type": "button", "data-action": action.kind }, [action.label]);
      button.addEventListener("click", function () {
        button.disabled = true;
        Promise.resolve(handlers[action.kind](action)).then(function () {
          button.textContent = DONE[action.kind] || "Done: save the ticket";
        }, function () {
          button.disabled = false;
          button.textContent = action.label + " (failed: try again)";
        });
      });
      return button;
    }));
  }

  function render(root, data, handlers) {
    root.textContent = "";
    var ticket = data.ticket;
    if (data.public && data.public.headline) {
      root.appendChild(el("p", { "class": "headline" + (data.public.verdict === "drive_by" ? " warn" : ""),
        "data-headline": "" }, [data.public.headline]));
    }
    var buttons = actionButtons(data.public && data.public.actions, handlers);
    if (buttons) { root.appendChild(buttons); }
    if (data.public && data.public.coverage) {
      root.appendChild(el("h2", {}, ["Now"]));
      root.appendChild(coverage(data.public.coverage));
    }
    root.appendChild(el("h2", {}, ["This ticket"]));
    root.appendChild(el("p", {}, [
      "Assignee: ", el("strong", {}, [ticket.assignee || "nobody"]),
      ticket.assignee_region ? " (" + ticket.assignee_region + ")" : ""
    ]));
    root.appendChild(el("p", {}, ["Customer's preferred region: ", el("strong", {}, [ticket.preferred_region || "not set"])]));

    root.appendChild(el("h2", {}, ["If you write now"]));
    root.appendChild(answerCard("A public reply", data.public));
    root.appendChild(answerCard("An internal note", data.internal));

    root.appendChild(el("h2", {}, ["Open solicitations"]));
    var invitations = ticket.solicitations || [];
    var open = invitations.filter(function (s) { return s.open; });
    if (!open.length) {
      root.appendChild(el("p", { "class": "muted" }, ["Nobody is asking for help on this ticket right now."]));
    } else {
      root.appendChild(el("ul", { "data-list": "solicitations" }, open.map(function (s) {
        var text = s.detail + (s.kind === "tag" ? ": anyone but " + s.asked_by_name + " may help" : "") +
          "; nobody has answered yet.";
        var children = [text];
        if (s.asks_agent) { children.push(" ", el("strong", {}, ["This asks you."])); }
        return el("li", s.asks_agent ? { "class": "asks-you" } : {}, children);
      })));
    }
    var answered = invitations.filter(function (s) { return !s.open; });
    if (answered.length) {
      root.appendChild(el("p", { "class": "muted" }, ["Answered: " + answered.map(function (s) {
        return s.detail + ", answered by " + s.answered_by_names.join(", ");
      }).join("; ") + "."]));
    }

    root.appendChild(el("h2", {}, ["Who has contributed"]));
    var byAuthor = {};
    (ticket.judgements || []).forEach(function (j) {
      var key = String(j.author_id);
      byAuthor[key] = byAuthor[key] || { name: j.author || key, verdicts: {} };
      byAuthor[key].verdicts[j.verdict] = (byAuthor[key].verdicts[j.verdict] || 0) + 1;
    });
    var authors = Object.keys(byAuthor);
    if (!authors.length) {
      root.appendChild(el("p", { "class": "muted" }, ["No agent comments yet."]));
    } else {
      root.appendChild(el("ul", {}, authors.map(function (key) {
        var item = el("li", {}, [byAuthor[key].name + ": "]);
        Object.keys(byAuthor[key].verdicts).forEach(function (verdict) {
          item.appendChild(verdictBadge(verdict));
          item.appendChild(document.createTextNode(" ×" + byAuthor[key].verdicts[verdict] + " "));
        });
        return item;
      })));
    }
  }

  function renderError(root, message) {
    root.textContent = "";
    root.appendChild(el("p", { "class": "error" }, [message]));
  }

  global.IntentlyPanel = { render: render, renderError: renderError };
})(window);
