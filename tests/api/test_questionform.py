"""QuestionForm XML onto hitbot's question kinds, and answers back as QuestionFormAnswers."""
from __future__ import annotations

import pytest

from api.answers import NAMESPACE, question_form_answers
from api.errors import ApiError
from api.questionform import parse
from core.models import Question
from tests.api.conftest import FORM_NS, QUESTION_FORM


def test_the_sample_form():
    form = parse(QUESTION_FORM)
    assert form.overview == "Animals\nLook at the animal and answer both questions."
    assert [(q["id"], q["kind"], q["required"]) for q in form.questions] == [
        ("q1", "choice", True), ("q2", "number", True), ("q3", "multi", False), ("q4", "text", False)]
    assert form.questions[0]["options"] == ["Cat", "Dog"] and form.questions[0]["prompt"] == "Which animal is it?"
    assert (form.questions[1]["min"], form.questions[1]["max"]) == (0, 8)
    assert (form.questions[3]["min"], form.questions[3]["max_length"]) == (2, 200)
    assert form.identifiers["q1"] == {"id": "animal", "selections": {"Cat": "A1", "Dog": "A2"}}
    assert form.identifiers["q3"]["id"] == "colours"


def form(*questions: str, overview: str = "") -> str:
    return f'<QuestionForm xmlns="{FORM_NS}">{overview}{"".join(questions)}</QuestionForm>'


def selection(style: str, *, extra: str = "", count: str = "") -> str:
    return (f"<Question><QuestionIdentifier>s</QuestionIdentifier><QuestionContent><Text>Pick</Text>"
            f"</QuestionContent><AnswerSpecification><SelectionAnswer>{count}"
            f"{f'<StyleSuggestion>{style}</StyleSuggestion>' if style else ''}<Selections>"
            "<Selection><SelectionIdentifier>a</SelectionIdentifier><Text>One</Text></Selection>"
            f"<Selection><SelectionIdentifier>b</SelectionIdentifier><Text>Two</Text></Selection>{extra}"
            "</Selections></SelectionAnswer></AnswerSpecification></Question>")


@pytest.mark.parametrize("style, kind", [("radiobutton", "choice"), ("dropdown", "choice"), ("list", "choice"),
                                         ("combobox", "choice"), ("checkbox", "multi"), ("multichooser", "multi")])
def test_selection_styles(style, kind):
    assert parse(form(selection(style))).questions[0]["kind"] == kind


def test_selection_without_a_style_follows_the_counts():
    assert parse(form(selection(""))).questions[0]["kind"] == "choice"
    many = "<MinSelectionCount>1</MinSelectionCount><MaxSelectionCount>2</MaxSelectionCount>"
    q = parse(form(selection("", count=many))).questions[0]
    assert (q["kind"], q["required"]) == ("multi", True)


def test_overview_content_and_picture():
    overview = ("<Overview><Title>Read this</Title><List><ListItem>one</ListItem><ListItem>two</ListItem></List>"
                "<FormattedContent><![CDATA[<p>Be <b>careful</b> &amp; quick</p>]]></FormattedContent>"
                "<Binary><MimeType><Type>image</Type><SubType>png</SubType></MimeType>"
                "<DataURL>https://example.org/a.png</DataURL><AltText>a cat</AltText></Binary></Overview>")
    parsed = parse(form(selection("radiobutton"), overview=overview))
    assert parsed.overview == "Read this\n• one\n• two\nBe careful & quick\na cat"
    assert parsed.attachment == "https://example.org/a.png"


@pytest.mark.parametrize("xml, words", [
    (form(selection("radiobutton", extra="<OtherSelection/>")), "OtherSelection"),
    (form(selection("slider")), "StyleSuggestion"),
    (form(selection("checkbox", count="<MaxSelectionCount>1</MaxSelectionCount>")), "MaxSelectionCount"),
    (form(selection("radiobutton"), selection("radiobutton")), "used twice"),
    (form("<Question><QuestionIdentifier>f</QuestionIdentifier><QuestionContent><Text>x</Text></QuestionContent>"
          "<AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>100</MaxFileSizeInBytes>"
          "</FileUploadAnswer></AnswerSpecification></Question>"), "FileUploadAnswer"),
    (form("<Question><QuestionIdentifier>r</QuestionIdentifier><QuestionContent><Text>x</Text></QuestionContent>"
          "<AnswerSpecification><FreeTextAnswer><Constraints><AnswerFormatRegex regex='[a-z]+'/></Constraints>"
          "</FreeTextAnswer></AnswerSpecification></Question>"), "AnswerFormatRegex"),
    (form("<Question><QuestionIdentifier>n</QuestionIdentifier><QuestionContent><Text>x</Text></QuestionContent>"
          "<AnswerSpecification><FreeTextAnswer><Constraints><IsNumeric minValue='zero'/></Constraints>"
          "</FreeTextAnswer></AnswerSpecification></Question>"), "minValue"),
    ("<Other/>", "root element"),
])
def test_refused_forms(xml, words):
    with pytest.raises(ApiError) as caught:
        parse(xml)
    assert caught.value.code == "RequestError" and words in caught.value.message


def test_answers_xml_escapes_and_maps_identifiers():
    choice = Question(key="q1", kind="choice", options=["A & B", "C"])
    text = Question(key="q2", kind="text")
    number = Question(key="q3", kind="number")
    where = Question(key="where", kind="location")
    xml = question_form_answers([(choice, "A & B"), (text, "<b>hi</b>"), (number, 4.0),
                                 (where, {"latitude": 1.5, "longitude": -2.0})],
                                {"q1": {"id": "pick", "selections": {"A & B": "ab"}}, "q2": {"id": "say"},
                                 "q3": {"id": "n"}})
    assert f'xmlns="{NAMESPACE}"' in xml
    assert "<QuestionIdentifier>pick</QuestionIdentifier><SelectionIdentifier>ab</SelectionIdentifier>" in xml
    assert "<FreeText>&lt;b&gt;hi&lt;/b&gt;</FreeText>" in xml and "<FreeText>4</FreeText>" in xml
    assert "<QuestionIdentifier>where</QuestionIdentifier><FreeText>1.5,-2.0</FreeText>" in xml
