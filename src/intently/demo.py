"""A realistic, synthetic Zendesk export for demos and benchmarks, generated deterministically.

:func:`generate_export` writes what a Zendesk export directory holds, in the exact shapes of the Zendesk
REST API responses: ``users.page-001.json``, ``groups.page-001.json``, ``group_memberships.page-001.json``,
``ticket_fields.page-001.json``, the cursor-based incremental ticket export (``tickets.page-NNN.json``) and
the account-wide audit list (``ticket_audits.page-NNN.json``, every audit of every ticket in time order, so a
ticket's audits are spread over many pages). Beside them it writes ``intently.yaml``, a policy override with
two pods and two out-of-office periods.

The history is a quarter of support work by 36 agents in three regions for a few hundred customers:
tickets arrive on weekdays, mostly in business hours; assignees reply within their business hours;
customers reply; tickets get solved and closed. Woven in, in realistic proportions, are the situations
every rule of the policy is about: pick-ups and handovers, requests for help (a tag, a follower, an
@mention, an e-mail CC), pod members' notes (acknowledged or not), cover for assignees who are off shift
or out of office, and drive-by replies.

Generation has two stages. :func:`plan_export` simulates every ticket into a compact plan (who did what,
when), tracking the ticket state the engine will replay so that, for instance, a covering reply really
comes after 75% of the reply target with the assignee really outside business hours. :func:`write_export`
renders the plans as JSON pages, one page at a time. The same seed gives the same bytes.
"""

from __future__ import annotations

import base64
import bisect
import html
import math
import random
import struct
import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson
import yaml

from intently.model import User
from intently.policy import Policy, policy_from_mapping
from intently.policy.schema import WEEKDAYS

__all__ = [
    "POLICY_FILE",
    "DemoPlan",
    "DemoSummary",
    "generate_export",
    "plan_export",
    "write_export",
]

POLICY_FILE = "intently.yaml"
SUBDOMAIN = "example-demo"
API = f"https://{SUBDOMAIN}.zendesk.com/api/v2"
SUPPORT_ADDRESS = "support@example.com"
SUPPORT_NAME = "Example Support"
SOLICIT_TAG = "needs_collaboration"
SYSTEM = -1
HOUR = 3600
MINUTE = 60
DAY = 86400
FAR = 1 << 40
"""A time after everything (used when the business calendar runs out)."""
EVENT_ID_STEP = 128
"""Zendesk audit and event ids of one update are 128 apart."""
FIRST_AUDIT_ID = 31_504_227_811_200
FIRST_TICKET_ID = 48_213

# --- abstract events of a plan (compact tuples) ----------------------------------------------------

K_COMMENT, K_CREATE, K_CHANGE, K_FOLLOWERS, K_CCS, K_NOTIFY = range(6)
# (K_COMMENT, author, public, parts, named, intent)   parts: indices into TEXTS; named: a user id or 0
# (K_CREATE, field_name, value)
# (K_CHANGE, field_name, value, previous)
# (K_FOLLOWERS | K_CCS, current, previous, as_email)
# (K_NOTIFY, rule, recipients)

V_WEB, V_EMAIL, V_API, V_TRIGGER, V_AUTOMATION = range(5)
CHANNELS = ("web", "email", "api", "rule", "rule")

ID_FIELDS = frozenset({"assignee_id", "group_id", "requester_id", "brand_id", "ticket_form_id", "organization_id"})


@dataclass(slots=True)
class Step:
    """One update of a ticket: a Zendesk audit."""

    at: int
    author: int
    via: int
    rule: int
    ops: tuple[tuple[Any, ...], ...]
    id: int = 0


@dataclass(slots=True)
class TicketPlan:
    """A ticket and every update of its history, in time order."""

    id: int
    created: int
    requester: int
    submitter: int
    organization: int
    subject: str
    topic: int
    case: int
    channel: int
    type: str | None
    steps: list[Step] = field(default_factory=list)


# --- the organisation --------------------------------------------------------------------------------

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

# name, IANA time zone, support_region user field (None: unset, the time zone decides), role
_AGENTS: tuple[tuple[str, str, str | None, str], ...] = (
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
_ESCALATION_TEAM = ("Maya Thompson", "Marcus Bell", "Ingrid Larsen", "Lukas Becker", "Kenji Watanabe", "Wei Zhang")
_PODS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
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

_REGION_TIME_ZONES: dict[str, tuple[str, ...]] = {
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
_COMPANIES: tuple[tuple[str, str], ...] = (
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
# fmt: off
_FIRST_NAMES = (
    "Aaliyah", "Adam", "Aisha", "Alejandro", "Alex", "Amelia", "Ananya", "Andrea", "Ben", "Bianca", "Carlos",
    "Caroline", "Chen", "Chiara", "Chris", "Dana", "Daniela", "David", "Elena", "Elif", "Emma", "Erik", "Fatima",
    "Felix", "Gabriel", "Georgia", "Hana", "Hugo", "Ian", "Imani", "Isaac", "Jade", "James", "Jana", "Jasmine",
    "Jonas", "Julia", "Kai", "Karim", "Kate", "Laura", "Leila", "Leon", "Lina", "Louis", "Lucy", "Luis", "Maja",
    "Malik", "Marco", "Maria", "Mateo", "Maya", "Mohammed", "Nadia", "Naomi", "Nathan", "Nia", "Noah", "Nora",
    "Oliver", "Oscar", "Paula", "Pedro", "Rafael", "Rania", "Ravi", "Rebecca", "Rosa", "Ryan", "Saanvi", "Samuel",
    "Sandra", "Sean", "Shira", "Simone", "Sipho", "Sophie", "Stefan", "Tariq", "Tessa", "Theo", "Valentina",
    "Victor", "Yara", "Yuki", "Zara", "Zoe",
)
_LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersson", "Bauer", "Bennett", "Brooks", "Campbell", "Carvalho", "Chen",
    "Cohen", "Costa", "Dang", "Davies", "Dimitrov", "Edwards", "Eriksen", "Evans", "Fischer", "Flores", "Foster",
    "Garcia", "Gupta", "Hall", "Hansen", "Hayes", "Horvat", "Hughes", "Ito", "Jansen", "Johansson", "Kaur",
    "Khan", "Kowalski", "Kruger", "Lambert", "Larsson", "Lopez", "Mahlangu", "Moreau", "Morales", "Murphy",
    "Nakamura", "Nielsen", "Novak", "Obi", "Okoro", "Oliveira", "Park", "Patel", "Petrov", "Quinn", "Reyes",
    "Richter", "Rossi", "Russo", "Sánchez", "Schmidt", "Shah", "Silva", "Singh", "Sørensen", "Tanaka", "Torres",
    "Turner", "Usman", "Van Dijk", "Varga", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wong", "Yamamoto",
    "Yilmaz", "Young", "Zhou",
)
# fmt: on
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
_PREFERRED_OPTIONS = (("AMER", "amer"), ("EMEA", "emea"), ("APAC", "apac"), ("All regions", "all_regions"))
_PLAN_OPTIONS = (("Starter", "plan_starter"), ("Business", "plan_business"), ("Enterprise", "plan_enterprise"))

# rules: id, kind (trigger | automation), title, notification subject, notification body
_RULES: tuple[tuple[int, str, str, str, str], ...] = (
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
)
R_RECEIVED, R_AGENTS_NEW, R_COMMENT_UPDATE, R_ASSIGNEE_UPDATE, R_ASSIGNMENT = range(5)
R_URGENT_ACK, R_ROUTE_OWNER, R_UNASSIGNED_URGENT, R_REMINDER, R_AUTO_SOLVE, R_CLOSE = range(5, 11)

# --- texts -----------------------------------------------------------------------------------------------
# Placeholders: {c} requester's first name, {a} author's first name, {ar} author's region, {n} and {nf} the
# named person's full and first name, {region} the named person's region, {area} the topic, {t} ticket id.


# fmt: off
@dataclass(frozen=True, slots=True)
class _Topic:
    """A product area: its tag (the Product area field's value) and a few coherent cases."""

    tag: str
    label: str
    area: str
    weight: int
    cases: tuple[tuple[str, str, str, str, str], ...]
    """(subject, the customer's symptom, the cause, a next step, the fix), each case consistent in itself."""


_TOPICS: tuple[_Topic, ...] = (
    _Topic("pipelines", "Data pipelines", "data pipeline", 9, (
        ("Nightly pipeline run fails since the weekend",
         "Our nightly pipeline has been failing since Saturday with a timeout on the orders connector.",
         "The connector times out because the source table gained several very wide columns.",
         "Raising the batch timeout to 30 minutes should let the sync complete.",
         "Upgrading the connector to version 4.2 fixes the timeout for good."),
        ("Pipeline stuck in 'queued' for hours",
         "The sync for our main pipeline sits in 'queued' for hours and never starts.",
         "The pipeline is waiting on a lock held by a manual run that never finished.",
         "Cancelling the stale manual run from the pipeline page will release the lock.",
         "We've shipped a fix that stops a stale run from blocking the schedule."),
        ("Incremental load is duplicating rows",
         "Since the last release, the incremental load inserts every changed row twice.",
         "The incremental cursor was reset when the source schema changed, so rows are replayed.",
         "A one-off full refresh of the affected table will clean up the duplicates.",
         "The cursor is now kept across schema changes, so rows are no longer replayed."),
    )),
    _Topic("warehouse", "Warehouse", "warehouse", 6, (
        ("Warehouse queries time out after the upgrade",
         "Queries against our warehouse started timing out after yesterday's upgrade.",
         "The upgrade switched your warehouse to a smaller default compute size.",
         "Setting the compute size back to 'medium' in the warehouse settings should restore query times.",
         "Engineering has restored the previous compute default for all upgraded warehouses."),
        ("Schema change not picked up by the warehouse sync",
         "We added two columns to the customers table, but they don't show up in the warehouse.",
         "Schema changes are only detected on the next full sync, which runs weekly for this table.",
         "A manual schema refresh from the table settings will pick up the new columns.",
         "Schema changes are now detected on every incremental sync."),
        ("Unexpected spike in warehouse credit usage",
         "Our warehouse credit usage tripled this week without any change on our side.",
         "A dashboard refreshes every minute and runs a full table scan each time.",
         "Lowering the dashboard refresh interval to one hour will bring usage back to normal.",
         "Dashboards can no longer refresh more often than every 15 minutes."),
    )),
    _Topic("sso", "Single sign-on", "SSO", 5, (
        ("SSO login loops back to the sign-in page",
         "When our users sign in with SSO, they end up back on the sign-in page in a loop.",
         "The session cookie is dropped because the identity provider redirects to the old domain.",
         "Updating the redirect URL in your identity provider to the new domain should end the loop.",
         "Sign-in now follows the new domain automatically after a domain change."),
        ("Users can't sign in with Okta since this morning",
         "Since this morning nobody in our company can sign in through Okta.",
         "The identity provider's signing certificate was rotated and the new one isn't uploaded yet.",
         "Uploading the new certificate under Settings > Security > SSO will restore sign-in.",
         "The SSO settings now accept both certificates during a rotation."),
        ("Admins locked out after enforcing SSO",
         "We enforced SSO yesterday and now two of our admins can't get in at all.",
         "The admins' accounts use a different e-mail domain than the one mapped in your SSO settings.",
         "Adding the second e-mail domain to the SSO domain list will let the admins sign in.",
         "We've added a check that warns before enforcing SSO when admins would be locked out."),
    )),
    _Topic("saml", "SAML", "SAML", 4, (
        ("SAML assertion rejected: audience mismatch",
         "Our SAML logins fail with 'audience mismatch' since we moved to a new tenant.",
         "The entity ID in your identity provider still points to the old tenant.",
         "Changing the audience URI in the identity provider to the new entity ID will fix the mismatch.",
         "The error page now shows the expected entity ID right next to the error."),
        ("Help with SAML certificate rotation",
         "Our SAML signing certificate expires next week and we're not sure how to rotate it without downtime.",
         "Only one signing certificate can be active at a time with your current settings.",
         "Uploading the new certificate as the secondary certificate lets both work during the switch.",
         "Secondary certificates are now available on every plan."),
        ("SAML response signature invalid",
         "Sign-in fails with 'SAML response signature invalid' for everyone.",
         "The certificate uploaded on our side has an extra line break, so the signature check fails.",
         "Uploading the certificate again as a single PEM block should fix the signature check.",
         "Certificate uploads are now normalised, so stray line breaks no longer break sign-in."),
    )),
    _Topic("scim", "SCIM provisioning", "SCIM provisioning", 4, (
        ("SCIM provisioning creates duplicate users",
         "SCIM provisioning from our identity provider keeps creating duplicate users.",
         "The duplicates have a different e-mail case than the existing accounts, so they don't match.",
         "Merging the duplicates and matching on e-mail case-insensitively will stop new ones.",
         "User matching over SCIM is now case-insensitive."),
        ("Deprovisioned users are still active",
         "Users we removed in our identity provider are still active in the app days later.",
         "Deprovisioning sends a PATCH that sets 'active' to false, which only suspends the seat.",
         "Switching the deprovisioning action to 'delete' in your identity provider will remove the accounts.",
         "Deprovisioned users now free their seat immediately."),
        ("SCIM group push fails with 409",
         "Pushing groups over SCIM fails with a 409 conflict error.",
         "A group with the same display name already exists; it was created by hand before SCIM was set up.",
         "Renaming or deleting the hand-made group will let the push go through.",
         "We've fixed the conflict check so existing groups are linked instead of rejected."),
    )),
    _Topic("billing", "Billing", "billing", 10, (
        ("Invoice shows the wrong number of seats",
         "Our latest invoice lists 120 seats but we only have 95 active users.",
         "Seats of deactivated users are counted until the end of the billing period.",
         "Removing the deactivated users before the renewal date will bring the seat count down.",
         "I've applied a credit for the extra seats to your next invoice."),
        ("Please update our billing contact",
         "Our billing contact has left the company; could you change it to our finance team?",
         "Billing contacts can only be changed by the account owner.",
         "The account owner can change the billing contact under Settings > Billing.",
         "I've updated the billing contact for you."),
        ("We were charged twice this month",
         "We see two charges for this month's subscription on our card.",
         "The first charge failed at the bank and was retried, so one of the two is a pending authorisation.",
         "The pending authorisation will drop off your statement within a few business days.",
         "Our payments team confirmed that only one charge will settle."),
    )),
    _Topic("api", "API", "API", 14, (
        ("API returns 429 rate limit errors",
         "Our integration started getting 429 errors from the API this morning.",
         "Your integration polls the list endpoint every few seconds, which exceeds the per-minute limit.",
         "Switching to the incremental endpoint and backing off on 429 responses will keep you under the limit.",
         "We've raised the rate limit for your account while you make the change."),
        ("Webhook deliveries are delayed",
         "Webhooks arrive 20 to 30 minutes late since yesterday.",
         "Your webhook endpoint responds slowly, so deliveries back off and queue up.",
         "Responding to the webhook with 200 first and processing asynchronously will clear the backlog.",
         "Webhook retries no longer hold up newer deliveries."),
        ("API token stopped working",
         "Our API token suddenly returns 401 Unauthorized.",
         "The token was created by a user who has since been deactivated.",
         "Creating a new token under an active admin account will restore access.",
         "Tokens now keep working when their creator is deactivated, as long as the account has an active admin."),
    )),
    _Topic("dashboards", "Dashboards", "dashboard", 14, (
        ("Dashboard widgets show no data",
         "All widgets on our sales dashboard show 'No data' since Monday.",
         "The dashboard's date filter is set to a fixed range that ended last week.",
         "Changing the date filter to 'last 30 days' will bring the data back.",
         "Fixed date ranges now show a warning when they end."),
        ("Scheduled report e-mail was not sent",
         "The weekly report e-mail didn't arrive this Monday.",
         "The report's recipient list contains an address that bounced, which paused the schedule.",
         "Removing the bounced address and saving the schedule again will resume the e-mails.",
         "Paused schedules now notify the report owner."),
        ("CSV export is truncated",
         "Exporting the dashboard to CSV stops at 10,000 rows.",
         "CSV exports from widgets are capped at 10,000 rows.",
         "The full data export under Reports avoids the widget cap.",
         "We've raised the widget export limit to 100,000 rows."),
    )),
    _Topic("integrations", "Integrations", "integration", 14, (
        ("Slack integration stopped posting",
         "Our Slack channel stopped receiving notifications from the integration.",
         "The Slack app was removed from the channel when the channel was made private.",
         "Adding the app to the private channel again will restore the notifications.",
         "The integration now warns when it loses access to a channel."),
        ("Salesforce sync mapping error",
         "The Salesforce sync fails with 'field mapping error' on every run.",
         "A custom field mapped in the sync was deleted in Salesforce.",
         "Removing the deleted field from the mapping will let the sync run again.",
         "Broken field mappings are now skipped with a warning instead of failing the whole sync."),
        ("Jira integration creates duplicate issues",
         "Every update creates a new Jira issue instead of updating the linked one.",
         "The Jira project key was changed, so existing links no longer resolve.",
         "Linking the project again under Integrations > Jira will stop the duplicates.",
         "Links now survive a change of the Jira project key."),
    )),
    _Topic("mobile", "Mobile app", "mobile app", 8, (
        ("Mobile app crashes on launch (Android)",
         "The Android app crashes right after the splash screen since the latest update.",
         "Version 8.3.0 has a bug on devices with a work profile.",
         "Clearing the app cache or installing 8.3.1 from the store avoids the crash.",
         "Version 8.3.1 with the fix is now rolling out."),
        ("Push notifications not arriving on iOS",
         "Our team doesn't get push notifications on iPhone anymore.",
         "Notification permissions were reset by the last iOS update.",
         "Turning notifications back on under iOS Settings > Notifications will restore them.",
         "The app now asks for notification permission again after an iOS update."),
        ("Can't log in on the mobile app",
         "Signing in on the mobile app fails although the web app works.",
         "The mobile app doesn't support your SSO configuration yet.",
         "Signing in with the 'Use SSO' button instead of the password form should work.",
         "The next release adds full SSO support on mobile."),
    )),
    _Topic("account", "Account & access", "account", 12, (
        ("Transfer account ownership",
         "Our account owner is leaving and we need to transfer ownership to a colleague.",
         "Ownership can only be transferred by the current owner or after identity verification.",
         "The current owner can transfer ownership under Settings > Account.",
         "I've completed the ownership transfer after verification."),
        ("Password reset e-mail not arriving",
         "I requested a password reset three times but no e-mail arrives.",
         "Our reset e-mails are being quarantined by your mail filter.",
         "Allowing e-mails from our sending domain in your mail filter will let the reset through.",
         "We now publish our sending domains so they are easy to allow-list."),
        ("Add a new admin to our workspace",
         "We need to give admin rights to a new team lead.",
         "Only the account owner can grant admin rights.",
         "The account owner can change the role under Settings > Team.",
         "I've granted the admin role as requested."),
    )),
)
# fmt: on
_POD_TAGS = frozenset(tag for _, tags, _ in _PODS.values() for tag in tags)

_GENERIC_TEXTS: dict[str, tuple[str, ...]] = {
    "hi_first": ("Hi {c},", "Hello {c},", "Hi {c}, thanks for reaching out.", "Hi {c}, thanks for contacting us."),
    "hi": ("Hi {c},", "Hello {c},", "Hi {c}, thanks for the update.", "Hi {c}, thanks for the quick reply."),
    "sign": ("Best regards,\n{a}", "Kind regards,\n{a}", "Thanks,\n{a}", "Cheers,\n{a}", "Best,\n{a}"),
    "c_hi": ("Hi,", "Hello,", "Hi team,", "Hi support,", "Good morning,"),
    "c_sign": ("Thanks,\n{a}", "Best,\n{a}", "Regards,\n{a}", "Thank you,\n{a}", "{a}"),
    "c_ask": (
        "Could you please take a look? It affects several people on our team.",
        "Let me know if you need anything else from us.",
        "This is fairly urgent for us, we have a deadline this week.",
        "Is this a known issue?",
    ),
    "c_followup": (
        "Thanks, I tried that but the problem is still there.",
        "Here are the details you asked for: it started around 09:40 our time and affects every user.",
        "I've attached the log export from this morning.",
        "Any update on this? We're still blocked.",
        "That helped partially, but we still see the error now and then.",
        "We rolled back the change on our side, but it didn't make a difference.",
        "Quick update: it worked for a day, then failed again last night.",
        "A colleague says it only happens for users in our Singapore office, if that helps.",
        "We can't change that setting ourselves; could you check whether there's another way?",
        "Is there a workaround in the meantime? Our team is waiting on this.",
    ),
    "c_thanks": (
        "That fixed it, thank you so much!",
        "All good now, thanks for your help.",
        "Confirmed, it works again. You can close this.",
        "Great, thanks. Everything looks normal this morning.",
    ),
    "c_reopen": (
        "Sorry to reopen this, but the problem came back this morning.",
        "It happened again today, same error as before.",
    ),
    "c_region": (
        "Please note that our IT team has moved to another office; I've updated our preferred support region.",
        "We'd prefer to work with your team in our new time zone from now on, so I changed the preferred region.",
    ),
    "c_cc": (
        "I'm copying {n}, our account manager, who knows our setup.",
        "Adding {n} from your team, who helped us set this up.",
    ),
    "first": (
        "Thanks for the detailed report. I'm looking into this now and will update you as soon as I know more.",
        "I've reproduced this on our side and I'm checking the logs for your account.",
        "I can see the errors in our logs and I'm investigating.",
        "Could you send me the time of the last failure and a screenshot of the error? "
        "In the meantime I'm checking our logs.",
    ),
    "next": (
        "Thanks, that helps a lot.",
        "Thanks for the extra details.",
        "Thanks for testing that.",
        "I've looked into this further.",
        "Sorry for the wait on this one.",
    ),
    "solve": (
        "Glad to hear it's working again. I'll mark this request as solved; just reply if anything comes up.",
        "Since the fix is confirmed, I'm closing this one out. Don't hesitate to reach out if it happens again.",
        "Happy we could sort this out. I'm setting the ticket to solved.",
    ),
    "solve_direct": (
        "I'm marking this as solved for now; if the problem comes back, just reply and the ticket reopens.",
        "This should resolve it, so I'm setting the ticket to solved. Reply any time if it doesn't.",
    ),
    "confirm_solve": (
        "Great, thanks for confirming! I'm closing this now.",
        "Thanks for letting us know. Marking this as solved.",
    ),
    "take": (
        "I'm taking this one and will be your point of contact from here.",
        "I've picked up your request and I'm looking into it now.",
        "I'll be handling this request from now on.",
    ),
    "handover_take": (
        "I'm {a} from the {ar} team; I'm taking over from my colleague so you get answers during your working hours.",
        "As part of our follow-the-sun handover, I'm picking this up and will see it through.",
    ),
    "coverage": (
        "{nf} is offline at the moment, so I'm stepping in to keep things moving. {nf} will follow up when back.",
        "{nf} is outside working hours right now; I'm picking up your latest message in the meantime.",
        "{nf} is off shift right now, so I'm answering from the {ar} team to keep things moving.",
    ),
    "coverage_away": (
        "I'm covering for {nf}, who is out of office this week, so you aren't left waiting.",
        "{nf} is away at the moment; I'm picking this up in the meantime.",
    ),
    "driveby": (
        "Jumping in because I've seen this before.",
        "I noticed this in the queue and wanted to share a quick tip.",
        "I happened to see your message and might be able to help.",
    ),
    "unowned": (
        "Thanks for contacting us. A specialist will pick this up shortly.",
        "Thanks for the report; we've received it and someone from the {area} team will follow up.",
        "A first pointer while we find the right person for this:",
    ),
    "helper_public": (
        "My colleague asked me to help here, since I work on {area} issues a lot.",
        "I've been looped in to help with the {area} side of this.",
        "Adding some detail from the {area} side.",
    ),
    "helper_note": ("Had a look as requested.", "Checked this for you.", "Looked into it; here is what I found."),
    "pod_note": (
        "Investigated from the {area} side.",
        "Saw this {area} ticket come in and had a look at the logs.",
        "Some background from the {area} side, in case it helps.",
    ),
    "pod_followup": (
        "Follow-up after checking with engineering:",
        "One more thing I found:",
        "Update from my side:",
    ),
    "own_note": (
        "Reproduced on staging and filed an engineering ticket.",
        "Checked the account settings; nothing unusual so far.",
        "Waiting for the customer's logs before escalating.",
        "Customer is on a trial that ends next week, keeping an eye on it.",
    ),
    "lead_note": (
        "FYI: this account renews next month, please keep the reply target in mind.",
        "Similar report from another customer last week, might be the same root cause.",
        "Heads-up: engineering is deploying a fix in this area tonight.",
        "Please keep the customer updated at least daily on this one.",
    ),
    "collab_note": (
        "Adding needs_collaboration: could someone who knows the {area} side have a look? "
        "I'm not sure about the next step.",
        "Tagging for collaboration: I'd appreciate a second pair of eyes on this {area} issue.",
    ),
    "mention_note": (
        "@{n} could you take a look at this {area} issue when you have a moment?",
        "@{n} you handled something similar recently, could you check this one?",
    ),
    "loop_note": ("Looping in {n} for {area} expertise.", "Adding {n} as a follower, they know this area well."),
    "handover_note": (
        "Handing over to the {region} team for the next update.",
        "End of my day here: passing this to {region}.",
    ),
    "handover_named": (
        "Handing over to {n} ({region}) for the next update.",
        "Reassigning to {n} in {region} so the customer gets answers in their time zone.",
    ),
    "summary": (
        "Summary: cause identified, waiting on the customer to confirm the workaround.",
        "Summary: the customer sent logs; next step is to check them against the known issue.",
        "Summary: fix suggested, the customer is testing.",
    ),
    "ack_name": (
        "My colleague {n} looked into this with me.",
        "With help from {n} on our team, we found the cause.",
        "I checked with {n}, who knows this area well.",
    ),
    "proactive": (
        "We noticed an issue that may affect your {area} setup and wanted to reach out before it causes trouble.",
        "Following up on our call: I'm opening this request to track the {area} change we discussed.",
    ),
    "reminder": (
        "Hi {c},\n\nWe haven't heard back from you for a few days, so we wanted to check in. Is there anything "
        "else we can help with? If we don't hear from you, this request will be solved automatically.\n\n"
        + SUPPORT_NAME,
    ),
    "urgent_ack": (
        "We've received your urgent request (#{t}). An engineer has been notified and will get back to you "
        "shortly.\n\n" + SUPPORT_NAME,
    ),
}

TEXTS: list[str] = []
_GROUPS: dict[str, tuple[int, int]] = {}


def _register(name: str, texts: Sequence[str]) -> None:
    _GROUPS[name] = (len(TEXTS), len(TEXTS) + len(texts))
    TEXTS.extend(texts)


for _name, _texts in _GENERIC_TEXTS.items():
    _register(_name, _texts)
_CASE_PARTS = ("subject", "symptom", "cause", "step", "fix")
for _topic in _TOPICS:
    for _index, _kind in enumerate(_CASE_PARTS):
        _register(f"{_topic.tag}.{_kind}", [case[_index] for case in _topic.cases])


# --- people ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    email: str
    time_zone: str
    support_region: str | None
    role: str
    region: str
    """Effective region code under the policy (the user field, else the time zone)."""
    group: int
    lead: bool
    pods: frozenset[str]
    created: int

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    name: str
    domain: str
    region: str
    time_zone: str
    plan: str
    owner: int
    """The account owner (an agent of the company's region)."""


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    email: str
    company: int
    """Index into the companies."""
    time_zone: str
    preferred: str | None
    offset: int
    """The customer's UTC offset in seconds at the start of the quarter (for plausible reply times)."""
    created: int

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(slots=True)
class DemoPlan:
    """Everything the writer needs: the account, the people, the policy override and the ticket plans."""

    seed: int
    start: date
    days: int
    start_ts: int
    end_ts: int
    override: dict[str, Any]
    policy: Policy
    agents: list[Agent]
    companies: list[Company]
    customers: list[Customer]
    tickets: list[TicketPlan]
    by_id: dict[int, Agent | Customer] = field(default_factory=dict)

    def name_of(self, user_id: int) -> str:
        person = self.by_id.get(user_id)
        return person.name if person else ""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`generate_export` wrote."""

    out_dir: Path
    policy_path: Path
    files: tuple[Path, ...]
    tickets: int
    users: int
    agents: int
    audits: int
    events: int
    comments: int
    agent_comments: int
    """Comments by agents, except opening descriptions and trigger/automation comments: what is judged."""
    ticket_pages: int
    audit_pages: int


# --- time ---------------------------------------------------------------------------------------------


def _ts(day: date, hour: int = 0, minute: int = 0, zone: ZoneInfo | None = None) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone or UTC).timestamp())


def _iso(ts: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(ts))


class _Calendar:
    """Business hours of every policy region as sorted [open, close) intervals of epoch seconds."""

    def __init__(self, policy: Policy, first: date, last: date) -> None:
        org = policy.organisation
        self.opens: dict[str, list[int]] = {}
        self.closes: dict[str, list[int]] = {}
        for code, region in org.regions.items():
            days = region.days or org.business_days
            start, end = region.span
            opens: list[int] = []
            closes: list[int] = []
            day = first
            while day <= last:
                if WEEKDAYS[day.weekday()] in days:
                    opens.append(math.ceil(datetime.combine(day, start, tzinfo=region.zone).timestamp()))
                    closes.append(math.ceil(datetime.combine(day, end, tzinfo=region.zone).timestamp()))
                day += timedelta(days=1)
            self.opens[code] = opens
            self.closes[code] = closes

    def is_open(self, region: str, t: int) -> bool:
        index = bisect.bisect_right(self.opens[region], t) - 1
        return index >= 0 and t < self.closes[region][index]

    def next_open(self, region: str, t: int) -> int:
        """``t`` if the region is open then, else when it next opens."""
        opens = self.opens[region]
        index = bisect.bisect_right(opens, t) - 1
        if index >= 0 and t < self.closes[region][index]:
            return t
        return opens[index + 1] if index + 1 < len(opens) else FAR

    def close_after(self, region: str, t: int) -> int:
        """The close of the business day open at ``t``, else of the next one."""
        opens = self.opens[region]
        index = bisect.bisect_right(opens, t) - 1
        if index >= 0 and t < self.closes[region][index]:
            return self.closes[region][index]
        return self.closes[region][index + 1] if index + 1 < len(opens) else FAR


# --- planning -----------------------------------------------------------------------------------------


def _override(start: date) -> dict[str, Any]:
    """The policy override of the demo: two pods and two out-of-office periods, agents named by e-mail."""
    emails = {name: _email(name, "example.com") for name, *_ in _AGENTS}
    pods = {
        name: {"members": [emails[member] for member in members], "tags": list(tags), "description": text}
        for name, (members, tags, text) in _PODS.items()
    }
    away = []
    for name, offset, length, note in _OUT_OF_OFFICE:
        first = start + timedelta(days=offset)
        first += timedelta(days=(7 - first.weekday()) % 7)  # a Monday
        away.append({"agent": emails[name], "start": first, "end": first + timedelta(days=length - 1), "note": note})
    return {"organisation": {"pods": pods, "out_of_office": away}}


def _email(name: str, domain: str) -> str:
    table = str.maketrans({"é": "e", "í": "i", "á": "a", "ø": "o", "'": "", " ": "."})
    return f"{name.lower().translate(table)}@{domain}"


class _Ids:
    """Zendesk-looking ids: increasing, with irregular gaps."""

    def __init__(self, rng: random.Random, first: int) -> None:
        self.rng = rng
        self.value = first

    def __call__(self) -> int:
        self.value += self.rng.randint(200_000, 9_000_000)
        return self.value


def _people(
    rng: random.Random, policy: Policy, start: date, customers: int
) -> tuple[list[Agent], list[Company], list[Customer]]:
    start_ts = _ts(start)
    ids = _Ids(rng, 381_020_000_000 * 100)
    pods_of: dict[str, set[str]] = {}
    for pod, (members, _, _) in _PODS.items():
        for member in members:
            pods_of.setdefault(member, set()).add(pod)
    agents: list[Agent] = []
    for name, zone, field_value, role in _AGENTS:
        email = _email(name, "example.com")
        user = User(
            id=0,
            name=name,
            role=role,
            email=email,
            time_zone=zone,
            fields={"support_region": field_value} if field_value else {},
        )
        region = policy.region_of_user(user)
        if region is None:
            raise ValueError(f"demo agent {name} has no region under the policy")
        agents.append(
            Agent(
                id=ids(),
                name=name,
                email=email,
                time_zone=zone,
                support_region=field_value,
                role=role,
                region=region,
                group=GROUP_IDS.get(region, GROUP_IDS["AMER"]),
                lead=role == "admin",
                pods=frozenset(pods_of.get(name, ())),
                created=start_ts - rng.randint(120, 1400) * DAY - rng.randrange(DAY),
            )
        )
    companies: list[Company] = []
    by_region: dict[str, list[Agent]] = {}
    for agent in agents:
        if not agent.lead:
            by_region.setdefault(agent.region, []).append(agent)
    for index, (name, region) in enumerate(_COMPANIES):
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        plan = rng.choices(("plan_starter", "plan_business", "plan_enterprise"), (3, 4, 3))[0]
        companies.append(
            Company(
                id=360_020_000_000 + 1_000 * index + rng.randint(1, 999),
                name=name,
                domain=f"{slug}.example.com",
                region=region,
                time_zone=rng.choice(_REGION_TIME_ZONES[region]),
                plan=plan,
                owner=rng.choice(by_region[region.upper()]).id,
            )
        )
    names = [(first, last) for first in _FIRST_NAMES for last in _LAST_NAMES]
    chosen = rng.sample(names, customers)
    people: list[Customer] = []
    for first, last in chosen:
        company_index = rng.randrange(len(companies))
        company = companies[company_index]
        roll = rng.random()
        if roll < 0.76:
            preferred: str | None = company.region
        elif roll < 0.88:
            preferred = "all_regions"
        elif roll < 0.95:
            preferred = None
        else:
            preferred = rng.choice([r for r in ("amer", "emea", "apac") if r != company.region])
        zone = company.time_zone if rng.random() < 0.8 else rng.choice(_REGION_TIME_ZONES[company.region])
        offset_delta = ZoneInfo(zone).utcoffset(datetime(start.year, start.month, start.day)) or timedelta(0)
        offset = int(offset_delta.total_seconds())
        people.append(
            Customer(
                id=0,
                name=f"{first} {last}",
                email=_email(f"{first} {last}", company.domain),
                company=company_index,
                time_zone=zone,
                preferred=preferred,
                offset=offset,
                created=start_ts - rng.randint(20, 900) * DAY - rng.randrange(DAY),
            )
        )
    people = [
        Customer(
            id=ids(),
            name=c.name,
            email=c.email,
            company=c.company,
            time_zone=c.time_zone,
            preferred=c.preferred,
            offset=c.offset,
            created=c.created,
        )
        for c in people
    ]
    return agents, companies, people


_PRIORITIES = (None, "low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = (12, 15, 45, 20, 8)
_TYPES = (None, "question", "incident", "problem", "task")
_TYPE_WEIGHTS = (30, 35, 25, 5, 5)
# reply delays (seconds) by priority: (min, max) after the customer's message, before business hours apply
_DELAYS = {"urgent": (5 * MINUTE, 40 * MINUTE), "high": (15 * MINUTE, 150 * MINUTE), "normal": (30 * MINUTE, 6 * HOUR)}
_DELAYS["low"] = (HOUR, 12 * HOUR)
_COVERAGE_CHANCE = {"urgent": 0.30, "high": 0.18, "normal": 0.06, "low": 0.03}


class _World:
    """The shared facts a ticket simulation asks about."""

    def __init__(self, plan: DemoPlan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        policy = plan.policy
        self.cal = _Calendar(policy, plan.start - timedelta(days=7), plan.start + timedelta(days=plan.days + 150))
        self.regions = tuple(policy.organisation.regions)
        self.agents = {agent.id: agent for agent in plan.agents}
        self.pool = {code: [a for a in plan.agents if a.region == code and not a.lead] for code in self.regions}
        self.everyone = [a for a in plan.agents if not a.lead]
        self.leads = {a.region: a for a in plan.agents if a.lead}
        self.escalations = frozenset(a.id for a in plan.agents if a.name in _ESCALATION_TEAM)
        self.pod_members = {name: [a for a in plan.agents if name in a.pods] for name in policy.organisation.pods}
        self.pod_of_tag = {tag: name for name, pod in policy.organisation.pods.items() for tag in pod.tags}
        self.away_periods: dict[int, list[tuple[int, int]]] = {}
        by_email = {a.email.lower(): a.id for a in plan.agents}
        for period in policy.organisation.out_of_office:
            agent_id = by_email.get(str(period.agent).lower(), period.agent)
            begin = (
                period.start
                if isinstance(period.start, datetime)
                else datetime.combine(period.start, datetime.min.time())
            )
            end = period.end if isinstance(period.end, datetime) else datetime.combine(period.end, datetime.max.time())
            span = (
                int(begin.replace(tzinfo=begin.tzinfo or UTC).timestamp()),
                int(end.replace(tzinfo=end.tzinfo or UTC).timestamp()),
            )
            self.away_periods.setdefault(agent_id, []).append(span)  # type: ignore[arg-type]
        targets = policy.organisation.reply_targets
        self.targets = {k: (int(v.first.total_seconds()), int(v.next.total_seconds())) for k, v in targets.items()}
        self.default_priority = policy.organisation.default_priority
        self.fraction = policy.rules.coverage.wait_fraction
        self.region_values = {code: code.lower() for code in self.regions}
        self.shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def away(self, agent_id: int, t: int) -> bool:
        periods = self.away_periods.get(agent_id)
        return bool(periods) and any(a <= t <= b for a, b in periods)  # type: ignore[union-attr]

    def share(self, ops: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
        """The ops as a tuple, with repeated non-comment ops (status changes, notifications, ...) shared."""
        shared = self.shared
        return tuple(op if op[0] == K_COMMENT else shared.setdefault(op, op) for op in ops)

    def away_until(self, agent_id: int, t: int) -> int | None:
        """The end of the agent's time off that covers ``t``, if any."""
        for begin, end in self.away_periods.get(agent_id, ()):
            if begin <= t <= end:
                return end
        return None

    def available(self, agent: Agent, t: int) -> bool:
        return self.cal.is_open(agent.region, t) and not self.away(agent.id, t)

    def region_of_value(self, value: str | None) -> str | None:
        if value is None or value == "all_regions":
            return None
        return value.upper()

    def soonest_region(self, t: int, exclude: str | None = None) -> str:
        best, when = self.regions[0], FAR
        for code in self.regions:
            if code == exclude:
                continue
            opens = self.cal.next_open(code, t)
            if opens < when:
                best, when = code, opens
        return best


def _pick(rng: random.Random, choices: Sequence[str], cum: Sequence[float]) -> str:
    return choices[bisect.bisect_right(cum, rng.random() * cum[-1])]


class _Sim:
    """One ticket, simulated update by update, with the state the engine will replay."""

    def __init__(
        self, world: _World, plan: TicketPlan, customer: Customer, topic: _Topic, priority: str | None, pref: str | None
    ) -> None:
        self.w = world
        self.rng = world.rng
        self.random = world.rng.random
        self.plan = plan
        self.customer = customer
        self.topic = topic
        self.created = plan.created
        self.t = plan.created
        self.end = world.plan.end_ts
        # ticket state
        self.status = "new"
        self.priority = priority
        self.assignee: int | None = None
        self.group: int | None = None
        self.tags: tuple[str, ...] = ()
        self.followers: tuple[int, ...] = ()
        self.ccs: tuple[int, ...] = ()
        self.pref = pref
        # what the engine remembers
        self.tag_by: dict[str, int] = {}
        self.follower_by: dict[int, int] = {}
        self.cc_by: dict[int, int] = {}
        self.last_reply: int | None = None
        self.waiting: int | None = None
        self.recent: list[tuple[int, int]] = []  # (time, agent) of agent comments
        # follow-ups owed by the assignee's next reply
        self.acks: list[tuple[int, str]] = []
        self.drop_collab = False
        self.bump = False
        self.solved_at: int | None = None

    # --- small helpers --------------------------------------------------------------------------

    def rand(self, low: int, high: int) -> int:
        """A random integer in [low, high] (cheaper than ``randint``)."""
        return low + int(self.random() * (high - low + 1))

    def when(self, t: int) -> int:
        return t if t > self.t else self.t + self.rand(20, 90)

    def push(self, at: int, author: int, via: int, ops: list[tuple[Any, ...]], rule: int = -1) -> None:
        assert at > self.t or not self.plan.steps, "steps must move forward in time"
        self.plan.steps.append(Step(at, author, via, rule, self.w.share(ops)))
        self.t = at

    def parts(self, *groups: str | int) -> tuple[int, ...]:
        """Text indices: a random text of each named group (an int is a text index already)."""
        out = []
        for name in groups:
            if isinstance(name, int):
                out.append(name)
            else:
                low, high = _GROUPS[name]
                out.append(low + int(self.random() * (high - low)))
        return tuple(out)

    def topic_part(self, kind: str) -> int:
        """This ticket's case of its topic: its symptom, cause, step or fix."""
        return _GROUPS[f"{self.topic.tag}.{kind}"][0] + self.plan.case

    def agent_time(self, agent: Agent, t: int, fast: bool = False) -> int:
        low, high = _DELAYS.get(self.priority or "normal", _DELAYS["normal"])
        if fast:
            low, high = low // 3, high // 3
        x = t + self.rand(low, high)
        opens = self.w.cal.next_open(agent.region, x)
        if opens != x and opens < FAR:
            opens += self.rand(3 * MINUTE, 50 * MINUTE)
        return opens

    def customer_time(self, t: int) -> int:
        roll = self.rng.random()
        if roll < 0.55:
            x = t + self.rand(15 * MINUTE, 4 * HOUR)
        elif roll < 0.9:
            x = t + self.rand(4 * HOUR, 26 * HOUR)
        else:
            x = t + self.rand(26 * HOUR, 72 * HOUR)
        local = x + self.customer.offset
        hour = (local // HOUR) % 24
        if hour < 7 or hour >= 22:
            x += ((7 - hour) % 24) * HOUR + self.rand(0, 150 * MINUTE)
            local = x + self.customer.offset
        weekday = (local // DAY + 3) % 7
        if weekday >= 5 and self.rng.random() < 0.7:
            x += (7 - weekday) * DAY
        return x

    def choose(
        self, pool: Sequence[Agent], t: int | None, exclude: Iterable[int] = (), quiet_since: int | None = None
    ) -> Agent | None:
        """A random agent of the pool, available at ``t`` (if given), not excluded."""
        skip = set(exclude)
        if quiet_since is not None:
            skip.update(agent for at, agent in self.recent if at >= quiet_since)
        candidates = [a for a in pool if a.id not in skip and (t is None or self.w.available(a, t))]
        return self.rng.choice(candidates) if candidates else None

    def owner(self) -> Agent | None:
        return self.w.agents.get(self.assignee) if self.assignee is not None else None

    # --- engine mirror ------------------------------------------------------------------------------

    def back(self, agent: Agent, t: int) -> int:
        """When the agent is next at work at or after ``t``'s shift end (or the end of their time off)."""
        after = self.w.away_until(agent.id, t)
        if after is not None:
            return self.w.cal.next_open(agent.region, after + 1)
        if self.w.cal.is_open(agent.region, t):
            t = self.w.cal.close_after(agent.region, t)
        return self.w.cal.next_open(agent.region, t)

    def coverage_holds(self, at: int) -> bool:
        owner = self.owner()
        if owner is None:
            return False
        if not self.w.away(owner.id, at) and self.w.cal.is_open(owner.region, at):
            return False
        first, following = self.w.targets.get(self.priority or "", self.w.targets[self.w.default_priority])
        since: int | None
        if self.last_reply is None:
            limit, since = first, self.created
        else:
            limit, since = following, self.waiting
        return since is not None and at - since >= self.w.fraction * limit

    def intent(self, author: int, public: bool, at: int, takes: bool) -> str:
        """The rule the engine will apply to this agent comment (mirrors the policy's rule order)."""
        if author == self.assignee:
            return "assignee"
        if takes:
            return "ownership"
        by = self.tag_by.get(SOLICIT_TAG)
        if by is not None and by != author:
            return "solicited"
        for watchers in (self.follower_by, self.cc_by):
            by = watchers.get(author)
            if by is not None and by != author:
                return "solicited"
        if not public:
            return "internal_note"
        if self.assignee is not None and self.coverage_holds(at):
            return "coverage"
        return "unowned_reply" if self.assignee is None else "unsolicited_reply"

    # --- updates ------------------------------------------------------------------------------------

    def agent_comment(
        self, at: int, author: int, public: bool, parts: tuple[int, ...], named: int = 0, takes: bool = False
    ) -> tuple[Any, ...]:
        intent = self.intent(author, public, at, takes)
        if public:
            self.last_reply = at
            self.waiting = None
        self.recent.append((at, author))
        return (K_COMMENT, author, public, parts, named, intent)

    def customer_comment(self, at: int, author: int, parts: tuple[int, ...], named: int = 0) -> tuple[Any, ...]:
        if self.waiting is None:
            self.waiting = at
        return (K_COMMENT, author, True, parts, named, "")

    def set_status(self, ops: list[tuple[Any, ...]], value: str) -> None:
        if self.status != value:
            ops.append((K_CHANGE, "status", value, self.status))
            self.status = value

    def set_assignee(self, ops: list[tuple[Any, ...]], agent: Agent | None) -> None:
        value = agent.id if agent else None
        if value == self.assignee:
            return
        ops.append((K_CHANGE, "assignee_id", value, self.assignee))
        self.assignee = value
        stays = self.group == GROUP_IDS["ESC"] and agent is not None and agent.id in self.w.escalations
        if agent is not None and self.group != agent.group and not stays:
            ops.append((K_CHANGE, "group_id", agent.group, self.group))
            self.group = agent.group

    def set_tags(
        self, ops: list[tuple[Any, ...]], actor: int, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        old = set(self.tags)
        new = (old | set(add)) - set(remove)
        if new == old:
            return
        value = tuple(sorted(new))
        ops.append((K_CHANGE, "tags", value, self.tags))
        for tag in old - new:
            self.tag_by.pop(tag, None)
        for tag in sorted(new - old):
            self.tag_by.setdefault(tag, actor)
        self.tags = value

    def add_watcher(self, ops: list[tuple[Any, ...]], kind: int, user: int, actor: int) -> bool:
        current = self.followers if kind == K_FOLLOWERS else self.ccs
        if user in current:
            return False
        new = (*current, user)
        ops.append((kind, new, current, self.rng.random() < 0.35))
        if kind == K_FOLLOWERS:
            self.followers = new
            self.follower_by.setdefault(user, actor)
        else:
            self.ccs = new
            self.cc_by.setdefault(user, actor)
        return True

    def notify(self, ops: list[tuple[Any, ...]], rule: int, recipients: Iterable[int]) -> None:
        people = tuple(dict.fromkeys(r for r in recipients if r))
        if people:
            ops.append((K_NOTIFY, rule, people))

    def reply_ops(self, ops: list[tuple[Any, ...]], status: str = "pending") -> None:
        self.set_status(ops, status)
        self.notify(ops, R_COMMENT_UPDATE, (self.plan.requester, *self.ccs_customers()))

    def ccs_customers(self) -> tuple[int, ...]:
        return tuple(c for c in self.ccs if c not in self.w.agents)

    # --- the story ----------------------------------------------------------------------------------

    def create(self, proactive: Agent | None) -> None:
        plan, customer = self.plan, self.customer
        company = self.w.plan.companies[customer.company]
        author = proactive.id if proactive else customer.id
        ops: list[tuple[Any, ...]] = []
        if proactive:
            parts = self.parts("hi_first", "proactive", self.topic_part("cause"), "sign")
        else:
            parts = self.parts("c_hi", self.topic_part("symptom"), "c_ask", "c_sign")
        ops.append((K_COMMENT, author, True, parts, 0, ""))
        region = self.w.region_of_value(self.pref) or self.w.soonest_region(self.created)
        group = GROUP_IDS["ESC"] if self.priority == "urgent" and self.rng.random() < 0.3 else GROUP_IDS[region]
        self.group = group
        tags = [self.topic.tag, company.plan]
        if self.pref:
            tags.append(self.pref)
        if plan.channel == V_WEB and not proactive:
            tags.append("web_form")
        self.tags = tuple(sorted(tags))
        for tag in self.tags:
            self.tag_by.setdefault(tag, author)
        ops += [
            (K_CREATE, "subject", plan.subject),
            (K_CREATE, "requester_id", customer.id),
            (K_CREATE, "status", "open" if proactive else "new"),
            (K_CREATE, "priority", self.priority),
            (K_CREATE, "type", plan.type),
            (K_CREATE, "group_id", group),
            (K_CREATE, "tags", self.tags),
            (K_CREATE, str(PREFERRED_FIELD_ID), self.pref),
            (K_CREATE, str(AREA_FIELD_ID), self.topic.tag),
            (K_CREATE, str(PLAN_FIELD_ID), company.plan),
            (K_CREATE, "organization_id", company.id),
            (K_CREATE, "brand_id", BRAND_ID),
            (K_CREATE, "ticket_form_id", FORM_ID),
        ]
        if proactive:
            ops.append((K_CREATE, "assignee_id", proactive.id))
            self.assignee = proactive.id
            self.status = "open"
        else:
            self.waiting = self.created
        self.notify(ops, R_RECEIVED, (customer.id,))
        if not proactive:
            region_code = next((c for c, g in GROUP_IDS.items() if g == group), "AMER")
            lead = self.w.leads.get(region_code) or self.w.leads[self.w.regions[0]]
            self.notify(ops, R_AGENTS_NEW, (lead.id,))
        self.plan.steps.append(Step(self.created, author, plan.channel, -1, self.w.share(ops)))
        if self.priority == "urgent" and not proactive and self.rng.random() < 0.7:
            at = self.created + self.rand(2, 40)
            self.push(at, SYSTEM, V_TRIGGER, [(K_COMMENT, SYSTEM, True, self.parts("urgent_ack"), 0, "")], R_URGENT_ACK)

    def pickup_region(self) -> str:
        preferred = self.w.region_of_value(self.pref)
        if preferred is None:
            return self.w.soonest_region(self.created + 5 * MINUTE)
        if self.rng.random() < 0.06:
            return self.rng.choice([r for r in self.w.regions if r != preferred])
        closed_long = self.w.cal.next_open(preferred, self.created) - self.created > 3 * HOUR
        if self.priority in ("urgent", "high") and closed_long and self.rng.random() < 0.6:
            return self.w.soonest_region(self.created + 5 * MINUTE)
        return preferred

    def unassigned_alarm(self, until: int) -> None:
        if self.priority == "urgent" and until - self.created > HOUR + 30 * MINUTE:
            at = self.created + HOUR + self.rand(60, 30 * MINUTE)
            if at < until - 60:
                leads = [lead.id for lead in self.w.leads.values()]
                ops: list[tuple[Any, ...]] = []
                self.notify(ops, R_UNASSIGNED_URGENT, leads)
                self.push(self.when(at), SYSTEM, V_AUTOMATION, ops, R_UNASSIGNED_URGENT)

    def pickup(self) -> bool:
        """Someone picks the ticket up. True when the assignee's first public reply has been made."""
        rng = self.rng
        company = self.w.plan.companies[self.customer.company]
        if company.plan == "plan_enterprise" and rng.random() < 0.3:
            return self.auto_assign(self.w.agents[company.owner])
        region = self.pickup_region()
        roll = rng.random()
        t = self.w.cal.next_open(region, self.created + self.rand(3 * MINUTE, 45 * MINUTE))
        if t != self.created and t < FAR:
            t += self.rand(2 * MINUTE, 40 * MINUTE)
        agent = self.choose(self.w.pool[region], t) or self.choose(self.w.everyone, t)
        if agent is None:
            t = self.agent_time(self.w.pool[region][0], t + HOUR)
            agent = self.choose(self.w.everyone, t)
            if agent is None:
                return False
        self.unassigned_alarm(t)
        at = self.when(t)
        if roll < 0.50:  # triage: the lead (or the agent themself) assigns, no comment
            lead = self.w.leads[region]
            actor = lead if rng.random() < 0.7 and self.w.available(lead, at) else agent
            ops: list[tuple[Any, ...]] = []
            self.set_assignee(ops, agent)
            self.set_status(ops, "open")
            if actor is not agent:
                self.notify(ops, R_ASSIGNMENT, (agent.id,))
            self.push(at, actor.id, V_WEB, ops)
            return False
        if roll < 0.76:  # takes it: replies and becomes the assignee in the same update
            ops = [
                self.agent_comment(
                    at, agent.id, True, self.parts("hi_first", "take", self.topic_part("step"), "sign"), takes=True
                )
            ]
            self.set_assignee(ops, agent)
            self.reply_ops(ops)
            self.push(at, agent.id, V_WEB, ops)
            return True
        if roll < 0.83:  # replies first, takes it a few minutes later
            ops = [self.agent_comment(at, agent.id, True, self.parts("hi_first", "first", "sign"), takes=True)]
            self.reply_ops(ops, "open")
            self.push(at, agent.id, V_WEB, ops)
            ops = []
            self.set_assignee(ops, agent)
            self.set_status(ops, "pending")
            self.push(self.when(at + self.rand(3 * MINUTE, 25 * MINUTE)), agent.id, V_WEB, ops)
            return True
        # someone answers (or notes) without taking it; the lead assigns someone else later
        public = rng.random() < 0.75
        parts = self.parts("hi_first", "unowned", self.topic_part("step"), "sign") if public else self.parts("own_note")
        ops = [self.agent_comment(at, agent.id, public, parts)]
        if public:
            self.reply_ops(ops, "open")
        else:
            self.set_status(ops, "open")
        self.push(at, agent.id, V_WEB, ops)
        later = self.when(at + self.rand(40 * MINUTE, 4 * HOUR))
        region = self.pickup_region()
        later = self.w.cal.next_open(region, later)
        owner = self.choose(self.w.pool[region], later, exclude=(agent.id,))
        if owner is None or later >= FAR:
            return public
        lead = self.w.leads[region]
        ops = []
        self.set_assignee(ops, owner)
        self.notify(ops, R_ASSIGNMENT, (owner.id,))
        self.push(self.when(later), lead.id if self.w.available(lead, later) else owner.id, V_WEB, ops)
        return False

    def auto_assign(self, owner: Agent) -> bool:
        """A trigger routes the ticket to the account owner; if they are off shift, someone may cover."""
        at = self.when(self.created + self.rand(5, 90))
        if self.w.away(owner.id, at):
            owner = self.choose(self.w.pool[owner.region], None, exclude=(owner.id,)) or owner
        ops: list[tuple[Any, ...]] = []
        self.set_assignee(ops, owner)
        self.set_status(ops, "open")
        self.notify(ops, R_ASSIGNMENT, (owner.id,))
        self.push(at, SYSTEM, V_TRIGGER, ops, R_ROUTE_OWNER)
        if not self.w.available(owner, at) and self.rng.random() < 0.75:
            self.cover(first=True)
        return False

    def cover(self, first: bool) -> bool:
        """Another region answers while the assignee is off shift, once the customer waited long enough."""
        owner = self.owner()
        if owner is None:
            return False
        first_target, next_target = self.w.targets.get(self.priority or "", self.w.targets[self.w.default_priority])
        since = self.created if self.last_reply is None else self.waiting
        if since is None:
            return False
        limit = first_target if self.last_reply is None else next_target
        earliest = max(self.t + MINUTE, since + math.ceil(self.w.fraction * limit) + self.rand(5 * MINUTE, 50 * MINUTE))
        back = self.back(owner, self.t + 1)
        candidates: list[tuple[int, Agent]] = []
        for code in self.w.regions:
            if code == owner.region and not self.w.away(owner.id, earliest):
                continue
            at = self.w.cal.next_open(code, earliest)
            if at >= back - 15 * MINUTE or at >= FAR:
                continue
            agent = self.choose(self.w.pool[code], at, exclude=(owner.id, *self.followers, *self.ccs))
            if agent is not None:
                candidates.append((at, agent))
        if not candidates:
            return False
        soonest = min(at for at, _ in candidates)
        at, agent = self.rng.choice([c for c in candidates if c[0] <= soonest + 30 * MINUTE])
        at = self.when(at + self.rand(0, 10 * MINUTE))
        if not self.coverage_holds(at) or not self.w.available(agent, at):
            return False
        why = "coverage_away" if self.w.away(owner.id, at) else "coverage"
        parts = self.parts("hi", why, self.topic_part("step"), "sign")
        ops = [self.agent_comment(at, agent.id, True, parts, named=owner.id)]
        self.reply_ops(ops)
        self.push(at, agent.id, V_WEB, ops)
        return True

    def assignee_reply(self, t: int, final: bool = False, core: str = "next") -> None:
        owner = self.owner()
        if owner is None:
            return
        at = self.when(self.agent_time(owner, t))
        if at >= FAR:
            self.t = FAR
            return
        if self.w.away(owner.id, at):
            self.out_of_office(owner)
            return
        groups: list[str | int] = ["hi_first" if core == "first" else "hi", core]
        named = 0
        ops: list[tuple[Any, ...]] = []
        follow: list[int] = []
        for person, how in self.acks:
            if how == "name" and not named:
                named = person
                groups.insert(1, "ack_name")
            elif how == "follow" or how == "name":
                follow.append(person)
        self.acks = []
        if final and core != "confirm_solve":
            groups += [self.topic_part("fix"), "solve_direct"]
        elif core != "first" and not final:
            groups.append(self.topic_part(self.rng.choice(("cause", "step", "fix"))))
        groups.append("sign")
        ops.append(self.agent_comment(at, owner.id, True, self.parts(*groups), named=named))
        for person in follow:
            self.add_watcher(ops, K_FOLLOWERS, person, owner.id)
        if self.drop_collab or final:
            self.set_tags(ops, owner.id, remove=(SOLICIT_TAG,))
            self.drop_collab = False
        if self.bump and self.priority in (None, "low", "normal"):
            higher = {None: "normal", "low": "normal", "normal": "high"}[self.priority]
            ops.append((K_CHANGE, "priority", higher, self.priority))
            self.priority = higher
            self.bump = False
        self.reply_ops(ops, "solved" if final else "pending")
        if final:
            self.solved_at = at
        self.push(at, owner.id, V_WEB, ops)

    def out_of_office(self, owner: Agent) -> None:
        """The assignee is away: perhaps someone covers, then a lead reassigns the ticket."""
        covered = self.rng.random() < 0.6 and self.cover(first=self.last_reply is None)
        region = self.w.region_of_value(self.pref) or owner.region
        later = self.t + (self.rand(45 * MINUTE, 3 * HOUR) if covered else self.rand(10 * MINUTE, 2 * HOUR))
        lead = self.w.leads[region]
        at = self.when(self.w.cal.next_open(region, later))
        if at >= FAR:
            self.t = FAR
            return
        new = self.choose(self.w.pool[region], at, exclude=(owner.id,), quiet_since=at - 45 * MINUTE)
        if new is None:
            new = self.choose(self.w.everyone, None, exclude=(owner.id,), quiet_since=at - 45 * MINUTE)
        if new is None:
            return
        ops: list[tuple[Any, ...]] = []
        self.set_assignee(ops, new)
        self.notify(ops, R_ASSIGNMENT, (new.id,))
        self.push(at, lead.id, V_WEB, ops)
        self.acks = []
        self.assignee_reply(at, core="take")

    def customer_reply(
        self, at: int, groups: Sequence[str], cc: Agent | None = None, region: str | None = None
    ) -> None:
        customer = self.customer
        named = cc.id if cc else 0
        if cc is not None:
            groups = (*groups[:-1], "c_cc", groups[-1])
        ops = [self.customer_comment(at, customer.id, self.parts(*groups), named=named)]
        if cc is not None:
            self.add_watcher(ops, K_CCS, cc.id, customer.id)
        if region is not None and region != self.pref:
            ops.append((K_CHANGE, str(PREFERRED_FIELD_ID), region, self.pref))
            self.set_tags(ops, customer.id, add=(region,), remove=(self.pref,) if self.pref else ())
            self.pref = region
        if self.status in ("pending", "solved"):
            self.set_status(ops, "open")
        self.notify(ops, R_ASSIGNEE_UPDATE, (self.assignee,) if self.assignee else ())
        via = V_EMAIL if self.rng.random() < 0.8 else V_WEB
        self.push(at, customer.id, via, ops)

    # --- episodes -----------------------------------------------------------------------------------

    def drive_by(self) -> None:
        owner = self.owner()
        if SOLICIT_TAG in self.tags:
            return
        at = self.when(self.t + self.rand(8 * MINUTE, 80 * MINUTE))
        pool: Sequence[Agent] = self.w.everyone
        pod = self.w.pod_of_tag.get(self.topic.tag)
        if pod and self.rng.random() < 0.3:
            pool = self.w.pod_members[pod]
        exclude = (owner.id if owner else 0, *self.followers, *self.ccs)
        agent = self.choose(pool, at, exclude=exclude)
        if agent is None or (owner is not None and self.coverage_holds(at)):
            return
        ops = [self.agent_comment(at, agent.id, True, self.parts("hi", "driveby", self.topic_part("step"), "sign"))]
        self.reply_ops(ops, "pending" if owner else "open")
        self.push(at, agent.id, V_WEB, ops)

    def helper_reply(self, helper: Agent, t: int, public: bool, ack: float) -> None:
        at = self.when(self.agent_time(helper, t, fast=True))
        if at >= FAR or self.w.away(helper.id, at):
            return
        if public:
            parts = self.parts("hi", "helper_public", self.topic_part("cause"), self.topic_part("step"), "sign")
        else:
            parts = self.parts("helper_note", self.topic_part("cause"), self.topic_part("fix"))
        ops = [self.agent_comment(at, helper.id, public, parts)]
        if public:
            self.reply_ops(ops)
        self.push(at, helper.id, V_WEB, ops)
        if not public and self.rng.random() < ack:
            self.acks.append((helper.id, "name"))

    def helper_for(self, t: int) -> Agent | None:
        owner = self.owner()
        pod = self.w.pod_of_tag.get(self.topic.tag)
        pool: Sequence[Agent] = self.w.pod_members[pod] if pod and self.rng.random() < 0.6 else self.w.everyone
        exclude = (owner.id if owner else 0,)
        return self.choose(pool, None, exclude=exclude) if pool else None

    def owner_update(self, t: int) -> tuple[Agent, int] | None:
        owner = self.owner()
        if owner is None:
            return None
        at = self.when(self.agent_time(owner, t, fast=True))
        if at >= FAR or self.w.away(owner.id, at):
            return None
        return owner, at

    def collaboration(self, how: str) -> None:
        """The assignee asks for help (tag, follower or @mention); the helper answers."""
        update = self.owner_update(self.t)
        if update is None:
            return
        owner, at = update
        helper = self.helper_for(at)
        if helper is None or helper.id in self.followers:
            return
        ops: list[tuple[Any, ...]] = []
        if how == "tag":
            ops.append(self.agent_comment(at, owner.id, False, self.parts("collab_note", self.topic_part("symptom"))))
            self.set_tags(ops, owner.id, add=(SOLICIT_TAG,))
            self.drop_collab = True
            public = self.rng.random() < 0.4
        elif how == "follower":
            if self.rng.random() < 0.6:
                ops.append(self.agent_comment(at, owner.id, False, self.parts("loop_note"), named=helper.id))
            self.add_watcher(ops, K_FOLLOWERS, helper.id, owner.id)
            public = self.rng.random() < 0.5
        else:  # an @mention in an internal note adds a follower
            ops.append(self.agent_comment(at, owner.id, False, self.parts("mention_note"), named=helper.id))
            self.add_watcher(ops, K_FOLLOWERS, helper.id, owner.id)
            public = self.rng.random() < 0.3
        self.push(at, owner.id, V_WEB, ops)
        self.helper_reply(helper, at + self.rand(10 * MINUTE, 3 * HOUR), public, ack=0.45)

    def pod_note(self) -> None:
        owner = self.owner()
        pod = self.w.pod_of_tag.get(self.topic.tag)
        if owner is None or pod is None or pod in owner.pods:
            return
        member = self.choose(self.w.pod_members[pod], None, exclude=(owner.id,))
        if member is None:
            return
        t = self.t + self.rand(15 * MINUTE, 5 * HOUR)
        for index in range(2 if self.rng.random() < 0.3 else 1):
            at = self.when(self.agent_time(member, t, fast=True))
            if at >= FAR or self.w.away(member.id, at):
                return
            if index:
                groups: tuple[str | int, ...] = ("pod_followup", self.topic_part("fix"))
            else:
                groups = ("pod_note", self.topic_part("cause"), self.topic_part("step"))
            ops = [self.agent_comment(at, member.id, False, self.parts(*groups))]
            self.push(at, member.id, V_WEB, ops)
            t = at + self.rand(20 * MINUTE, 3 * HOUR)
        roll = self.rng.random()
        if roll < 0.4:
            self.acks.append((member.id, "name"))
        elif roll < 0.6 and member.id not in self.followers:
            self.acks.append((member.id, "follow"))

    def lead_note(self) -> None:
        owner = self.owner()
        lead = self.w.leads[owner.region] if owner else self.rng.choice(list(self.w.leads.values()))
        if owner is not None and lead.id == owner.id:
            return
        at = self.when(self.agent_time(lead, self.t + self.rand(10 * MINUTE, 3 * HOUR), fast=True))
        if at >= FAR or self.w.away(lead.id, at):
            return
        self.push(at, lead.id, V_WEB, [self.agent_comment(at, lead.id, False, self.parts("lead_note"))])
        if self.rng.random() < 0.15:
            self.acks.append((lead.id, "name"))

    def own_note(self) -> None:
        update = self.owner_update(self.t)
        if update is None:
            return
        owner, at = update
        self.push(at, owner.id, V_WEB, [self.agent_comment(at, owner.id, False, self.parts("own_note"))])

    def cc_reply(self) -> None:
        owner = self.owner()
        helper = self.choose(self.w.everyone, None, exclude=(owner.id if owner else 0,))
        if helper is None:
            return
        self.customer_reply(self.customer_time(self.t), ("c_hi", "c_followup", "c_sign"), cc=helper)
        self.helper_reply(helper, self.t, public=self.rng.random() < 0.8, ack=0.3)

    def handover(self) -> bool:
        """Follow the sun: the assignee hands over to another region. True when the new owner replied."""
        update = self.owner_update(self.t)
        if update is None:
            return False
        owner, at = update
        preferred = self.w.region_of_value(self.pref)
        if preferred and preferred != owner.region:
            region = preferred
        else:
            region = self.w.soonest_region(self.w.cal.close_after(owner.region, at), exclude=owner.region)
        take_at = self.w.cal.next_open(region, at + self.rand(10 * MINUTE, 2 * HOUR))
        if take_at >= FAR:
            return False
        take_at += self.rand(0, 40 * MINUTE)
        new = self.choose(self.w.pool[region], take_at, exclude=(owner.id,), quiet_since=at - HOUR)
        if new is None:
            return False
        ops: list[tuple[Any, ...]]
        if self.rng.random() < 0.4:  # the assignee reassigns with a note; the new owner replies later
            ops = [self.agent_comment(at, owner.id, False, self.parts("handover_named", "summary"), named=new.id)]
            self.set_assignee(ops, new)
            self.notify(ops, R_ASSIGNMENT, (new.id,))
            self.push(at, owner.id, V_WEB, ops)
            self.acks = []
            return False
        ops = [self.agent_comment(at, owner.id, False, self.parts("handover_note", "summary"), named=new.id)]
        self.push(at, owner.id, V_WEB, ops)
        take_at = self.when(take_at)
        if not self.w.available(new, take_at):
            return False
        parts = self.parts("hi", "handover_take", self.topic_part("step"), "sign")
        ops = [self.agent_comment(take_at, new.id, True, parts, takes=True)]
        self.set_assignee(ops, new)
        self.reply_ops(ops)
        self.push(take_at, new.id, V_WEB, ops)
        self.acks = []
        return True

    def coverage_round(self) -> bool:
        """A customer message lands as the assignee's day ends; another region covers after the wait."""
        owner = self.owner()
        if owner is None or self.last_reply is None:
            return False
        natural = self.customer_time(self.t)
        close = self.w.cal.close_after(owner.region, natural)
        if close >= FAR:
            return False
        at = max(self.t + 10 * MINUTE, close - self.rand(0, 60 * MINUTE))
        self.customer_reply(self.when(at), ("c_hi", "c_followup", "c_sign"))
        return self.cover(first=False)

    # --- the whole ticket ---------------------------------------------------------------------------

    def run(self) -> None:
        rng = self.rng
        proactive = None
        if rng.random() < 0.03:
            region = self.w.region_of_value(self.pref) or self.w.soonest_region(self.created)
            proactive = self.choose(self.w.pool[region], None)
        self.create(proactive)
        replied = True if proactive else self.pickup()
        rounds = rng.choices((1, 2, 3, 4, 5), (35, 35, 18, 8, 4))[0]
        plan: list[list[str]] = [[] for _ in range(rounds + 1)]

        def put(name: str, first: int = 1) -> None:
            plan[rng.randint(first, rounds)].append(name)

        if rng.random() < 0.14:
            put("drive_by", 0 if not replied else 1)
        if rng.random() < 0.05:
            put("drive_by")
        if rng.random() < _COVERAGE_CHANCE.get(self.priority or "normal", 0.05):
            put("coverage")
        for name, chance in (("tag", 0.06), ("follower", 0.05), ("mention", 0.05), ("cc", 0.025)):
            if rng.random() < chance:
                put(name)
        if self.topic.tag in _POD_TAGS and rng.random() < 0.6:
            put("pod_note", 0)
        for name, chance in (("lead_note", 0.05), ("handover", 0.08), ("bump", 0.04), ("own_note", 0.12)):
            if rng.random() < chance:
                put(name)
        if rng.random() < 0.01:
            put("region")
        final = rng.choices(("reply", "confirm", "silent"), (50, 30, 20))[0]

        if not replied:
            for name in plan[0]:
                if name == "drive_by":
                    self.drive_by()
                elif name == "pod_note":
                    self.pod_note()
            self.assignee_reply(self.t, core="first", final=False)
        else:
            for name in plan[0]:
                plan[min(1, rounds)].append(name)
        for index in range(1, rounds + 1):
            if self.t >= self.end:
                return
            episodes = plan[index]
            last = index == rounds
            if "coverage" in episodes and self.coverage_round():
                self.assignee_reply(self.t, final=last and final == "reply")
                continue
            if "cc" in episodes:
                self.cc_reply()
            else:
                region_change = None
                if "region" in episodes:
                    region_change = rng.choice([r for r in ("amer", "emea", "apac") if r != self.pref])
                groups = (
                    ("c_hi", "c_followup", "c_region", "c_sign") if region_change else ("c_hi", "c_followup", "c_sign")
                )
                self.customer_reply(self.customer_time(self.t), groups, region=region_change)
            taken = False
            for name in ("drive_by", "lead_note", "pod_note", "own_note", "tag", "follower", "mention", "bump"):
                if name not in episodes:
                    continue
                if name == "drive_by":
                    self.drive_by()
                elif name == "lead_note":
                    self.lead_note()
                elif name == "pod_note":
                    self.pod_note()
                elif name == "own_note":
                    self.own_note()
                elif name == "bump":
                    self.bump = True
                else:
                    self.collaboration(name)
            if "handover" in episodes:
                taken = self.handover()
            if not taken:
                self.assignee_reply(self.t, final=last and final == "reply")
        self.finish(final)

    def finish(self, how: str) -> None:
        if self.t >= self.end or self.assignee is None:
            return
        owner = self.owner()
        assert owner is not None
        if self.status != "solved":
            if how == "silent":
                at = self.when(self.t + 72 * HOUR + self.rand(0, HOUR))
                parts = self.parts("reminder")
                self.push(at, SYSTEM, V_AUTOMATION, [(K_COMMENT, owner.id, True, parts, 0, "")], R_REMINDER)
                at = self.when(at + 96 * HOUR + self.rand(0, HOUR))
                ops: list[tuple[Any, ...]] = []
                self.set_status(ops, "solved")
                self.push(at, SYSTEM, V_AUTOMATION, ops, R_AUTO_SOLVE)
                self.solved_at = at
            else:
                self.customer_reply(self.customer_time(self.t), ("c_hi", "c_thanks", "c_sign"))
                at = self.when(self.agent_time(owner, self.t))
                if at >= FAR:
                    return
                ops = []
                if self.rng.random() < 0.5 or self.w.away(owner.id, at):
                    self.set_status(ops, "solved")
                    self.set_tags(ops, owner.id, remove=(SOLICIT_TAG,))
                    self.push(at, owner.id, V_WEB, ops)
                    self.solved_at = at
                else:
                    self.assignee_reply(self.t, final=True, core="confirm_solve")
        if self.solved_at is None:
            return
        if self.rng.random() < 0.04:  # reopened before it closed
            at = self.when(self.customer_time(self.t))
            if at < self.solved_at + 4 * DAY:
                self.customer_reply(at, ("c_hi", "c_reopen", "c_sign"))
                self.solved_at = None
                self.assignee_reply(self.t, final=True)
                if self.solved_at is None:
                    return
        ops = []
        self.set_status(ops, "closed")
        self.push(self.when(self.solved_at + 4 * DAY + self.rand(0, HOUR)), SYSTEM, V_AUTOMATION, ops, R_CLOSE)


def _arrivals(
    rng: random.Random, count: int, customers: list[Customer], start: date, days: int, start_ts: int, end_ts: int
) -> list[tuple[int, Customer]]:
    weights = [1.0 / (1 + (index % 97)) ** 0.35 for index in range(len(customers))]
    cum = list(_accumulate(weights))
    zones: dict[str, ZoneInfo] = {}
    out: list[tuple[int, Customer]] = []
    while len(out) < count:
        customer = customers[bisect.bisect_right(cum, rng.random() * cum[-1])]
        day = start + timedelta(days=rng.randrange(days))
        if day.weekday() >= 5 and rng.random() > 0.12:
            continue
        business = rng.random() < 0.85
        hour = min(23, max(0, int(rng.gauss(12.5, 2.6)))) if business else rng.randrange(24)
        zone = zones.setdefault(customer.time_zone, ZoneInfo(customer.time_zone))
        at = _ts(day, hour, rng.randrange(60), zone) + rng.randrange(60)
        if start_ts <= at < end_ts - 2 * HOUR:
            out.append((at, customer))
    out.sort(key=lambda item: (item[0], item[1].id))
    return out


def _accumulate(values: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def plan_export(
    *,
    tickets: int = 3000,
    seed: int = 7,
    start: date = date(2026, 7, 1),
    days: int = 91,
    progress: Callable[[int], None] | None = None,
) -> DemoPlan:
    """The people, the policy override and every ticket's plan, deterministically for ``seed``.

    ``progress``, if given, is called with increments (tickets planned since the last call, as a progress
    bar's ``advance`` takes them) that add up to the number of tickets.
    """
    if tickets < 0 or days < 1:
        raise ValueError("tickets must be >= 0 and days >= 1")
    rng = random.Random(seed)
    report = _Reporter(progress)
    start_ts = _ts(start)
    end_ts = _ts(start + timedelta(days=days))
    base = policy_from_mapping({}, "default policy")
    override = _override(start)
    policy = policy_from_mapping(override, POLICY_FILE)
    customer_count = max(120, min(1500, 300 + tickets // 50))
    agents, companies, customers = _people(rng, base, start, customer_count)
    plan = DemoPlan(
        seed=seed,
        start=start,
        days=days,
        start_ts=start_ts,
        end_ts=end_ts,
        override=override,
        policy=policy,
        agents=agents,
        companies=companies,
        customers=customers,
        tickets=[],
    )
    plan.by_id = {**{a.id: a for a in agents}, **{c.id: c for c in customers}}
    world = _World(plan, rng)
    topic_cum = list(_accumulate(t.weight for t in _TOPICS))
    prio_cum = list(_accumulate(_PRIORITY_WEIGHTS))
    type_cum = list(_accumulate(_TYPE_WEIGHTS))
    for index, (created, customer) in enumerate(_arrivals(rng, tickets, customers, start, days, start_ts, end_ts)):
        topic = _TOPICS[bisect.bisect_right(topic_cum, rng.random() * topic_cum[-1])]
        priority = _PRIORITIES[bisect.bisect_right(prio_cum, rng.random() * prio_cum[-1])]
        kind = _TYPES[bisect.bisect_right(type_cum, rng.random() * type_cum[-1])]
        company = companies[customer.company]
        pref = customer.preferred if rng.random() < 0.95 else rng.choice(("amer", "emea", "apac", "all_regions", None))
        channel = rng.choices((V_EMAIL, V_WEB, V_API), (60, 33, 7))[0]
        case = rng.randrange(len(topic.cases))
        subject = topic.cases[case][0]
        ticket = TicketPlan(
            id=FIRST_TICKET_ID + index,
            created=created,
            requester=customer.id,
            submitter=customer.id,
            organization=company.id,
            subject=subject,
            topic=_TOPICS.index(topic),
            case=case,
            channel=channel,
            type=kind,
        )
        sim = _Sim(world, ticket, customer, topic, priority, pref)
        sim.run()
        first = ticket.steps[0]
        if first.author != customer.id:
            ticket.submitter = first.author
            ticket.channel = V_WEB
            first.via = V_WEB
        ticket.steps = [step for step in ticket.steps if step.at < end_ts]
        plan.tickets.append(ticket)
        if (index + 1) % 500 == 0:
            report.at(index + 1)
    report.at(len(plan.tickets))
    return plan


# --- writing ------------------------------------------------------------------------------------------


class _Reporter:
    """Turns running totals into the increments a progress bar's ``advance`` takes."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.sent = 0

    def at(self, done: int) -> None:
        if self.progress is not None and done > self.sent:
            self.progress(done - self.sent)
            self.sent = done


def _cursor(order: str, *values: tuple[str, int]) -> str:
    packed = b"".join(kind.encode() + struct.pack("<q", value) for kind, value in values)
    text = orjson.dumps({"o": order, "v": base64.b64encode(packed).decode()})
    return base64.b64encode(text).decode()


def _page_links(endpoint: str, before: str, after: str, size: int) -> dict[str, str]:
    return {
        "prev": f"{API}/{endpoint}.json?page%5Bbefore%5D={quote(before, safe='')}&page%5Bsize%5D={size}",
        "next": f"{API}/{endpoint}.json?page%5Bafter%5D={quote(after, safe='')}&page%5Bsize%5D={size}",
    }


def _write(path: Path, data: Any) -> None:
    path.write_bytes(orjson.dumps(data))


def _html(body: str) -> str:
    """The comment as Zendesk renders it: a div of paragraphs, line breaks as ``<br>``."""
    if "&" in body or "<" in body or ">" in body:
        body = html.escape(body, quote=False)
    paragraphs = '</p><p dir="auto">'.join(body.split("\n\n")).replace("\n", "<br>")
    return f'<div class="zd-comment" dir="auto"><p dir="auto">{paragraphs}</p></div>'


class _Writer:
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
        for rule_id, kind, title, _, _ in _RULES:
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
            "area": _TOPICS[ticket.topic].area,
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
            else:  # K_NOTIFY
                subject, body = _RULES[op[1]][3:]
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
            "created_at": _iso(step.at),
            "author_id": step.author,
            "metadata": self.metadata(step),
            "events": events,
            "via": self.via(step),
        }

    # --- tickets ------------------------------------------------------------------------------------

    def ticket(self, ticket: TicketPlan) -> dict[str, Any]:
        state: dict[str, Any] = {}
        followers: tuple[int, ...] = ()
        ccs: tuple[int, ...] = ()
        for step in ticket.steps:
            for op in step.ops:
                kind = op[0]
                if kind in (K_CREATE, K_CHANGE):
                    state[op[1]] = op[2]
                elif kind == K_FOLLOWERS:
                    followers = op[1]
                elif kind == K_CCS:
                    ccs = op[1]
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
            "created_at": _iso(ticket.created),
            "updated_at": _iso(updated),
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
            "satisfaction_rating": None,
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
                _user(
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
                _user(
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
                "created_at": _iso(created + index * 600),
                "updated_at": _iso(created + 30 * DAY + index * 600),
            }
            for index, (key, group_id) in enumerate(GROUP_IDS.items())
        ]
        memberships = []
        membership_id = 360_021_774_000
        for agent in self.plan.agents:
            pairs = [(agent.group, True)]
            if agent.name in _ESCALATION_TEAM:
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
                        "created_at": _iso(agent.created + DAY),
                        "updated_at": _iso(agent.created + DAY),
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
                _PREFERRED_OPTIONS,
                "The region whose support team the customer prefers to work with.",
            ),
            (AREA_FIELD_ID, "Product area", tuple((t.label, t.tag) for t in _TOPICS), "What the request is about."),
            (PLAN_FIELD_ID, "Customer plan", _PLAN_OPTIONS, "The customer's subscription plan."),
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
    if name in ID_FIELDS:
        return str(value)
    if name == "tags":
        return list(value)
    return value


def _user(
    user_id: int,
    name: str,
    email: str,
    zone: str,
    role: str,
    created: int,
    updated: int,
    organization: int | None,
    user_fields: dict[str, Any],
    group: int | None = None,
) -> dict[str, Any]:
    agent = role != "end-user"
    return {
        "id": user_id,
        "url": f"{API}/users/{user_id}.json",
        "name": name,
        "email": email,
        "created_at": _iso(created),
        "updated_at": _iso(max(created, updated)),
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
        "last_login_at": _iso(max(created, updated)) if agent else None,
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
        "created_at": _iso(created),
        "updated_at": _iso(created),
        "removable": removable,
        "key": None,
        "agent_description": None,
    }


def _clear(out_dir: Path) -> None:
    """Remove page files of an earlier run, so that no stale page is left behind."""
    for pattern in ("tickets.page-*.json", "ticket_audits.page-*.json"):
        for path in out_dir.glob(pattern):
            path.unlink()


def write_export(
    plan: DemoPlan,
    out_dir: Path,
    *,
    audits_per_page: int = 1000,
    tickets_per_page: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write the plans as a Zendesk export directory, one page at a time.

    ``progress``, if given, is called with increments (as a progress bar's ``advance`` takes them) that add
    up to the number of tickets: after each audit page, the tickets whose every audit has now been written.
    """
    if audits_per_page < 1 or tickets_per_page < 1:
        raise ValueError("audits_per_page and tickets_per_page must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    writer = _Writer(plan)
    files: list[Path] = []
    total = len(plan.tickets)

    users = writer.users()
    path = out_dir / "users.page-001.json"
    first, last = _cursor("id", ("i", users[0]["id"])), _cursor("id", ("i", users[-1]["id"]))
    _write(
        path,
        {
            "users": users,
            "meta": {"has_more": False, "after_cursor": last, "before_cursor": first},
            "links": _page_links("users", first, last, 100),
        },
    )
    files.append(path)
    groups, memberships = writer.groups()
    for name, records in (("groups", groups), ("group_memberships", memberships)):
        path = out_dir / f"{name}.page-001.json"
        first, last = _cursor("id", ("i", records[0]["id"])), _cursor("id", ("i", records[-1]["id"]))
        _write(
            path,
            {
                name: records,
                "meta": {"has_more": False, "after_cursor": last, "before_cursor": first},
                "links": _page_links(name, first, last, 100),
            },
        )
        files.append(path)
    fields = writer.fields()
    path = out_dir / "ticket_fields.page-001.json"
    _write(path, {"ticket_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)})
    files.append(path)
    policy_path = out_dir / POLICY_FILE
    header = (
        "# intently policy override for the demo export: merged over the default policy (--config intently.yaml).\n"
        "# Two pods whose members' notes on their topics are tracked, and two out-of-office periods.\n"
    )
    policy_path.write_text(header + yaml.safe_dump(plan.override, sort_keys=False, allow_unicode=True), "utf-8")
    files.append(policy_path)

    # every audit of every ticket, in time order, with ids that grow with time
    order = sorted((step.at, ti, si) for ti, ticket in enumerate(plan.tickets) for si, step in enumerate(ticket.steps))
    next_id = FIRST_AUDIT_ID
    last_position = [0] * total
    events = comments = agent_comments = 0
    agent_ids = {a.id for a in plan.agents}
    for position, (_, ti, si) in enumerate(order):
        ticket = plan.tickets[ti]
        step = ticket.steps[si]
        step.id = next_id
        next_id += (len(step.ops) + 1 + (ti * 7 + si * 13) % 11) * EVENT_ID_STEP
        last_position[ti] = position
        events += len(step.ops)
        for op in step.ops:
            if op[0] == K_COMMENT:
                comments += 1
                if op[1] in agent_ids and step.via not in (V_TRIGGER, V_AUTOMATION) and si > 0:
                    agent_comments += 1
    finished = sorted(last_position)
    pages = max(1, math.ceil(len(order) / audits_per_page))
    report = _Reporter(progress)
    for page in range(pages):
        chunk = order[page * audits_per_page : (page + 1) * audits_per_page]
        audits = [writer.audit(plan.tickets[ti], plan.tickets[ti].steps[si]) for _, ti, si in chunk]
        if audits:
            first = _cursor("created_at,id", ("d", chunk[0][0]), ("i", audits[0]["id"]))
            last = _cursor("created_at,id", ("d", chunk[-1][0]), ("i", audits[-1]["id"]))
        else:
            first = last = _cursor("created_at,id", ("d", plan.start_ts), ("i", 0))
        path = out_dir / f"ticket_audits.page-{page + 1:03d}.json"
        meta = {"has_more": page + 1 < pages, "after_cursor": last, "before_cursor": first}
        _write(
            path, {"audits": audits, "meta": meta, "links": _page_links("ticket_audits", first, last, audits_per_page)}
        )
        files.append(path)
        report.at(bisect.bisect_left(finished, (page + 1) * audits_per_page))

    # the incremental ticket export: tickets in the order of their last change
    ranked = sorted(plan.tickets, key=lambda t: (t.steps[-1].at, t.id))
    ticket_pages = max(1, math.ceil(len(ranked) / tickets_per_page))
    for page in range(ticket_pages):
        batch = ranked[page * tickets_per_page : (page + 1) * tickets_per_page]
        records = [writer.ticket(ticket) for ticket in batch]
        after = base64.b64encode(f"{batch[-1].steps[-1].at}.0||{batch[-1].id}|".encode()).decode() if batch else None
        before = base64.b64encode(f"{batch[0].steps[-1].at}.0||{batch[0].id}|".encode()).decode() if batch else None
        body = {
            "tickets": records,
            "after_url": f"{API}/incremental/tickets/cursor.json?cursor={quote(after, safe='')}" if after else None,
            "before_url": (
                f"{API}/incremental/tickets/cursor.json?cursor={quote(before, safe='')}" if before and page else None
            ),
            "after_cursor": after,
            "before_cursor": before if page else None,
            "end_of_stream": page + 1 == ticket_pages,
        }
        path = out_dir / f"tickets.page-{page + 1:03d}.json"
        _write(path, body)
        files.append(path)
    report.at(total)
    return DemoSummary(
        out_dir=out_dir,
        policy_path=policy_path,
        files=tuple(files),
        tickets=total,
        users=len(users),
        agents=len(plan.agents),
        audits=len(order),
        events=events,
        comments=comments,
        agent_comments=agent_comments,
        ticket_pages=ticket_pages,
        audit_pages=pages,
    )


def generate_export(
    out_dir: Path,
    *,
    tickets: int = 3000,
    seed: int = 7,
    start: date = date(2026, 7, 1),
    days: int = 91,
    audits_per_page: int = 1000,
    tickets_per_page: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write a realistic synthetic Zendesk export of ``tickets`` tickets over ``days`` days into ``out_dir``.

    Deterministic: the same arguments give the same bytes. ``progress``, if given, is called with increments
    (as a progress bar's ``advance`` takes them) adding up to ``tickets``: planning counts for the first half
    of the work, writing for the second.
    """
    report = _Reporter(progress)
    half = tickets // 2
    planned = written = 0

    def on_plan(step: int) -> None:
        nonlocal planned
        planned += step
        report.at(planned * half // max(tickets, 1))

    def on_write(step: int) -> None:
        nonlocal written
        written += step
        report.at(half + written * (tickets - half) // max(tickets, 1))

    plan = plan_export(tickets=tickets, seed=seed, start=start, days=days, progress=on_plan)
    summary = write_export(
        plan,
        Path(out_dir),
        audits_per_page=audits_per_page,
        tickets_per_page=tickets_per_page,
        progress=on_write,
    )
    report.at(tickets)
    return summary
