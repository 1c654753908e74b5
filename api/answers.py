"""Answers as MTurk's QuestionFormAnswers XML: one Answer per answered question, with the
form's own QuestionIdentifier and SelectionIdentifiers (for a HIT made in chat, the question
key and the option text). Numbers, ratings and text are FreeText; a location is FreeText
"latitude,longitude"; a photo, voice or document answer is FreeText "telegram-file:<file id>"
(download URLs come with the web-task pages)."""
from __future__ import annotations

from xml.sax.saxutils import escape

NAMESPACE = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"


def _free(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        if "file_id" in value:
            return f"telegram-file:{value['file_id']}"
        if {"latitude", "longitude"} <= value.keys():
            return f"{value['latitude']},{value['longitude']}"
    return str(value)


def question_form_answers(items: list[tuple[object, object]], identifiers: dict | None) -> str:
    """`items`: (core Question, stored value) pairs in question order."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', f'<QuestionFormAnswers xmlns="{NAMESPACE}">']
    for question, value in items:
        if question.kind == "web":  # the task page's form: one FreeText per field, repeated names kept
            for name, text in value if isinstance(value, list) else []:
                out.append(f"<Answer><QuestionIdentifier>{escape(str(name))}</QuestionIdentifier>"
                           f"<FreeText>{escape(str(text))}</FreeText></Answer>")
            continue
        mapped = (identifiers or {}).get(question.key, {})
        ident = mapped.get("id", question.key)
        selections = mapped.get("selections", {})
        out.append(f"<Answer><QuestionIdentifier>{escape(ident)}</QuestionIdentifier>")
        if question.kind in ("choice", "multi"):
            for picked in value if isinstance(value, list) else [value]:
                out.append(f"<SelectionIdentifier>{escape(selections.get(str(picked), str(picked)))}"
                           "</SelectionIdentifier>")
        else:
            out.append(f"<FreeText>{escape(_free(value))}</FreeText>")
        out.append("</Answer>")
    out.append("</QuestionFormAnswers>")
    return "".join(out[:1]) + "\n" + "".join(out[1:])
