"""`wa chat` prints the model's text exactly as it was sent: Rich markup in a reply is text."""

from __future__ import annotations

import pytest

from execution.cli_support import console
from orchestrator.chat import _show
from orchestrator.turn_result import TurnResult


@pytest.mark.parametrize(
    "reply",
    ["[fake] hello", "closing tag [/] alone", "[bold]not bold[/bold]", "[link=x]y[/link] [/]"],
)
def test_markup_in_a_reply_is_printed_literally(reply: str) -> None:
    with console.capture() as captured:
        _show(TurnResult(1, "replied", reply))
    assert reply in captured.get()


def test_markup_in_the_evidence_of_a_handoff_is_printed_literally() -> None:
    with console.capture() as captured:
        _show(TurnResult(1, "escalated", "One moment [/]", "negotiation", "[red]1.1M[/]"))
    assert "[red]1.1M[/]" in captured.get() and "One moment [/]" in captured.get()
