"""The report: metrics counted from judgements, shown in the terminal or as one self-contained HTML file."""

from intently.report.html import render_html
from intently.report.metrics import Metrics, build_metrics
from intently.report.terminal import print_report

__all__ = ["Metrics", "build_metrics", "print_report", "render_html"]
