"""A web task done by clicking in headless Chromium (issue 16): Wes opens an HTMLQuestion HIT from
the web chat, the Open task button shows the page in the Mini App panel (the tasks origin, the
requester's HTML sandboxed inside hitbot's wrapper, which frames it only once /init has checked the
initData the web chat signed and answered the frame with its credential), he picks a label and
presses the page's own Submit, and the chat confirms. The page's script can read no cookie or
storage, nothing of the wrapper, and can't call the chat's API."""
from __future__ import annotations

import pytest

from core.models import Answer, Assignment
from tests.e2e.test_web_tasks import NS, PAGE, tasks  # noqa: F401  (the tasks origin fixture)
from tests.e2e.web_chat_page import CHROMIUM, Chat, add_person, chromium_page, scripted_requester

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM, reason="no chromium binary (CI installs it with .ci/browser-deps)"),
]

RITA, WES = 541, 641
TITLE = "Animal on a web page"
# A requester's script reaching for what is not its own: cookies and storage, the wrapper around it,
# hitbot's chat API. Each try is reported on the page.
PROBE = """<p id='probe'>probing</p><script>
(async function () {
  var out = [];
  function tryIt(name, fn) { try { fn(); out.push(name + ':readable'); } catch (e) { out.push(name + ':blocked'); } }
  tryIt('cookie', function () { return document.cookie; });
  tryIt('storage', function () { return window.localStorage.length; });
  tryIt('wrapper', function () { return window.parent.document.body.innerHTML; });
  try { await fetch('%s/sandbox/api/users'); out.push('chat-api:readable'); }
  catch (e) { out.push('chat-api:blocked'); }
  document.getElementById('probe').textContent = out.join(' ');
})();
</script>"""


def _script_makes_the_hit(url: str) -> None:
    mturk = scripted_requester(url, RITA, "wbt")
    mturk.create_hit(Title=TITLE, Description="Pick the animal on the page.", Reward="0.30", MaxAssignments=1,
                     AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400, Question=_question(url))


def _question(chat_url: str) -> str:
    page = PAGE.replace("</body>", PROBE % chat_url + "</body>")
    return f"<HTMLQuestion xmlns='{NS}'><HTMLContent><![CDATA[{page}]]></HTMLContent>" \
           "<FrameHeight>500</FrameHeight></HTMLQuestion>"


def test_a_worker_opens_the_task_from_the_web_chat_picks_a_label_and_submits(tasks, stack):  # noqa: F811
    from playwright.sync_api import expect

    _script_makes_the_hit(stack.url)
    with chromium_page(stack.url + "/") as (page, errors):
        add_person(page, "Wes", WES)
        wes = Chat(page, WES)

        wes.send("/browse")
        wes.bot_says(TITLE)
        wes.click(TITLE)
        wes.bot_says("web task")
        wes.click("Preview page")  # MTurk's preview, open to anyone: its initData checked, its frame kept
        preview = page.frame_locator("[data-testid=webapp-frame]")
        expect(preview.frame_locator("#task").get_by_text("Which animal is in the picture?")).to_be_visible(
            timeout=15_000)
        page.wait_for_timeout(500)  # the /init answer has come and gone
        expect(preview.locator("#refused")).to_be_hidden()
        expect(preview.locator("#task")).to_have_count(1)
        page.get_by_test_id("webapp-close").click()
        wes.click("Accept")
        wes.bot_says("Open task")
        wes.click("Open task")
        panel = page.get_by_test_id("webapp-frame")
        expect(panel).to_be_visible()
        assert panel.get_attribute("src").startswith(tasks.url + "/task/")
        wrapper = page.frame_locator("[data-testid=webapp-frame]")
        expect(wrapper.locator("header")).to_contain_text(TITLE)
        task = wrapper.frame_locator("#task")
        expect(task.get_by_text("Which animal is in the picture?")).to_be_visible(timeout=15_000)
        framed = page.frame_locator("[data-testid=webapp-frame]").locator("#task").get_attribute("src")
        assert "credential=" in framed  # the frame /init answered for Wes's initData
        # The same wrapper opened bare (no initData: a copied Mini App URL) shows no task, and says why.
        bare = page.context.browser.new_page()
        bare.goto(panel.get_attribute("src").split("#")[0])
        expect(bare.locator("#refused")).to_contain_text("Open task button")
        expect(bare.locator("iframe")).to_have_count(0)
        # Open in browser: the plain link (?via=link) frames the task at once, asking for nothing.
        bare.goto(panel.get_attribute("src").split("#")[0] + "?via=link")
        expect(bare.frame_locator("#task").get_by_text("Which animal is in the picture?")).to_be_visible(
            timeout=15_000)
        bare.close()
        expect(task.locator("#probe")).to_have_text(
            "cookie:blocked storage:blocked wrapper:blocked chat-api:blocked", timeout=10_000)
        task.get_by_label("Dog").check()
        task.locator("#submitButton").click()
        expect(task.get_by_text("Your work is submitted")).to_be_visible(timeout=15_000)
        expect(wrapper.locator("#refused")).to_be_hidden()  # the emulator's initData passed the check
        wes.bot_says("from its page")
        page.get_by_test_id("webapp-close").click()
        expect(panel).to_have_count(0)
        assert errors == []
    (done,) = Assignment.select().where(Assignment.worker == WES)
    assert done.status == "submitted"
    assert Answer.get(Answer.assignment == done.id).value == [["animal", "dog"]]
