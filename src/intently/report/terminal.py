"""The report in the terminal: a few headline numbers and compact Rich tables."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.style import Style
from rich.text import Text

from intently.engine.judgement import VERDICT_LABELS
from intently.model import Id
from intently.report.formatting import (
    RICH_VERDICT_STYLES,
    VOICE_LABELS,
    clean_text,
    fmt_datetime,
    fmt_int,
    fmt_pct,
    fmt_period,
    fmt_share,
    sparkline,
    ticket_link,
)
from intently.report.metrics import Metrics, worked_tickets
from intently.report.tables import FitTable

MAX_ENGINEERS = 15
MAX_WEEKS = 12
MAX_EXAMPLES = 10


def _table(title: str) -> FitTable:
    return FitTable(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)


def _show(console: Console, table: FitTable, note: str) -> None:
    """The table, then a dim explanatory note wrapped to the console (not to the table's width)."""
    console.print(table)
    console.print(Text(note, style="dim"))
    console.print()


def _headline(console: Console, label: str, value: str) -> None:
    line = Text()
    line.append(f"{label}: ")
    line.append(value, style="bold")
    console.print(line)


def print_report(metrics: Metrics, console: Console, *, details: bool = True, zendesk_base: str | None = None) -> None:
    """Print the report: headline lines, then (with ``details``) the weekly trend, engineers, pods, regions
    and examples. With ``zendesk_base`` each example's ticket id links to the ticket in Zendesk (a terminal
    hyperlink, written only to a terminal)."""
    m = metrics
    console.print(Text(clean_text(m.title), style="bold"))
    console.print(
        Text(
            f"{fmt_period(m.first_comment_at, m.last_comment_at)} · "
            f"policy {clean_text(m.policy_name)} {clean_text(m.policy_version)}"
            + (f" · generated {fmt_datetime(m.generated_at)}" if m.generated_at else ""),
            style="dim",
        )
    )
    console.print()
    if not m.judged_comments:
        console.print("No agent comments were judged, so there is nothing to report.")
        return

    _headline(
        console,
        "Judged agent comments",
        f"{fmt_int(m.judged_comments)} on {worked_tickets(m.tickets)} "
        f"({fmt_int(m.public_replies)} public replies, {fmt_int(m.internal_notes)} internal notes)",
    )
    if m.imported_tickets is not None:
        _headline(console, "Tickets", m.tickets_text)
    _headline(console, "Drive-by share of contributor public replies", fmt_share(m.drive_by_share))
    _headline(
        console,
        "Tickets where more than one agent replied publicly",
        f"{fmt_int(m.multi_voice_tickets)} of {fmt_int(m.tickets)}",
    )
    if m.pods:
        _headline(console, "Pod notes acknowledged by the assignee", fmt_share(m.pod_notes_acknowledged))
    split = m.regions.public_replies
    _headline(
        console,
        "Public replies from outside the customer's preferred region",
        fmt_share(split.outside_share) + (f", {fmt_int(split.unknown)} unknown" if split.unknown else ""),
    )
    console.print()
    if not details:
        return
    _print_weeks(m, console)
    _print_verdicts(m, console)
    _print_voices(m, console)
    _print_engineers(m, console)
    _print_pods(m, console)
    _print_regions(m, console)
    _print_examples(m, console, zendesk_base)


def _verdict_header(verdict: str) -> Text:
    return Text(VERDICT_LABELS.get(verdict, verdict), style=RICH_VERDICT_STYLES.get(verdict, ""))


def _print_weeks(m: Metrics, console: Console) -> None:
    weeks = m.weeks[-MAX_WEEKS:]
    hidden = len(m.weeks) - len(weeks)
    trend = sparkline([w.drive_by_share.value for w in m.weeks])
    caption = f"Weeks start on Monday (UTC). Drive-by share trend, all {fmt_int(len(m.weeks))} weeks: {trend}"
    if hidden:
        caption += f"\n{fmt_int(hidden)} earlier week{'' if hidden == 1 else 's'} not shown."
    table = _table("Per week")
    table.add_column("Week of")
    table.add_column("Comments", justify="right")
    for verdict in m.by_verdict:
        table.add_column(_verdict_header(verdict), justify="right")
    table.add_column("Drive-by share", justify="right")
    for week in weeks:
        share = week.drive_by_share
        table.add_row(
            week.start.isoformat(),
            fmt_int(week.judged),
            *(fmt_int(week.by_verdict.get(v, 0)) for v in m.by_verdict),
            fmt_share(share) if share.whole else "n/a",
        )
    _show(console, table, caption)


def _print_verdicts(m: Metrics, console: Console) -> None:
    table = _table("Which rule decided")
    caption = "Every judged comment, by the first rule of the policy that held."
    table.add_column("Rule")
    table.add_column("Verdict")
    table.add_column("Comments", justify="right")
    table.add_column("Share", justify="right")
    for rule, count in m.by_rule.items():
        verdict = m.rule_verdicts.get(rule, "")
        table.add_row(
            Text(clean_text(m.rule_titles.get(rule, rule))),
            _verdict_header(verdict),
            fmt_int(count),
            fmt_pct(count / m.judged_comments),
        )
    _show(console, table, caption)


def _print_voices(m: Metrics, console: Console) -> None:
    table = _table("Public voices per ticket")
    caption = "Distinct agents with a public reply on the ticket. One voice towards the customer is the goal."
    table.add_column("Agents replying publicly")
    table.add_column("Tickets", justify="right")
    table.add_column("Share", justify="right")
    total = sum(m.voices.values())
    for bucket, count in m.voices.items():
        table.add_row(VOICE_LABELS.get(bucket, bucket), fmt_int(count), fmt_pct(count / total if total else None))
    _show(console, table, caption)


def _print_engineers(m: Metrics, console: Console) -> None:
    rows = m.engineers[:MAX_ENGINEERS]
    hidden = len(m.engineers) - len(rows)
    caption = (
        "Own tickets: replies as the assignee or when taking the ticket. Intentional help: asked to help, "
        "internal notes, covering. Notes acknowledged: the assignee later named them or added them as a follower."
    )
    if hidden:
        caption += f"\n{fmt_int(hidden)} more engineer{'' if hidden == 1 else 's'} not shown."
    title = f"Engineers: top {len(rows)} of {fmt_int(len(m.engineers))}" if hidden else "Engineers"
    table = _table(f"{title}, by public replies")
    table.add_column("Engineer", min_width=18)
    table.add_column("Region")
    for header in ("Public\nreplies", "On own\ntickets", "Internal\nnotes", "Intentional\nhelp", "Drive-bys"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Notes\nacknowledged", justify="right", no_wrap=True)
    for e in rows:
        table.add_row(
            Text(clean_text(e.name)),
            Text(clean_text(e.region or "—")),
            fmt_int(e.public_replies),
            f"{fmt_int(e.own_public_replies)} ({fmt_pct(e.own_share.value, 0)})",
            fmt_int(e.internal_notes),
            fmt_int(e.intentional_help),
            Text(fmt_int(e.drive_bys), style="dark_orange" if e.drive_bys else ""),
            f"{fmt_int(e.notes_acknowledged)} of {fmt_int(e.contributor_notes)}" if e.contributor_notes else "—",
        )
    _show(console, table, caption)


def _print_pods(m: Metrics, console: Console) -> None:
    if not m.pods:
        console.print(
            Text("Pods: no pod member wrote on a pod-topic ticket assigned outside the pod.", style="dim"),
        )
        console.print()
        return
    table = _table("Pods: members on pod-topic tickets assigned outside the pod")
    caption = "Internal notes are the intentional way to help; acknowledged means the assignee picked the note up."
    table.add_column("Pod")
    table.add_column("Members active", justify="right")
    table.add_column("Tickets", justify="right")
    table.add_column("Internal notes", justify="right")
    table.add_column("Acknowledged", justify="right")
    table.add_column("Public replies", justify="right")
    table.add_column("Drive-bys", justify="right")
    for p in m.pods:
        table.add_row(
            Text(clean_text(p.name)),
            fmt_int(p.members_active),
            fmt_int(p.tickets),
            fmt_int(p.notes),
            f"{fmt_int(p.acknowledged)} ({fmt_pct(p.acknowledged_share.value, 0)})",
            fmt_int(p.public_replies),
            fmt_int(p.drive_bys),
        )
    _show(console, table, caption)


def _print_regions(m: Metrics, console: Console) -> None:
    table = _table("Public replies and the customer's preferred region")
    caption = (
        "Unknown: no preferred region on the ticket, all regions accepted, or the author's region is not known. "
        "Outside share is of replies with a known region. Coverage replies answered a waiting customer while the "
        "assignee was unavailable."
    )
    table.add_column("Author's region")
    table.add_column("Public replies", justify="right")
    table.add_column("Inside", justify="right")
    table.add_column("Outside", justify="right")
    table.add_column("Unknown", justify="right")
    table.add_column("Outside share", justify="right")
    table.add_column("Coverage replies", justify="right")
    regions = m.regions
    rows = [
        (name, split, regions.coverage_by_author_region.get(name, 0))
        for name, split in regions.by_author_region.items()
    ]
    rows.append(("All", regions.public_replies, sum(regions.coverage_by_author_region.values())))
    for index, (name, split, coverage) in enumerate(rows):
        table.add_row(
            Text(clean_text(name), style="bold" if index == len(rows) - 1 else ""),
            fmt_int(split.total),
            fmt_int(split.inside),
            fmt_int(split.outside),
            fmt_int(split.unknown),
            fmt_pct(split.outside_share.value),
            fmt_int(coverage),
            end_section=index == len(rows) - 2,
        )
    _show(console, table, caption)


def _print_examples(m: Metrics, console: Console, zendesk_base: str | None) -> None:
    if not m.drive_by_examples:
        return
    rows = m.drive_by_examples[:MAX_EXAMPLES]
    table = _table("Recent drive-bys to follow up")
    caption = (
        f"The latest drive-by on each of the {len(rows)} most recent tickets with one "
        f"({fmt_int(m.drive_by_tickets)} tickets had a drive-by in all)."
    )
    table.add_column("When (UTC)")
    table.add_column("Ticket")
    table.add_column("Replied")
    table.add_column("Assignee")
    table.add_column("Drive-bys\non ticket", justify="right")
    for x in rows:
        table.add_row(
            fmt_datetime(x.created_at).removesuffix(" UTC"),
            _ticket_cell(x.ticket_id, zendesk_base),
            Text(clean_text(x.author_name)),
            Text(clean_text(x.assignee_name) if x.assignee_name is not None else "unassigned"),
            fmt_int(x.drive_bys_on_ticket),
        )
    _show(console, table, caption)


def _ticket_cell(ticket_id: Id, zendesk_base: str | None) -> Text:
    """``#123``, a link to the ticket in Zendesk when the base is known (the link spans the id, not the padding)."""
    cell = Text()
    cell.append(clean_text(f"#{ticket_id}"), style=Style(link=ticket_link(zendesk_base, ticket_id)))
    return cell
