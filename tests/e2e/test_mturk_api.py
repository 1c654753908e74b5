"""The MTurk API walked through the sandbox as people would (issue 15): Rita gets a key with
/apikey in the web chat and runs a boto3 script against <sandbox URL>/mturk; Wes works in chat.
The script makes a qualification type and a HIT that needs it and Locale US; Wes, in the US but
without the qualification, does not see the HIT; the script grants it; Wes sees it, accepts,
submits, and the script approves."""
from __future__ import annotations

import pytest

from tests.e2e.walks import accept, funded_script, started, submit

pytestmark = pytest.mark.slow

RITA, WES = 521, 621
NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
FORM = f"""<QuestionForm xmlns="{NS}"><Question><QuestionIdentifier>animal</QuestionIdentifier>
<IsRequired>true</IsRequired><QuestionContent><Text>Which animal is it?</Text></QuestionContent>
<AnswerSpecification><SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion><Selections>
<Selection><SelectionIdentifier>cat</SelectionIdentifier><Text>Cat</Text></Selection>
<Selection><SelectionIdentifier>dog</SelectionIdentifier><Text>Dog</Text></Selection>
</Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"""


def hit_args(title: str, **extra) -> dict:
    return {"Title": title, "Description": "Say which animal is in the picture.", "Reward": "0.40",
            "MaxAssignments": 1, "AssignmentDurationInSeconds": 600, "LifetimeInSeconds": 86_400,
            "Question": FORM, **extra}


def work_on(wes, title: str) -> None:
    accept(wes, title=title)
    wes.wait_for("Which animal is it?")
    wes.press("Dog")
    submit(wes)


def test_a_boto3_script_gates_a_hit_on_its_qualification_and_a_worker_in_chat_earns_it(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    wes.send("/profile country US")
    wes.wait_for("US")
    mturk = funded_script(stack, rita, "10")
    assert mturk.get_account_balance()["AvailableBalance"] == "10.00"

    # A first, open HIT: Wes does it, so the script knows his WorkerId.
    first = mturk.create_hit(**hit_args("Warm-up: which animal?"))["HIT"]
    work_on(wes, "Warm-up: which animal?")
    (done,) = mturk.list_assignments_for_hit(HITId=first["HITId"])["Assignments"]
    mturk.approve_assignment(AssignmentId=done["AssignmentId"], RequesterFeedback="Thanks!")
    wes.wait_for("approved")

    qual = mturk.create_qualification_type(Name="Animal expert", Description="Tells animals apart",
                                           QualificationTypeStatus="Active")["QualificationType"]
    gated = mturk.create_hit(**hit_args("Expert: which animal?", QualificationRequirements=[
        {"QualificationTypeId": qual["QualificationTypeId"], "Comparator": "Exists",
         "ActionsGuarded": "DiscoverPreviewAndAccept"},
        {"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo",
         "LocaleValues": [{"Country": "US"}]}]))["HIT"]
    assert [r["ActionsGuarded"] for r in gated["QualificationRequirements"]] == ["DiscoverPreviewAndAccept", "Accept"]
    rita.send("/qual")
    rita.wait_for("Animal expert")  # the script's type is one of Rita's in chat

    wes.send("/browse")
    assert "Expert: which animal?" not in wes.wait_for()["text"]  # not qualified: not even listed

    mturk.associate_qualification_with_worker(QualificationTypeId=qual["QualificationTypeId"],
                                              WorkerId=done["WorkerId"], IntegerValue=1)
    wes.wait_for("Animal expert")  # told in chat
    work_on(wes, "Expert: which animal?")
    (submitted,) = mturk.list_assignments_for_hit(HITId=gated["HITId"])["Assignments"]
    assert submitted["WorkerId"] == done["WorkerId"] and "<SelectionIdentifier>dog</SelectionIdentifier>" in \
        submitted["Answer"]
    mturk.approve_assignment(AssignmentId=submitted["AssignmentId"])
    wes.wait_for("approved")
    assert mturk.get_hit(HITId=gated["HITId"])["HIT"]["NumberOfAssignmentsCompleted"] == 1
    assert mturk.get_qualification_score(QualificationTypeId=qual["QualificationTypeId"],
                                         WorkerId=done["WorkerId"])["Qualification"]["IntegerValue"] == 1
