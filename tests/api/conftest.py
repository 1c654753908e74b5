"""The MTurk API over real HTTP: an ApiServer on a free port against the test database, and
boto3 clients signed with keys made by core.mturk.apikeys (or /apikey in chat)."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import boto3
import pytest
from botocore.config import Config

from api.server import ApiServer
from core.config import get_settings
from core.mturk import apikeys
from tests import factories as f
from tests.bot.conftest import bot, clock  # noqa: F401  (the chat harness, for /apikey and /myhits)

TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    monkeypatch.setenv("HITBOT_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # nothing from the machine's own AWS setup
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_ENDPOINT_URL_MTURK", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def api(database):
    server = ApiServer(rate_per_s=1000, burst=1000).start()
    yield server
    server.stop()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def mturk(api: ApiServer, key_id: str, secret: str, region: str = "us-east-1", **config):
    return boto3.client("mturk", endpoint_url=api.url, region_name=region, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, config=Config(**config) if config else None)


class Requester:
    """A funded requester with a key, and a boto3 client signed with it."""

    def __init__(self, api: ApiServer, cents: int, name: str = "Rita") -> None:
        self.user = f.requester(cents, name=name)
        self.id = self.user.id
        key = apikeys.create_key(user_id=self.id, now=utcnow(), request_key=f"test:{self.id}")
        self.key_id, self.secret = key.access_key_id, key.secret
        self.client = mturk(api, self.key_id, self.secret)


@pytest.fixture
def rita(api) -> Requester:
    return Requester(api, 100_00, "Rita")


@pytest.fixture
def otto(api) -> Requester:
    return Requester(api, 50_00, "Otto")


FORM_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"

QUESTION_FORM = f"""<QuestionForm xmlns="{FORM_NS}">
  <Overview><Title>Animals</Title><Text>Look at the animal and answer both questions.</Text></Overview>
  <Question>
    <QuestionIdentifier>animal</QuestionIdentifier>
    <IsRequired>true</IsRequired>
    <QuestionContent><Text>Which animal is it?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer>
      <StyleSuggestion>radiobutton</StyleSuggestion>
      <Selections>
        <Selection><SelectionIdentifier>A1</SelectionIdentifier><Text>Cat</Text></Selection>
        <Selection><SelectionIdentifier>A2</SelectionIdentifier><Text>Dog</Text></Selection>
      </Selections>
    </SelectionAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>legs</QuestionIdentifier>
    <IsRequired>true</IsRequired>
    <QuestionContent><Text>How many legs?</Text></QuestionContent>
    <AnswerSpecification><FreeTextAnswer>
      <Constraints><IsNumeric minValue="0" maxValue="8"/></Constraints>
    </FreeTextAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>colours</QuestionIdentifier>
    <QuestionContent><Text>Which colours do you see?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer>
      <StyleSuggestion>checkbox</StyleSuggestion>
      <Selections>
        <Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection>
        <Selection><SelectionIdentifier>black</SelectionIdentifier><Text>Black</Text></Selection>
        <Selection><SelectionIdentifier>white</SelectionIdentifier><Text>White</Text></Selection>
      </Selections>
    </SelectionAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>notes</QuestionIdentifier>
    <QuestionContent><Text>Anything else?</Text></QuestionContent>
    <AnswerSpecification><FreeTextAnswer>
      <Constraints><Length minLength="2" maxLength="200"/></Constraints>
    </FreeTextAnswer></AnswerSpecification>
  </Question>
</QuestionForm>"""


def create_args(**overrides) -> dict:
    args = {"Title": "Name the animal", "Description": "Say which animal is in the picture.",
            "Keywords": "animals, images", "Reward": "0.50", "MaxAssignments": 2,
            "AssignmentDurationInSeconds": 600, "LifetimeInSeconds": 86_400, "AutoApprovalDelayInSeconds": 3 * 86_400,
            "Question": QUESTION_FORM}
    args.update(overrides)
    return args
