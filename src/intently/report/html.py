"""The report as one self-contained HTML file: inline CSS and inline SVG charts, no scripts; the only links out
are the ticket ids, to the ticket in Zendesk, when the account's address is known.

Rendered with Jinja2 with autoescaping on, so every string from the data (names, ticket ids, the policy
name) is escaped; the charts are built in :mod:`intently.report.svg`, which escapes its own text.
The output depends only on the metrics (and ``generated_at``): rendering reads no clock.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup

from intently.engine.judgement import VERDICT_LABELS
from intently.report import svg
from intently.report.formatting import (
    MUTED_COLOUR,
    OTHER_COLOUR,
    VERDICT_COLOURS,
    VOICE_LABELS,
    fmt_date,
    fmt_pct,
    fmt_period,
    fmt_share,
    fmt_short_date,
    ticket_link,
)
from intently.report.metrics import Metrics
from intently.report.templating import template_environment

if TYPE_CHECKING:
    from intently.report.outcomes import OutcomeReport

TEMPLATE = "report.html.j2"
MAX_ENGINEER_ROWS = 200
MORE_VOICES_COLOUR = "#e3a05b"
"""Tickets with more than one public voice: a warm colour, but not the drive-by one (a hand-over adds a voice too)."""


@cache
def chart_css() -> Markup:
    """The charts' stylesheet for narrow screens (``static/charts.css``), which the dashboard serves as a file: the
    report inlines it (its own file, trusted, so markup: a ``>`` in it must stay one inside ``<style>``)."""
    return Markup(files("intently.report").joinpath("static", "charts.css").read_text(encoding="utf-8"))


@cache
def _environment() -> Environment:
    return template_environment("intently.report", keep_trailing_newline=True, verdict_colour=_verdict_colour)


def _verdict_colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, OTHER_COLOUR)


def _voice_colour(bucket: str) -> str:
    if bucket == "0":
        return OTHER_COLOUR
    return VERDICT_COLOURS["assignee"] if bucket == "1" else MORE_VOICES_COLOUR


def _share_tooltip(label: str, part: int, whole: int) -> str:
    return f"{label}: {part:,} of {whole:,} ({part / whole * 100:.1f}%)" if whole else f"{label}: {part:,}"


def _part_and_rest(part: int, whole: int, named: tuple[str, str, str], rest: tuple[str, str], *, label: str) -> Markup:
    """A 100% bar of a part (label, tooltip label, colour) and the rest of the whole (label, tooltip label)."""
    return svg.share_bar(
        [
            svg.Bar(named[0], part, named[2], _share_tooltip(named[1], part, whole)),
            svg.Bar(rest[0], whole - part, MUTED_COLOUR, _share_tooltip(rest[1], whole - part, whole)),
        ],
        label=label,
    )


def _charts(metrics: Metrics) -> dict[str, Markup]:
    weeks = metrics.weeks
    categories = [fmt_short_date(w.start) for w in weeks]
    years = [str(w.start.year) for w in weeks]
    week_names = [f"Week of {fmt_date(w.start)}" for w in weeks]
    charts: dict[str, Markup] = {}

    verdicts = list(metrics.by_verdict)
    charts["weekly"] = svg.stacked_columns(
        categories,
        [
            svg.Series(VERDICT_LABELS.get(v, v), _verdict_colour(v), [w.by_verdict.get(v, 0) for w in weeks])
            for v in verdicts
        ],
        label=(
            f"Judged comments per week by verdict: {len(weeks)} weeks, {metrics.judged_comments:,} comments in total"
        ),
        tooltips=week_names,
        years=years,
    )

    rule_total = metrics.judged_comments
    charts["rules"] = svg.horizontal_bars(
        [
            svg.Bar(
                label=metrics.rule_titles.get(rule, rule),
                value=count,
                colour=_verdict_colour(metrics.rule_verdicts.get(rule, "")),
                tooltip=_share_tooltip(metrics.rule_titles.get(rule, rule), count, rule_total),
                value_text=f"{count:,} ({fmt_pct(count / rule_total if rule_total else None)})",
            )
            for rule, count in metrics.by_rule.items()
        ],
        label="Judged comments by the rule that decided them",
        label_width=270,
    )

    shares = [w.drive_by_share for w in weeks]
    charts["drive_by_trend"] = svg.share_columns(
        categories,
        [s.value for s in shares],
        label="Drive-by share of contributor public replies per week",
        tooltips=[
            f"{name}: {fmt_pct(s.value)} ({s.part:,} of {s.whole:,} contributor public replies)"
            if s.whole
            else f"{name}: no contributor public replies"
            for name, s in zip(week_names, shares, strict=True)
        ],
        colour=VERDICT_COLOURS["drive_by"],
        reference=metrics.drive_by_share.value,
        reference_label="whole period",
        years=years,
    )

    overall = metrics.drive_by_share
    charts["drive_by_share"] = _part_and_rest(
        overall.part,
        overall.whole,
        ("Drive-by", "Drive-bys", VERDICT_COLOURS["drive_by"]),
        ("Other contributor replies", "Taken, asked for or covering"),
        label=f"Drive-by share of contributor public replies: {fmt_share(overall)}",
    )

    voice_total = sum(metrics.voices.values())
    charts["voices"] = svg.horizontal_bars(
        [
            svg.Bar(
                label=VOICE_LABELS.get(bucket, bucket),
                value=count,
                colour=_voice_colour(bucket),
                tooltip=_share_tooltip(f"Tickets with {VOICE_LABELS.get(bucket, bucket)}", count, voice_total),
                value_text=f"{count:,} ({fmt_pct(count / voice_total if voice_total else None)})",
            )
            for bucket, count in metrics.voices.items()
        ],
        label="Tickets by the number of agents who replied publicly",
    )

    ack = metrics.pod_notes_acknowledged
    charts["pod_ack"] = _part_and_rest(
        ack.part,
        ack.whole,
        ("Acknowledged", "Acknowledged", VERDICT_COLOURS["intentional"]),
        ("Not acknowledged", "Not acknowledged"),
        label=f"Pod notes acknowledged by the assignee: {fmt_share(ack)}",
    )

    split = metrics.regions.public_replies
    known = split.inside + split.outside  # the shares are of these, as the headline's and the tables' are
    charts["regions"] = svg.share_bar(
        [
            svg.Bar("Inside", split.inside, "#3f7fbf", _share_tooltip("Inside the region", split.inside, known)),
            svg.Bar("Outside", split.outside, "#d9a03f", _share_tooltip("Outside the region", split.outside, known)),
        ],
        label=(
            f"Public replies with a known region, inside and outside the customer's preferred region: "
            f"{split.inside:,} inside, {split.outside:,} outside ({split.unknown:,} more with no known region)"
        ),
    )
    return charts


def render_html(
    metrics: Metrics,
    *,
    generated_at: datetime | None = None,
    outcomes: OutcomeReport | None = None,
    zendesk_base: str | None = None,
) -> str:
    """The whole report as one HTML document (a string); ``generated_at`` overrides ``metrics.generated_at``;
    ``outcomes`` adds the section "Does it matter?" (outcomes by collaboration class); ``zendesk_base`` (the
    account's address, ``https://acme.zendesk.com``) makes each ticket id a link to the ticket in Zendesk."""
    # the outcome statistics (numpy) are imported only to render: `intently report` without --html never needs them
    from intently.report.outcome_charts import CLASS_COLOURS, FIGURES, figure_text, hours, outcome_charts
    from intently.report.outcomes import MIN_TICKETS

    when = generated_at if generated_at is not None else metrics.generated_at
    template = _environment().get_template(TEMPLATE)
    return template.render(
        zendesk_link=lambda ticket_id: ticket_link(zendesk_base, ticket_id),
        outcomes=outcomes,
        outcome_charts=outcome_charts(outcomes) if outcomes is not None else {},
        figures=FIGURES,
        figure_text=figure_text,
        hours=hours,
        class_colours=CLASS_COLOURS,
        min_tickets=MIN_TICKETS,
        m=metrics,
        chart_css=chart_css(),
        charts=_charts(metrics),
        generated_at=when,
        period=fmt_period(metrics.first_comment_at, metrics.last_comment_at),
        engineers=metrics.engineers[:MAX_ENGINEER_ROWS],
        engineers_hidden=max(0, len(metrics.engineers) - MAX_ENGINEER_ROWS),
        verdict_colours=VERDICT_COLOURS,
        voice_labels=VOICE_LABELS,
    )
