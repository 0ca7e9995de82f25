"""Rendering plans as Zendesk API records: comments, audits and their events, tickets, users, groups, fields."""

from __future__ import annotations

import html
from typing import Any

from intently.demo.clock import DAY, iso
from intently.demo.organisation import (
    API,
    AREA_FIELD_ID,
    BRAND_ID,
    CUSTOM_STATUS_IDS,
    ESCALATION_TEAM,
    FORM_ID,
    GROUP_IDS,
    GROUP_NAMES,
    PLAN_FIELD_ID,
    PLAN_OPTIONS,
    PREFERRED_FIELD_ID,
    PREFERRED_OPTIONS,
    RULES,
    SUPPORT_ADDRESS,
    SUPPORT_NAME,
)
from intently.demo.people import Customer
from intently.demo.plan import (
    K_CCS,
    K_CHANGE,
    K_COMMENT,
    K_CREATE,
    K_FOLLOWERS,
    K_RATING,
    V_API,
    V_AUTOMATION,
    V_EMAIL,
    V_TRIGGER,
    V_WEB,
    DemoPlan,
    Step,
    TicketPlan,
)
from intently.demo.texts import TEXTS, TOPICS

EVENT_ID_STEP = 128
"""Zendesk audit and event ids of one update are 128 apart."""
_ID_FIELDS = frozenset({"assignee_id", "group_id", "requester_id", "brand_id", "ticket_form_id", "organization_id"})

# where agents and customers sign in from (by time zone), for the metadata of web updates
_PLACES: dict[str, tuple[str, float, float]] = {
    "America/New_York": ("New York, NY, United States", 40.7128, -74.006),
    "America/Mexico_City": ("Mexico City, Mexico", 19.4326, -99.1332),
    "America/Chicago": ("Chicago, IL, United States", 41.8781, -87.6298),
    "America/Los_Angeles": ("Los Angeles, CA, United States", 34.0522, -118.2437),
    "America/Denver": ("Denver, CO, United States", 39.7392, -104.9903),
    "America/Sao_Paulo": ("São Paulo, Brazil", -23.5505, -46.6333),
    "America/Toronto": ("Toronto, ON, Canada", 43.6532, -79.3832),
    "America/Bogota": ("Bogotá, Colombia", 4.711, -74.0721),
    "Europe/Amsterdam": ("Amsterdam, Netherlands", 52.3676, 4.9041),
    "Europe/London": ("London, United Kingdom", 51.5072, -0.1276),
    "Europe/Berlin": ("Berlin, Germany", 52.52, 13.405),
    "Europe/Paris": ("Paris, France", 48.8566, 2.3522),
    "Europe/Madrid": ("Madrid, Spain", 40.4168, -3.7038),
    "Europe/Dublin": ("Dublin, Ireland", 53.3498, -6.2603),
    "Europe/Warsaw": ("Warsaw, Poland", 52.2297, 21.0122),
    "Europe/Stockholm": ("Stockholm, Sweden", 59.3293, 18.0686),
    "Africa/Johannesburg": ("Johannesburg, South Africa", -26.2041, 28.0473),
    "Africa/Lagos": ("Lagos, Nigeria", 6.5244, 3.3792),
    "Asia/Dubai": ("Dubai, United Arab Emirates", 25.2048, 55.2708),
    "Asia/Tokyo": ("Tokyo, Japan", 35.6762, 139.6503),
    "Asia/Singapore": ("Singapore, Singapore", 1.3521, 103.8198),
    "Asia/Kolkata": ("Bengaluru, India", 12.9716, 77.5946),
    "Asia/Manila": ("Manila, Philippines", 14.5995, 120.9842),
    "Asia/Seoul": ("Seoul, South Korea", 37.5665, 126.978),
    "Asia/Hong_Kong": ("Hong Kong, Hong Kong", 22.3193, 114.1694),
    "Australia/Sydney": ("Sydney, NSW, Australia", -33.8688, 151.2093),
    "Australia/Brisbane": ("Brisbane, QLD, Australia", -27.4698, 153.0251),
    "Australia/Melbourne": ("Melbourne, VIC, Australia", -37.8136, 144.9631),
    "Australia/Perth": ("Perth, WA, Australia", -31.9523, 115.8613),
    "Pacific/Auckland": ("Auckland, New Zealand", -36.8485, 174.7633),
}
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36 Edg/126.0.0.0",
)


def _html(body: str) -> str:
    """The comment as Zendesk renders it: a div of paragraphs, line breaks as ``<br>``."""
    if "&" in body or "<" in body or ">" in body:
        body = html.escape(body, quote=False)
    paragraphs = '</p><p dir="auto">'.join(body.split("\n\n")).replace("\n", "<br>")
    return f'<div class="zd-comment" dir="auto"><p dir="auto">{paragraphs}</p></div>'


class Renderer:
    """Renders plans as Zendesk API response bodies."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.regions = {a.id: a.region for a in plan.agents}
        self.meta: dict[tuple[int, int], dict[str, Any]] = {}
        self.templates: dict[tuple[int, ...], str] = {}
        self.names = {user_id: (person.first, person.name) for user_id, person in plan.by_id.items()}
        self.via_cache: dict[tuple[int, int], dict[str, Any]] = {}
        self.places = {
            a.id: (index, _PLACES[a.time_zone], f"203.0.113.{10 + index}") for index, a in enumerate(plan.agents)
        }
        rule_via = []
        for rule_id, kind, title, _, _ in RULES:
            source = {"from": {"deleted": False, "title": title, "id": rule_id, "revision_id": 3}, "rel": kind}
            rule_via.append({"channel": "rule", "source": source})
        self.rule_via = rule_via
        self.web_via = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}
        self.api_via = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
        self.api_meta = {
            "system": {
                "client": "Example-CRM-Connector/3.4.1",
                "ip_address": "198.51.100.23",
                "location": "Ashburn, VA, United States",
                "latitude": 39.0438,
                "longitude": -77.4874,
            },
            "custom": {},
        }
        self.rule_meta: dict[str, Any] = {"system": {}, "custom": {}}

    # --- comments -----------------------------------------------------------------------------------

    def render(self, ticket: TicketPlan, author: int, parts: tuple[int, ...], named: int) -> str:
        template = self.templates.get(parts)
        if template is None:
            template = self.templates[parts] = "\n\n".join(TEXTS[index] for index in parts)
        names = self.names
        context = {
            "c": names.get(ticket.requester, ("there", ""))[0],
            "a": names.get(author, (SUPPORT_NAME, ""))[0],
            "ar": self.regions.get(author, ""),
            "n": names[named][1] if named else "",
            "nf": names[named][0] if named else "",
            "region": self.regions.get(named, ""),
            "area": TOPICS[ticket.topic].area,
            "t": ticket.id,
        }
        return template.format_map(context)

    # --- audits -------------------------------------------------------------------------------------

    def via(self, step: Step) -> dict[str, Any]:
        if step.via in (V_TRIGGER, V_AUTOMATION):
            return self.rule_via[step.rule]
        if step.via == V_WEB:
            return self.web_via
        if step.via == V_API:
            return self.api_via
        key = (step.via, step.author)
        cached = self.via_cache.get(key)
        if cached is None:
            person = self.plan.by_id.get(step.author)
            source = {
                "from": {"address": person.email if person else None, "name": person.name if person else None},
                "to": {"name": SUPPORT_NAME, "address": SUPPORT_ADDRESS},
                "rel": None,
            }
            cached = self.via_cache[key] = {"channel": "email", "source": source}
        return cached

    def metadata(self, step: Step) -> dict[str, Any]:
        if step.via in (V_TRIGGER, V_AUTOMATION):
            return self.rule_meta
        if step.via == V_API:
            return self.api_meta
        if step.via == V_EMAIL:
            token = (step.id * 2_654_435_761) % (1 << 64)
            person = self.plan.by_id.get(step.author)
            domain = person.email.split("@", 1)[1] if person else "example.com"
            return {
                "system": {
                    "message_id": f"<{token:016x}.{step.id % 100_000}@mail.{domain}>",
                    "email_id": f"01J{token:016X}{step.id % 10_000_000:07d}",
                    "raw_email_identifier": f"{step.id % 9_973}/{token:016x}.eml",
                    "json_email_identifier": f"{step.id % 9_973}/{token:016x}.json",
                },
                "custom": {},
            }
        key = (step.via, step.author)
        cached = self.meta.get(key)
        if cached is None:
            place = self.places.get(step.author)
            if place is not None:
                index, (city, lat, lon), ip = place
                client = _USER_AGENTS[index % len(_USER_AGENTS)]
            else:
                person = self.plan.by_id.get(step.author)
                zone = person.time_zone if isinstance(person, Customer) else "America/New_York"
                city, lat, lon = _PLACES.get(zone, _PLACES["America/New_York"])
                ip = f"198.51.100.{20 + step.author % 200}"
                client = _USER_AGENTS[step.author % len(_USER_AGENTS)]
            system = {"client": client, "ip_address": ip, "location": city, "latitude": lat, "longitude": lon}
            cached = self.meta[key] = {"system": system, "custom": {}}
        return cached

    def watcher_list(self, users: tuple[int, ...], as_email: bool) -> list[str]:
        if not as_email:
            return [str(user) for user in users]
        by_id = self.plan.by_id
        return [by_id[user].email if user in by_id else str(user) for user in users]

    def audit(self, ticket: TicketPlan, step: Step) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        event_id = step.id
        for op in step.ops:
            event_id += EVENT_ID_STEP
            kind = op[0]
            if kind == K_COMMENT:
                body = self.render(ticket, op[1], op[3], op[4])
                events.append(
                    {
                        "id": event_id,
                        "type": "Comment",
                        "author_id": op[1],
                        "body": body,
                        "html_body": _html(body),
                        "plain_body": body,
                        "public": op[2],
                        "attachments": [],
                        "audit_id": step.id,
                    }
                )
            elif kind == K_CREATE:
                events.append({"id": event_id, "type": "Create", "value": _value(op[1], op[2]), "field_name": op[1]})
            elif kind == K_CHANGE:
                events.append(
                    {
                        "id": event_id,
                        "type": "Change",
                        "value": _value(op[1], op[2]),
                        "field_name": op[1],
                        "previous_value": _value(op[1], op[3]),
                    }
                )
            elif kind == K_FOLLOWERS:
                events.append(
                    {
                        "id": event_id,
                        "type": "FollowerChange",
                        "previous_followers": self.watcher_list(op[2], op[3]),
                        "current_followers": self.watcher_list(op[1], op[3]),
                    }
                )
            elif kind == K_CCS:
                events.append(
                    {
                        "id": event_id,
                        "type": "EmailCcChange",
                        "previous_email_ccs": self.watcher_list(op[2], op[3]),
                        "current_email_ccs": self.watcher_list(op[1], op[3]),
                    }
                )
            elif kind == K_RATING:
                body = self.rating_text(ticket, op)
                events.append(
                    {"id": event_id, "type": "SatisfactionRating", "score": op[1], "assignee_id": op[2], "body": body}
                )
            else:  # K_NOTIFY
                subject, body = RULES[op[1]][3:]
                events.append(
                    {
                        "id": event_id,
                        "type": "Notification",
                        "via": self.rule_via[op[1]],
                        "subject": subject,
                        "body": body,
                        "recipients": list(op[2]),
                    }
                )
        return {
            "id": step.id,
            "ticket_id": ticket.id,
            "created_at": iso(step.at),
            "author_id": step.author,
            "metadata": self.metadata(step),
            "events": events,
            "via": self.via(step),
        }

    def rating_text(self, ticket: TicketPlan, op: tuple[Any, ...]) -> str:
        """The comment of a satisfaction rating (its ``{a}`` is the assignee, whom customers praise by name)."""
        return self.render(ticket, op[2] or 0, (op[3],), 0) if op[3] >= 0 else ""

    def satisfaction(self, ticket: TicketPlan, step: Step, index: int, op: tuple[Any, ...]) -> dict[str, Any]:
        """A ticket's ``satisfaction_rating`` after the rating ``op``, the ``index``-th event of ``step``."""
        if op[1] == "offered":
            return {"score": "offered"}
        comment = self.rating_text(ticket, op)
        return {"id": step.id + (index + 1) * EVENT_ID_STEP, "score": op[1], "comment": comment or None}

    # --- tickets ------------------------------------------------------------------------------------

    def ticket(self, ticket: TicketPlan) -> dict[str, Any]:
        state: dict[str, Any] = {}
        followers: tuple[int, ...] = ()
        ccs: tuple[int, ...] = ()
        satisfaction: dict[str, Any] = {"score": "unoffered"}
        for step in ticket.steps:
            for index, op in enumerate(step.ops):
                kind = op[0]
                if kind in (K_CREATE, K_CHANGE):
                    state[op[1]] = op[2]
                elif kind == K_FOLLOWERS:
                    followers = op[1]
                elif kind == K_CCS:
                    ccs = op[1]
                elif kind == K_RATING:
                    satisfaction = self.satisfaction(ticket, step, index, op)
        first = ticket.steps[0].ops[0]
        description = self.render(ticket, first[1], first[3], first[4])
        updated = ticket.steps[-1].at
        status = state.get("status") or "new"
        custom = [
            {"id": field_id, "value": state.get(str(field_id))}
            for field_id in (PREFERRED_FIELD_ID, AREA_FIELD_ID, PLAN_FIELD_ID)
        ]
        if ticket.channel == V_EMAIL:
            requester = self.plan.by_id[ticket.requester]
            via = {
                "channel": "email",
                "source": {
                    "from": {"address": requester.email, "name": requester.name},
                    "to": {"name": SUPPORT_NAME, "address": SUPPORT_ADDRESS},
                    "rel": None,
                },
            }
        else:
            via = self.api_via if ticket.channel == V_API else self.web_via
        return {
            "url": f"{API}/tickets/{ticket.id}.json",
            "id": ticket.id,
            "external_id": None,
            "via": via,
            "created_at": iso(ticket.created),
            "updated_at": iso(updated),
            "type": state.get("type"),
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": description,
            "priority": state.get("priority"),
            "status": status,
            "recipient": SUPPORT_ADDRESS if ticket.channel == V_EMAIL else None,
            "requester_id": ticket.requester,
            "submitter_id": ticket.submitter,
            "assignee_id": state.get("assignee_id"),
            "organization_id": ticket.organization,
            "group_id": state.get("group_id"),
            "collaborator_ids": sorted(set(followers) | set(ccs)),
            "follower_ids": list(followers),
            "email_cc_ids": list(ccs),
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": list(state.get("tags") or ()),
            "custom_fields": custom,
            "satisfaction_rating": satisfaction,
            "sharing_agreement_ids": [],
            "custom_status_id": CUSTOM_STATUS_IDS.get(status),
            "fields": [dict(item) for item in custom],
            "followup_ids": [],
            "ticket_form_id": FORM_ID,
            "brand_id": BRAND_ID,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "generated_timestamp": updated,
        }

    # --- the account ----------------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        plan = self.plan
        last_day = plan.end_ts
        records: list[dict[str, Any]] = []
        for agent in plan.agents:
            records.append(
                user_record(
                    agent.id,
                    agent.name,
                    agent.email,
                    agent.time_zone,
                    agent.role,
                    agent.created,
                    last_day - (agent.id % 97) * 3_600,
                    None,
                    {"support_region": agent.support_region},
                    group=agent.group,
                )
            )
        for customer in plan.customers:
            company = plan.companies[customer.company]
            records.append(
                user_record(
                    customer.id,
                    customer.name,
                    customer.email,
                    customer.time_zone,
                    "end-user",
                    customer.created,
                    customer.created + (customer.id % 500) * 3_600,
                    company.id,
                    {"support_region": None},
                )
            )
        records.sort(key=lambda record: record["id"])
        return records

    def groups(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        created = self.plan.start_ts - 400 * DAY
        descriptions = {
            "AMER": "First-line support for the Americas.",
            "EMEA": "First-line support for Europe, the Middle East and Africa.",
            "APAC": "First-line support for Asia-Pacific.",
            "ESC": "Senior engineers for urgent and escalated tickets.",
        }
        groups = [
            {
                "url": f"{API}/groups/{group_id}.json",
                "id": group_id,
                "is_public": True,
                "name": GROUP_NAMES[key],
                "description": descriptions[key],
                "default": key == "AMER",
                "deleted": False,
                "created_at": iso(created + index * 600),
                "updated_at": iso(created + 30 * DAY + index * 600),
            }
            for index, (key, group_id) in enumerate(GROUP_IDS.items())
        ]
        memberships = []
        membership_id = 360_021_774_000
        for agent in self.plan.agents:
            pairs = [(agent.group, True)]
            if agent.name in ESCALATION_TEAM:
                pairs.append((GROUP_IDS["ESC"], False))
            for group_id, default in pairs:
                membership_id += 1_031
                memberships.append(
                    {
                        "url": f"{API}/group_memberships/{membership_id}.json",
                        "id": membership_id,
                        "user_id": agent.id,
                        "group_id": group_id,
                        "default": default,
                        "created_at": iso(agent.created + DAY),
                        "updated_at": iso(agent.created + DAY),
                    }
                )
        return groups, memberships

    def fields(self) -> list[dict[str, Any]]:
        created = self.plan.start_ts - 380 * DAY
        records = []
        system = (
            (360_017_215_011, "subject", "Subject", True),
            (360_017_215_031, "description", "Description", True),
            (360_017_215_051, "status", "Status", False),
            (360_017_215_071, "tickettype", "Type", False),
            (360_017_215_091, "priority", "Priority", False),
            (360_017_215_111, "group", "Group", False),
            (360_017_215_131, "assignee", "Assignee", False),
        )
        for position, (field_id, kind, title, required) in enumerate(system):
            records.append(_field(field_id, kind, title, position, created, removable=False, required=required))
        custom = (
            (
                PREFERRED_FIELD_ID,
                "Preferred Region for Support",
                PREFERRED_OPTIONS,
                "The region whose support team the customer prefers to work with.",
            ),
            (AREA_FIELD_ID, "Product area", tuple((t.label, t.tag) for t in TOPICS), "What the request is about."),
            (PLAN_FIELD_ID, "Customer plan", PLAN_OPTIONS, "The customer's subscription plan."),
        )
        for offset, (field_id, title, options, description) in enumerate(custom):
            record = _field(field_id, "tagger", title, 10 + offset, created + DAY, removable=True, required=False)
            record["description"] = record["raw_description"] = description
            record["custom_field_options"] = [
                {"id": field_id + 1_000 + index, "name": name, "raw_name": name, "value": value, "default": False}
                for index, (name, value) in enumerate(options)
            ]
            records.append(record)
        return records


def _value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _ID_FIELDS:
        return str(value)
    if name == "tags":
        return list(value)
    return value


def user_record(
    user_id: int,
    name: str,
    email: str | None,
    zone: str,
    role: str,
    created: int,
    updated: int,
    organization: int | None,
    user_fields: dict[str, Any],
    group: int | None = None,
) -> dict[str, Any]:
    """A user record in the shape Zendesk's API returns it (``time_zone`` and ``iana_time_zone`` both the IANA
    ``zone``, as in the recorded responses). Shared by the demo export and the tests' Zendesk stand-in."""
    agent = role != "end-user"
    return {
        "id": user_id,
        "url": f"{API}/users/{user_id}.json",
        "name": name,
        "email": email,
        "created_at": iso(created),
        "updated_at": iso(max(created, updated)),
        "time_zone": zone,
        "iana_time_zone": zone,
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": organization,
        "role": role,
        "verified": True,
        "external_id": None,
        "tags": [],
        "alias": None,
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": iso(max(created, updated)) if agent else None,
        "two_factor_auth_enabled": None,
        "signature": None,
        "details": None,
        "notes": None,
        "role_type": 4 if role == "admin" else (0 if agent else None),
        "custom_role_id": (360_000_812_011 if role == "admin" else 360_000_812_031) if agent else None,
        "moderator": agent,
        "ticket_restriction": None if agent else "requested",
        "only_private_comments": False,
        "restricted_agent": not agent,
        "suspended": False,
        "default_group_id": group,
        "report_csv": role == "admin",
        "user_fields": user_fields,
    }


def _field(
    field_id: int, kind: str, title: str, position: int, created: int, *, removable: bool, required: bool
) -> dict[str, Any]:
    return {
        "url": f"{API}/ticket_fields/{field_id}.json",
        "id": field_id,
        "type": kind,
        "title": title,
        "raw_title": title,
        "description": "",
        "raw_description": "",
        "position": position,
        "active": True,
        "required": required,
        "collapsed_for_agents": False,
        "regexp_for_validation": None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": kind != "tagger" or title == "Preferred Region for Support",
        "editable_in_portal": title == "Preferred Region for Support" or kind in ("subject", "description"),
        "required_in_portal": required,
        "tag": None,
        "created_at": iso(created),
        "updated_at": iso(created),
        "removable": removable,
        "key": None,
        "agent_description": None,
    }
