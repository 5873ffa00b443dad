"""Conversations replayed the way chat apps send them, for gw_loadgen's `--shape conversation`.

Turn k sends the system prompt, every earlier user message and every answer the gateway returned (exactly as it
returned them), then a new user message; after `TURNS` turns the conversation starts over with new serials. So
each request carries history the gateway has seen before, one answer it returned, and one new user message.
"""

from __future__ import annotations

TURNS = 4
"""Requests per conversation: 2, 4, 6 and 8 messages (the typical four-message request is the second)."""
WRAP = ("Thank you for the details. I have noted the following: {} Our billing team will check it and reply within "
        "two working days.")
"""The fake upstream's answer around its echo (`[[fake:wrap=...]]` on the bench deployment's model name): an
answer that differs from the question and repeats its names, as a support answer does."""


def user_message(serial: int, turn: int) -> str:
    return (
        f"Hi, I am Jane Martin, customer {serial}. My last invoice looks wrong.",
        f"It is INV-{serial}: the VAT line is charged twice. Please write to jane{serial}@example.com with the "
        "corrected total.",
        f"Also, my address changed to {serial % 200 + 1} Rue de la Paix, Paris. Can you update it on the account?",
        f"Thanks. When will the refund of {serial % 90 + 10} EUR reach my card ending in {serial % 9000 + 1000}?",
    )[turn % 4]


class Conversation:
    """One client's conversation: the messages so far, and the serial that makes its texts new."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self.messages: list[dict[str, str]] = []

    def next_messages(self, serial: int) -> list[dict[str, str]]:
        """The messages of the next request (a new conversation after `TURNS` turns or a failed turn)."""
        turn = sum(1 for m in self.messages if m["role"] == "user")
        if turn >= TURNS or (self.messages and self.messages[-1]["role"] != "assistant"):
            turn = 0
        if turn == 0:
            self.serial = serial
            self.messages = [{"role": "system", "content": f"You are the support assistant of Acme (session "
                                                           f"{serial}). Answer briefly."}]
        self.messages.append({"role": "user", "content": user_message(self.serial, turn)})
        return list(self.messages)

    def answered(self, text: str | None) -> None:
        """The gateway's answer, sent back next turn; None (an error) starts a new conversation."""
        if text is None:
            self.messages = []
        else:
            self.messages.append({"role": "assistant", "content": text})
