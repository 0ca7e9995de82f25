"""The words of the demo: product areas with their coherent cases, and every comment text, by group.

Every text is in :data:`TEXTS`; :data:`TEXT_GROUPS` maps a group's name (``hi``, ``c_sign``,
``pipelines.fix``, ...) to its [start, end) slice of :data:`TEXTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from intently.demo.organisation import SUPPORT_NAME

# Placeholders: {c} requester's first name, {a} author's first name, {ar} author's region, {n} and {nf} the
# named person's full and first name, {region} the named person's region, {area} the topic, {t} ticket id.


# fmt: off
@dataclass(frozen=True, slots=True)
class Topic:
    """A product area: its tag (the Product area field's value) and a few coherent cases."""

    tag: str
    label: str
    area: str
    weight: int
    cases: tuple[tuple[str, str, str, str, str], ...]
    """(subject, the customer's symptom, the cause, a next step, the fix), each case consistent in itself."""


TOPICS: tuple[Topic, ...] = (
    Topic("pipelines", "Data pipelines", "data pipeline", 9, (
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
    Topic("warehouse", "Warehouse", "warehouse", 6, (
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
    Topic("sso", "Single sign-on", "SSO", 5, (
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
    Topic("saml", "SAML", "SAML", 4, (
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
    Topic("scim", "SCIM provisioning", "SCIM provisioning", 4, (
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
    Topic("billing", "Billing", "billing", 10, (
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
    Topic("api", "API", "API", 14, (
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
    Topic("dashboards", "Dashboards", "dashboard", 14, (
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
    Topic("integrations", "Integrations", "integration", 14, (
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
    Topic("mobile", "Mobile app", "mobile app", 8, (
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
    Topic("account", "Account & access", "account", 12, (
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
    "csat_good": (
        "Quick and clear answers, thank you.",
        "{a} was very helpful.",
        "Solved on the first try, great service.",
    ),
    "csat_bad": (
        "It took far too long to get a straight answer.",
        "Different people told me different things.",
        "The problem came back and I had to explain everything again.",
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
    "self_follow": (
        "I've been following this one since it came in, as we saw the same thing on another account.",
        "I've been keeping an eye on this ticket; here is what worked for a similar case.",
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
TEXT_GROUPS: dict[str, tuple[int, int]] = {}


def _register(name: str, texts: Sequence[str]) -> None:
    TEXT_GROUPS[name] = (len(TEXTS), len(TEXTS) + len(texts))
    TEXTS.extend(texts)


for _name, _texts in _GENERIC_TEXTS.items():
    _register(_name, _texts)
_CASE_PARTS = ("subject", "symptom", "cause", "step", "fix")
for _topic in TOPICS:
    for _index, _kind in enumerate(_CASE_PARTS):
        _register(f"{_topic.tag}.{_kind}", [case[_index] for case in _topic.cases])
