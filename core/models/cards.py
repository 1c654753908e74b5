from __future__ import annotations

from peewee import BigIntegerField, CharField

from core.models.base import BaseModel, UTCDateTimeField


class ChatCard(BaseModel):
    """A chat message that shows an object's state (a submission card, the /review summary,
    a question, an appeal, a decision notice). When the object changes, core emits
    cards.refresh and the jobs worker edits each such message with the current state."""

    object_kind = CharField(max_length=16)  # assignment | review_queue (a requester's queue)
    object_id = BigIntegerField()
    chat_id = BigIntegerField()
    message_id = BigIntegerField()
    card_kind = CharField(max_length=24)  # which view renders it (bot/views/cards.py)
    ref = BigIntegerField(null=True)  # what else that view needs: the notice's event, the appeal
    created_at = UTCDateTimeField()
    shown_event = BigIntegerField(null=True)  # the last cards.refresh event applied to it

    class Meta:
        indexes = ((("object_kind", "object_id"), False), (("chat_id", "message_id"), True),
                   (("created_at",), False))
