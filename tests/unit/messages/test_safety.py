"""Keeping conversations safe (issue 18): mute, report and an admin's /reports, a worker's block of a
requester (HITs hidden everywhere, accept refused, no messages either way), links in first messages
flagged, and photos/documents relayed by file_id with bounds."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.alerts import commands as alerts
from core.errors import NotAllowed, StaleAction, ValidationFailed, WorkerBlocked
from core.messages import commands as msgs, queries, safety
from core.models import AlertSent, Assignment, Message, OutboxEvent, RequesterBlock, ThreadReport
from core.work import browse, commands as work
from tests import factories as f
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("database")
ADMIN = 990001


def notices() -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == "message.received").order_by(OutboxEvent.id))


def _pair():
    r = f.requester()
    h = f.hit(r.id)
    w = f.user("Wes", username="wes_secret")
    row = msgs.ask(worker_id=w.id, hit_id=h.id, text="Hello", now=NOW)
    return r, w, h, row.thread_id


def test_a_muted_thread_sends_no_notice_but_stays_readable_and_unmutes():
    r, w, _h, tid = _pair()
    assert safety.set_muted(user_id=r.id, thread_id=tid, muted=True) is True
    msgs.reply(user_id=w.id, thread_id=tid, text="Are you there?", now=NOW + timedelta(minutes=1))
    assert [e.user_id for e in notices()] == [r.id]  # only the first, before the mute
    assert queries.threads(user_id=r.id)[0].unread == 2
    view = msgs.open_thread(user_id=r.id, thread_id=tid, now=NOW)
    assert view.muted and [t for _, t, _, _ in view.messages] == ["Hello", "Are you there?"]
    # the worker's own side is not muted: the requester's answer reaches them
    msgs.reply(user_id=r.id, thread_id=tid, text="Yes", now=NOW + timedelta(minutes=2))
    assert notices()[-1].user_id == w.id
    safety.set_muted(user_id=r.id, thread_id=tid, muted=False)
    msgs.reply(user_id=w.id, thread_id=tid, text="Good", now=NOW + timedelta(minutes=3))
    assert notices()[-1].user_id == r.id


def test_a_forged_mute_report_or_block_changes_nothing():
    r, w, _h, tid = _pair()
    intruder = f.user("Ivy")
    with pytest.raises(NotAllowed):
        safety.set_muted(user_id=intruder.id, thread_id=tid, muted=True)
    with pytest.raises(NotAllowed):
        safety.report(user_id=intruder.id, thread_id=tid, reason="x", now=NOW)
    with pytest.raises(NotAllowed):
        safety.block_requester(worker_id=intruder.id, thread_id=tid, now=NOW)
    with pytest.raises(NotAllowed):  # a requester cannot "block a requester" in their own thread
        safety.block_requester(worker_id=r.id, thread_id=tid, now=NOW)
    with pytest.raises(NotAllowed):
        safety.set_muted(user_id=w.id, thread_id=tid + 999, muted=True)
    assert ThreadReport.select().count() == 0 and RequesterBlock.select().count() == 0
    assert not msgs.open_thread(user_id=r.id, thread_id=tid, now=NOW).muted


def test_a_report_is_bounded_once_per_side_and_an_admin_resolves_it_once():
    r, w, _h, tid = _pair()
    with pytest.raises(ValidationFailed, match="at most 500"):
        safety.report(user_id=w.id, thread_id=tid, reason="x" * 501, now=NOW)
    assert ThreadReport.select().count() == 0
    safety.report(user_id=w.id, thread_id=tid, reason="  asks for my password  ", now=NOW)
    with pytest.raises(StaleAction):
        safety.report(user_id=w.id, thread_id=tid, reason="", now=NOW)
    safety.report(user_id=r.id, thread_id=tid, reason=None, now=NOW)  # the other side may too, no reason

    with pytest.raises(NotAllowed):
        safety.open_reports(admin_ids=frozenset({ADMIN}), admin_id=w.id, now=NOW)
    page = safety.open_reports(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, now=NOW)
    assert page.open_n == 2 and not page.has_more
    first = page.rows[0]
    assert (first.by, first.reason, first.thread_id) == ("w", "asks for my password", tid)
    assert [m[1] for m in first.messages] == ["Hello"] and first.worker.startswith("Worker #")

    with pytest.raises(NotAllowed):
        safety.resolve(admin_ids=frozenset({ADMIN}), admin_id=w.id, report_id=first.report_id, now=NOW)
    assert safety.resolve(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, report_id=first.report_id, now=NOW)
    assert not safety.resolve(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, report_id=first.report_id, now=NOW)
    with pytest.raises(NotAllowed):
        safety.resolve(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, report_id=first.report_id + 99, now=NOW)
    assert safety.open_reports(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, now=NOW).open_n == 1
    safety.report(user_id=w.id, thread_id=tid, reason="again", now=NOW)  # resolved: a new report is allowed


def test_reports_are_paged():
    for i in range(safety.REPORTS_PAGE + 2):
        _r, w, _h, tid = _pair()
        safety.report(user_id=w.id, thread_id=tid, reason=f"r{i}", now=NOW)
    admins = frozenset({ADMIN})
    one = safety.open_reports(admin_ids=admins, admin_id=ADMIN, now=NOW)
    two = safety.open_reports(admin_ids=admins, admin_id=ADMIN, page=1, now=NOW)
    assert one.has_more and not two.has_more and len(two.rows) == 2
    assert [x.reason for x in one.rows + two.rows] == [f"r{i}" for i in range(safety.REPORTS_PAGE + 2)]


def test_a_worker_who_blocks_a_requester_never_sees_their_hits_and_neither_side_can_write():
    r, w, h, tid = _pair()
    other = f.requester(name="Olga")
    h2 = f.hit(other.id)
    listed = lambda: {c.hit.requester_id for c in browse.list_open_hits(worker_id=w.id, filters=browse.Filters(), now=NOW).cards}
    assert listed() == {r.id, other.id}
    assert safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)
    assert not safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)  # a second press changes nothing
    assert listed() == {other.id}
    assert {c.hit.requester_id for c in browse.list_open_hits(
        worker_id=w.id, filters=browse.Filters(keyword="photo"), now=NOW).cards} <= {other.id}
    with pytest.raises(safety.RequesterBlockedByYou, match="Unblock them in /blocks"):
        browse.preview(worker_id=w.id, hit_id=h.id, now=NOW)
    with pytest.raises(WorkerBlocked):
        work.accept(worker_id=w.id, hit_id=h.id, now=NOW)
    assert Assignment.select().where(Assignment.worker == w.id).count() == 0
    with pytest.raises(safety.RequesterBlockedByYou):
        msgs.reply(user_id=w.id, thread_id=tid, text="hi", now=NOW)
    with pytest.raises(safety.WorkerUnreachable):
        msgs.reply(user_id=r.id, thread_id=tid, text="hi", now=NOW)
    with pytest.raises(safety.RequesterBlockedByYou):
        msgs.ask(worker_id=w.id, hit_id=h.id, text="hi", now=NOW)
    assert Message.select().count() == 1
    assert msgs.open_thread(user_id=w.id, thread_id=tid, now=NOW).blocked  # still readable
    assert work.accept(worker_id=w.id, hit_id=h2.id, now=NOW)  # other requesters unaffected

    (row,) = safety.blocks_of(worker_id=w.id)
    assert row.requester == "Rita"
    assert not safety.unblock_requester(worker_id=other.id, block_id=row.block_id)  # not theirs
    assert safety.unblock_requester(worker_id=w.id, block_id=row.block_id)
    assert r.id in listed()
    msgs.reply(user_id=r.id, thread_id=tid, text="welcome back", now=NOW)
    safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)
    assert safety.unblock_requester(worker_id=w.id, thread_id=tid)
    assert not safety.unblock_requester(worker_id=w.id, thread_id=tid)


def test_a_blocked_requesters_new_hit_sends_no_alert():
    r, w, _h, tid = _pair()
    alerts.subscribe(user_id=w.id, filters=browse.Filters(), now=NOW)
    safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)
    fresh = f.hit(r.id, now=NOW + timedelta(minutes=1))
    alerts.match_new_hits(now=NOW + timedelta(minutes=2))
    assert not AlertSent.select().where((AlertSent.user == w.id) & (AlertSent.hit_id == fresh.id)).exists()


@pytest.mark.parametrize("text,flag", [
    ("see https://evil.example/login", True), ("write to @helpdesk_real", True), ("go to www.pay.me", True),
    ("t.me/joinchat/abc", True), ("visit paypal.com now", True), ("mail me a@b", False),
    ("Is a kitten a cat?", False), ("3.50 is fine", False)])
def test_links_are_spotted(text, flag):
    assert safety.has_link(text) is flag


def test_only_a_first_message_with_a_link_is_flagged_and_counted_for_admins():
    r = f.requester()
    h = f.hit(r.id)
    w = f.user()
    first = msgs.ask(worker_id=w.id, hit_id=h.id, text="Details at https://x.example", now=NOW)
    later = msgs.reply(user_id=r.id, thread_id=first.thread_id, text="see @someone_else", now=NOW)
    assert Message.get_by_id(first.id).flagged and not Message.get_by_id(later.id).flagged
    assert [e.payload["flagged"] for e in notices()] == [True, False]
    assert safety.open_reports(admin_ids=frozenset({ADMIN}), admin_id=ADMIN, now=NOW).flagged_n == 1


def test_a_photo_or_document_is_stored_and_relayed_by_file_id_within_bounds():
    r, w, _h, tid = _pair()
    photo = {"kind": "p", "file_id": "AgACphoto", "size": 50_000}
    msgs.reply(user_id=r.id, thread_id=tid, text="the example", file=photo, now=NOW)
    doc = {"kind": "d", "file_id": "BQACdoc", "size": 9_000, "mime": "application/pdf", "name": "guide.pdf"}
    msgs.reply(user_id=w.id, thread_id=tid, text=None, file=doc, now=NOW)
    relayed = notices()[-2:]
    assert [(e.payload["file_kind"], e.payload["file_id"], e.payload["text"]) for e in relayed] == [
        ("p", "AgACphoto", "the example"), ("d", "BQACdoc", "")]
    assert str(w.id) not in str(relayed[1].payload) and "wes_secret" not in str(relayed[1].payload)
    row = Message.get_by_id(max(m.id for m in Message.select()))
    assert (row.file_kind, row.file_id, row.file_name) == ("d", "BQACdoc", "guide.pdf")
    view = msgs.open_thread(user_id=r.id, thread_id=tid, now=NOW)
    assert view.marks == [(None, False), ("p", False), ("d", False)]

    count = Message.select().count()
    for bad, match in [({**doc, "mime": "application/x-msdownload"}, "kind of file"),
                       ({**doc, "size": 21 * 1024 * 1024}, "too large"),
                       ({"kind": "v", "file_id": "x"}, "Only photos"), ({"kind": "p", "file_id": ""}, "Only photos")]:
        with pytest.raises(ValidationFailed, match=match):
            msgs.reply(user_id=w.id, thread_id=tid, text="", file=bad, now=NOW)
    with pytest.raises(ValidationFailed, match="1024"):
        msgs.reply(user_id=w.id, thread_id=tid, text="x" * 1025, file=photo, now=NOW)
    assert Message.select().count() == count


def test_the_home_screen_suggests_nothing_from_a_blocked_requester():
    from core import dashboard

    r, w, h, tid = _pair()
    work.accept(worker_id=w.id, hit_id=h.id, now=NOW)
    f.hit(r.id, title="Label the photo")  # more of the same group, open for Wes
    assert [g.title for g in dashboard.recent_groups(user_id=w.id, now=NOW)] == ["Label the photo"]
    safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)
    assert dashboard.recent_groups(user_id=w.id, now=NOW) == []


def test_a_deleted_account_takes_its_files_and_an_export_names_them():
    r, w, h, tid = _pair()
    doc = {"kind": "d", "file_id": "BQACdoc", "size": 9_000, "mime": "application/pdf", "name": "guide.pdf"}
    msgs.reply(user_id=w.id, thread_id=tid, text="my notes", file=doc, now=NOW)
    msgs.reply(user_id=r.id, thread_id=tid, text="thanks", file={"kind": "p", "file_id": "AgACr"}, now=NOW)
    assert [e.get("file") for e in msgs.export_of(user_id=w.id)] == [None, "document", "photo"]
    msgs.erase_of(user_id=w.id)
    rows = list(Message.select().order_by(Message.id))
    assert [(m.text, m.file_id) for m in rows] == [("", None), ("", None), ("thanks", "AgACr")]
    view = msgs.open_thread(user_id=r.id, thread_id=tid, now=NOW)
    assert [t for _, t, _, _ in view.messages] == ["", "", "thanks"]
    assert view.marks == [(None, False), (None, False), ("p", False)]  # shown as "(deleted)"


def test_admins_see_which_requesters_workers_block_most():
    from core.review import appeals

    r, w, h, tid = _pair()
    safety.block_requester(worker_id=w.id, thread_id=tid, now=NOW)
    counts = appeals.block_counts(admin_ids=frozenset({ADMIN}), admin_id=ADMIN)
    assert counts["by_workers"] == [(r.id, "Rita", 1)]


def test_notify_workers_over_the_api_skips_a_worker_who_blocked_the_requester():
    from core.mturk import workers as mturk_workers
    from core.mturk.commands import worker_ref

    r = f.requester()
    a, b = f.submitted(r.id, 2, NOW)
    tid = msgs.message_worker(requester_id=r.id, assignment_id=a.id, text="hi", now=NOW).thread_id
    safety.block_requester(worker_id=a.worker_id, thread_id=tid, now=NOW)
    refs = [worker_ref(r.id, a.worker_id), worker_ref(r.id, b.worker_id)]
    missed = mturk_workers.notify(requester_id=r.id, refs=refs, subject="More work", text="Tomorrow", now=NOW)
    assert missed == [refs[0]]
    told = OutboxEvent.select().where(OutboxEvent.kind == "requester.message")
    assert [e.user_id for e in told] == [b.worker_id]


def test_resolving_the_last_report_of_a_page_shows_the_page_before():
    for i in range(safety.REPORTS_PAGE + 1):
        r, w, h, tid = _pair()
        safety.report(user_id=w.id, thread_id=tid, reason=f"r{i}", now=NOW)
    admins = frozenset({ADMIN})
    (last,) = safety.open_reports(admin_ids=admins, admin_id=ADMIN, page=1, now=NOW).rows
    resolved, page = safety.resolve_report(admin_ids=admins, admin_id=ADMIN, report_id=last.report_id, page=1, now=NOW)
    assert resolved and page.page == 0 and len(page.rows) == safety.REPORTS_PAGE and not page.has_more
