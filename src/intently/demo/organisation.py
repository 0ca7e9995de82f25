"""The demo account's organisation: support addresses, agents, pods, time off, companies, the ids of its
groups, ticket fields and rules, and the policy override that names its pods and out-of-office periods.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

POLICY_FILE = "intently.yaml"
SUBDOMAIN = "example-demo"
API = f"https://{SUBDOMAIN}.zendesk.com/api/v2"
SUPPORT_ADDRESS = "support@example.com"
SUPPORT_NAME = "Example Support"
SOLICIT_TAG = "needs_collaboration"

# name, IANA time zone, support_region user field (None: unset, the time zone decides), role
AGENTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("Maya Thompson", "America/New_York", "amer", "admin"),
    ("Diego Ramírez", "America/Mexico_City", "amer", "agent"),
    ("Jordan Blake", "America/Chicago", "amer", "agent"),
    ("Priya Raman", "America/Los_Angeles", "amer", "agent"),
    ("Marcus Bell", "America/Denver", "amer", "agent"),
    ("Camila Souza", "America/Sao_Paulo", "amer", "agent"),
    ("Ethan Cho", "America/Los_Angeles", "amer", "agent"),
    ("Olivia Grant", "America/Toronto", None, "agent"),
    ("Lucas Pereira", "America/Sao_Paulo", "amer", "agent"),
    ("Hannah Weiss", "America/New_York", "amer", "agent"),
    ("Tyrone Mitchell", "America/Chicago", "amer", "agent"),
    ("Sofia Castillo", "America/Bogota", "amer", "agent"),
    ("Ingrid Larsen", "Europe/Amsterdam", "emea", "admin"),
    ("Tom Fletcher", "Europe/London", "emea", "agent"),
    ("Amara Okafor", "Europe/London", "emea", "agent"),
    ("Lukas Becker", "Europe/Berlin", "emea", "agent"),
    ("Chloé Martin", "Europe/Paris", "emea", "agent"),
    ("Javier Ortega", "Europe/Madrid", "emea", "agent"),
    ("Niamh Byrne", "Europe/Dublin", None, "agent"),
    ("Kasia Nowak", "Europe/Warsaw", "emea", "agent"),
    ("Thabo Nkosi", "Africa/Johannesburg", "emea", "agent"),
    ("Sara Lindqvist", "Europe/Stockholm", "emea", "agent"),
    ("Omar Haddad", "Asia/Dubai", "emea", "agent"),
    ("Femi Adeyemi", "Africa/Lagos", None, "agent"),
    ("Kenji Watanabe", "Asia/Tokyo", "apac", "admin"),
    ("Mei Lin Tan", "Asia/Singapore", "apac", "agent"),
    ("Arjun Mehta", "Asia/Kolkata", "apac", "agent"),
    ("Chloe Nguyen", "Australia/Sydney", "apac", "agent"),
    ("Liam O'Connor", "Australia/Brisbane", "apac", "agent"),
    ("Isabel Santos", "Asia/Manila", "apac", "agent"),
    ("Hiroshi Sato", "Asia/Tokyo", "apac", "agent"),
    ("Grace Walker", "Australia/Melbourne", None, "agent"),
    ("Wei Zhang", "Asia/Singapore", "apac", "agent"),
    ("Aroha Ngata", "Pacific/Auckland", None, "agent"),
    ("Daniel Kim", "Asia/Seoul", "apac", "agent"),
    ("Ruby Patel", "Australia/Perth", "apac", "agent"),
)
ESCALATION_TEAM = ("Maya Thompson", "Marcus Bell", "Ingrid Larsen", "Lukas Becker", "Kenji Watanabe", "Wei Zhang")
PODS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "data": (
        ("Lukas Becker", "Jordan Blake", "Wei Zhang"),
        ("pipelines", "warehouse"),
        "Data pipelines and the warehouse: connectors, syncs, schemas, compute.",
    ),
    "identity": (
        ("Amara Okafor", "Ethan Cho", "Arjun Mehta"),
        ("sso", "saml", "scim"),
        "Sign-in and provisioning: SSO, SAML, SCIM.",
    ),
}
# agent, first day (days after the start), length in days, note
_OUT_OF_OFFICE: tuple[tuple[str, int, int, str], ...] = (
    ("Priya Raman", 33, 12, "Annual leave"),
    ("Tom Fletcher", 66, 5, "Conference and training week"),
)

REGION_TIME_ZONES: dict[str, tuple[str, ...]] = {
    "amer": (
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Toronto",
        "America/Sao_Paulo",
        "America/Mexico_City",
        "America/Denver",
    ),
    "emea": (
        "Europe/London",
        "Europe/Berlin",
        "Europe/Paris",
        "Europe/Amsterdam",
        "Europe/Madrid",
        "Africa/Johannesburg",
        "Asia/Dubai",
        "Europe/Stockholm",
        "Europe/Warsaw",
    ),
    "apac": (
        "Asia/Singapore",
        "Australia/Sydney",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Pacific/Auckland",
        "Asia/Hong_Kong",
        "Australia/Melbourne",
    ),
}
COMPANIES: tuple[tuple[str, str], ...] = (
    ("Northwind Traders", "amer"),
    ("Contoso Pharmaceuticals", "amer"),
    ("Fabrikam Residences", "amer"),
    ("Tailspin Toys", "amer"),
    ("Wingtip Toys", "amer"),
    ("Litware Inc", "amer"),
    ("Proseware Labs", "amer"),
    ("Adventure Works Cycles", "amer"),
    ("Blue Yonder Airlines", "amer"),
    ("Coho Winery", "amer"),
    ("Lucerne Publishing", "amer"),
    ("Alpine Ski House", "amer"),
    ("Wide World Importers", "amer"),
    ("Fourth Coffee", "amer"),
    ("Trey Research", "amer"),
    ("Woodgrove Bank", "amer"),
    ("Humongous Insurance", "amer"),
    ("Relecloud", "amer"),
    ("VanArsdel Foods", "emea"),
    ("Bellows College", "emea"),
    ("Munson's Pickles", "emea"),
    ("Consolidated Messenger", "emea"),
    ("Southridge Video", "emea"),
    ("Graphic Design Institute", "emea"),
    ("Margie's Travel", "emea"),
    ("Lamna Healthcare", "emea"),
    ("Datum Corporation", "emea"),
    ("Fineline Logistics", "emea"),
    ("Harbourside Energy", "emea"),
    ("Kestrel Analytics", "emea"),
    ("Meridian Retail", "emea"),
    ("Oakleaf Insurance", "emea"),
    ("Quayside Media", "emea"),
    ("Riverbend Mobility", "emea"),
    ("Best For You Organics", "apac"),
    ("School of Fine Art", "apac"),
    ("Nod Publishers", "apac"),
    ("Boulder Innovations", "apac"),
    ("Coral Bay Logistics", "apac"),
    ("Jade Harbour Finance", "apac"),
    ("Kiwi Orchard Co", "apac"),
    ("Lotus Health", "apac"),
    ("Monsoon Games", "apac"),
    ("Pacific Rim Freight", "apac"),
    ("Sakura Robotics", "apac"),
    ("Southern Cross Energy", "apac"),
    ("Tasman Education", "apac"),
    ("Willow Creek Software", "apac"),
)


# ids of the account's configuration (groups, fields, brand, form, statuses)
GROUP_IDS = {"AMER": 360_004_180_011, "EMEA": 360_004_180_031, "APAC": 360_004_180_051, "ESC": 360_004_180_071}
GROUP_NAMES = {"AMER": "Support AMER", "EMEA": "Support EMEA", "APAC": "Support APAC", "ESC": "Escalations"}
PREFERRED_FIELD_ID = 360_017_215_831
AREA_FIELD_ID = 360_017_215_851
PLAN_FIELD_ID = 360_017_215_871
BRAND_ID = 360_002_614_111
FORM_ID = 360_001_905_091
CUSTOM_STATUS_IDS = {
    "new": 360_005_781_011,
    "open": 360_005_781_031,
    "pending": 360_005_781_051,
    "hold": 360_005_781_071,
    "solved": 360_005_781_091,
    "closed": 360_005_781_091,
}
PREFERRED_OPTIONS = (("AMER", "amer"), ("EMEA", "emea"), ("APAC", "apac"), ("All regions", "all_regions"))
PLAN_OPTIONS = (("Starter", "plan_starter"), ("Business", "plan_business"), ("Enterprise", "plan_enterprise"))

# rules: id, kind (trigger | automation), title, notification subject, notification body
RULES: tuple[tuple[int, str, str, str, str], ...] = (
    (
        360_110_402_011,
        "trigger",
        "Notify requester and CCs of received request",
        "[Request received] {{ticket.title}}",
        "Your request ({{ticket.id}}) has been received and is being reviewed by our support staff.\n\n"
        "To add additional comments, reply to this email.\n\n{{ticket.latest_comment_html}}",
    ),
    (
        360_110_402_031,
        "trigger",
        "Notify all agents of received request",
        "[{{ticket.account}}] {{ticket.title}}",
        "A ticket (#{{ticket.id}}) by {{ticket.requester.name}} has been received. It is unassigned.\n\n"
        "{{ticket.latest_comment_html}}",
    ),
    (
        360_110_402_051,
        "trigger",
        "Notify requester and CCs of comment update",
        "[{{ticket.account}}] Re: {{ticket.title}}",
        "Your request ({{ticket.id}}) has been updated. To add additional comments, reply to this email.\n\n"
        "{{ticket.latest_comment_html}}",
    ),
    (
        360_110_402_071,
        "trigger",
        "Notify assignee of comment update",
        "[{{ticket.account}}] Re: {{ticket.title}}",
        "A ticket (#{{ticket.id}}) by {{ticket.requester.name}} has been updated.\n\n{{ticket.comments_formatted}}",
    ),
    (
        360_110_402_091,
        "trigger",
        "Notify assignee of assignment",
        "[{{ticket.account}}] Assignment: {{ticket.title}}",
        "You have been assigned to this ticket (#{{ticket.id}}).\n\n{{ticket.comments_formatted}}",
    ),
    (360_110_402_111, "trigger", "Auto-reply to urgent requests", "", ""),
    (360_110_402_131, "trigger", "Route enterprise accounts to their account owner", "", ""),
    (
        360_110_415_011,
        "automation",
        "Notify leads: urgent ticket unassigned for 1 hour",
        "[Urgent] {{ticket.title}} is still unassigned",
        "Ticket #{{ticket.id}} ({{ticket.priority}}) has been unassigned for more than an hour.\n\n{{ticket.link}}",
    ),
    (360_110_415_031, "automation", "Pending reminder after 3 days", "", ""),
    (360_110_415_051, "automation", "Solve pending tickets after 7 days", "", ""),
    (360_110_415_071, "automation", "Close ticket 4 days after status is set to solved", "", ""),
    (
        360_110_415_091,
        "automation",
        "Request customer satisfaction rating",
        "Request #{{ticket.id}}: How would you rate the support you received?",
        "Hello {{ticket.requester.first_name}},\n\nWe'd love to hear what you think of our customer service. "
        "Please take a moment to answer one simple question by clicking either link below:\n\n"
        "{{satisfaction.rating_section}}\n\nHere's a reminder of what your request was about:\n\n"
        "{{ticket.comments_formatted}}",
    ),
)
R_RECEIVED, R_AGENTS_NEW, R_COMMENT_UPDATE, R_ASSIGNEE_UPDATE, R_ASSIGNMENT = range(5)
R_URGENT_ACK, R_ROUTE_OWNER, R_UNASSIGNED_URGENT, R_REMINDER, R_AUTO_SOLVE, R_CLOSE, R_SURVEY = range(5, 12)


def policy_override(start: date) -> dict[str, Any]:
    """The policy override of the demo: two pods and two out-of-office periods, agents named by e-mail."""
    emails = {name: email_address(name, "example.com") for name, *_ in AGENTS}
    pods = {
        name: {"members": [emails[member] for member in members], "tags": list(tags), "description": text}
        for name, (members, tags, text) in PODS.items()
    }
    away = []
    for name, offset, length, note in _OUT_OF_OFFICE:
        first = start + timedelta(days=offset)
        first += timedelta(days=(7 - first.weekday()) % 7)  # a Monday
        away.append({"agent": emails[name], "start": first, "end": first + timedelta(days=length - 1), "note": note})
    return {"organisation": {"pods": pods, "out_of_office": away}}


def email_address(name: str, domain: str) -> str:
    table = str.maketrans({"é": "e", "í": "i", "á": "a", "ø": "o", "'": "", " ": "."})
    return f"{name.lower().translate(table)}@{domain}"
