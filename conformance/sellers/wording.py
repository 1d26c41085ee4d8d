"""The words of a client rule's breach: ``Expected`` and ``Received``, read off the typed
:class:`conformance.models.seller.Breach` (models/ passes no sentence)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from conformance.models.rule_ids import RuleId
from conformance.models.seller import Breach, Lapse
from conformance.models.state import UsageKey

__all__ = ["EXACTLY_ONCE", "breach_lines", "breaches_text", "judged_text"]

EXACTLY_ONCE: RuleId = "CLIENT-EXACTLY-ONCE"
# What each client rule judges, one and many: "judged 12 BatchMeterUsage calls"; and for a rule
# with nothing to judge, "no run had a record listed in UnprocessedRecords".
_JUDGED: dict[RuleId, tuple[str, str]] = {
    EXACTLY_ONCE: ("record held without faults", "records held without faults"),
    "CLIENT-BATCH-SIZE": ("BatchMeterUsage call", "BatchMeterUsage calls"),
    "CLIENT-WINDOW": ("metering call the service answered", "metering calls the service answered"),
    "CLIENT-WELL-FORMED": ("call the service answered", "calls the service answered"),
    "CLIENT-RETRY-FAILED": ("send of usage that failed", "sends of usage that failed"),
    "CLIENT-RETRY-UNPROCESSED": (
        "record listed in UnprocessedRecords",
        "records listed in UnprocessedRecords",
    ),
    "CLIENT-NO-STORM": ("usage sent again", "usages sent again"),
    "CLIENT-BACKOFF": ("send after a throttle", "sends after a throttle"),
    "CLIENT-IDENTICAL-RETRY": (
        "usage sent again after a server error or a lost answer",
        "usages sent again after a server error or a lost answer",
    ),
}
_NAMED = 5  # records named in a CLIENT-EXACTLY-ONCE breach, at most


def judged_text(rule: RuleId, judged: int) -> str:
    """What ``rule`` judged, counted: ``judged 12 BatchMeterUsage calls``; with nothing judged,
    what no run had (``not reached: no run had a record listed in UnprocessedRecords``)."""
    one, many = _JUDGED[rule]
    if not judged:
        return f"not reached: no run had a {one}; more --runs or a higher --faults rate may give it one"
    return f"judged {judged} {one if judged == 1 else many}"


_FATES = {
    "throttled": "throttled",
    "server-error": "answered with a server error",
    "lost": "lost (no answer reached the code)",
}


def breach_lines(breaches: Sequence[Breach]) -> tuple[str, str]:
    """``Expected`` and ``Received`` of a rule's breaches (the first one's, with a count)."""
    if breaches[0].rule == EXACTLY_ONCE:
        lost = [b for b in breaches if b.lapse is Lapse.LOST_USAGE]
        extra = [b for b in breaches if b.lapse is Lapse.EXTRA_USAGE]
        parts = [f"{_count(lost)} lost: {_named(lost)}" if lost else ""]
        parts.append(f"{_count(extra)} billed beyond it: {_named(extra)}" if extra else "")
        return "what the service held after the run without faults, each record once", "; ".join(
            p for p in parts if p
        )
    expected, received = _breach_text(breaches[0])
    more = len(breaches) - 1
    return expected, received + (f" (and {more} more like it)" if more else "")


def _count(breaches: list[Breach]) -> str:
    total = sum(b.count for b in breaches)
    return f"{total} record{'s' * (total != 1)}"


def _named(breaches: list[Breach]) -> str:
    """Every record of the breaches (``LABEL (2 times)`` where one was lost twice), or the first
    _NAMED and how many more."""
    named = [b.detail + (f" ({b.count} times)" if b.count > 1 else "") for b in breaches[:_NAMED]]
    rest = sum(b.count for b in breaches[_NAMED:])
    return "; ".join(named) + (f"; and {rest} more" if rest else "")


def _breach_text(breach: Breach) -> tuple[str, str]:
    usage = usage_label(breach.usage) if breach.usage else ""
    at, earlier = f"request {breach.request}", f"request {breach.earlier}"
    match breach.lapse:
        case Lapse.BATCH_SIZE:
            return f"{at}: a BatchMeterUsage of {breach.allowed} records", f"{breach.detail} records"
        case Lapse.OUT_OF_WINDOW:
            return f"{at} timestamped inside the window", _window_text(breach)
        case Lapse.MALFORMED:
            return f"{at} well formed", f"{breach.detail}"
        case Lapse.NOT_RETRIED:
            fate = _FATES.get(breach.detail, breach.detail)
            return f"{usage} sent again after {at} was {fate}", _not_retried_text(breach)
        case Lapse.UNPROCESSED_DROPPED:
            return f"{usage} sent again after {at} listed it in UnprocessedRecords", "it was never sent again"
        case Lapse.TWICE_IN_ONE_REQUEST:
            return f"{usage} once in {at}", f"{at} carries it twice (the same customer, dimension and hour)"
        case Lapse.SENT_AFTER_ANSWER:
            said = f" ({breach.detail})" if breach.detail else ""
            return f"{usage} not sent again once {earlier} answered it{said}", f"{at} sent it again"
        case Lapse.RETRY_CHANGED:
            return (
                f"{at} repeating {usage} as {earlier} sent it (its answer was lost or a server error)",
                f"its {breach.detail} changed",
            )
        case Lapse.NO_BACKOFF:
            return (
                f"{usage} sent again after throttles with a backoff: {breach.count} resends in a "
                f"row waiting {breach.allowed} or more in all",
                f"{at} was the {_ordinal(breach.count)} resend in a row right after a throttle "
                f"(the last, request {breach.earlier}'s): the {breach.count} waited {breach.detail} "
                "in all",
            )
        case Lapse.LOST_USAGE | Lapse.EXTRA_USAGE:
            return "", breach.detail  # worded whole by the exactly-once text, record by record
        case unknown:
            assert_never(unknown)


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _window_text(breach: Breach) -> str:
    """The refusal, and the record furthest from the service's clock where it is known."""
    if breach.usage is None or breach.timestamp is None or breach.clock is None:
        return breach.detail
    off = breach.timestamp - breach.clock
    side = "before" if off.total_seconds() < 0 else "after"
    minutes = round(abs(off.total_seconds()) / 60)
    which = "its record" if breach.count == 1 else f"of its {breach.count} records, the furthest from it,"
    return (
        f"{breach.detail}: {which} {usage_label(breach.usage)} is stamped "
        f"{breach.timestamp:%Y-%m-%dT%H:%M:%SZ}, {minutes // 60} h {minutes % 60:02d} min {side} the "
        f"service's clock ({breach.clock:%H:%M:%SZ})"
    )


def _not_retried_text(breach: Breach) -> str:
    """Never sent again; and a later send alike but for the hour, where there is one: perhaps
    the retry, stamped anew into another hour."""
    if breach.alike is None:
        return "it was never sent again"
    return (
        f"it was never sent again at that hour; request {breach.later} sent "
        f"{usage_label(breach.alike)}, the same usage but for the hour: if that was its retry, its "
        "new timestamp moved it into another hour, which the service bills as new usage"
    )


def breaches_text(breaches: Sequence[Breach]) -> str:
    """Every broken rule's ID, Expected and Received, a paragraph each (empty: none broke)."""
    rules = dict.fromkeys(b.rule for b in breaches)
    paragraphs = []
    for rule in rules:
        expected, received = breach_lines([b for b in breaches if b.rule == rule])
        paragraphs.append(f"{rule}\n  Expected: {expected}\n  Received: {received}")
    return "\n".join(paragraphs)


def usage_label(key: UsageKey) -> str:
    """``prod-a/cust-1, users at hour 2026-11-02T10:00Z``: a usage as a seller knows it."""
    who = f"{key.subject}, " if key.subject else ""
    return f"{key.product_code}/{who}{key.dimension} at hour {key.hour:%Y-%m-%dT%H:00Z}"
