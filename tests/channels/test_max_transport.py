"""MaxTransport against the fake MAX server over real HTTP, and its splitting and reflowing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import pytest

from bot.channels.max import Gone, MaxApi, MaxTransport, RetryLater
from bot.channels.max.transport import cut_label, reflow, split_html
from bot.messages import MAX_LIMITS, Attachment, Button, Outgoing, keyboard
from tests.fake_max import FakeMax, MaxUser
from tests.fake_max.test_fake_server import tiny_png

TOKEN = "max-test-token"
DONE = Button("Готово", data="t:done:7")
PLAN = Button("План", url="https://example.org/plan")


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax(token=TOKEN) as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
async def api(fake: FakeMax) -> AsyncIterator[MaxApi]:
    async with MaxApi(
        TOKEN, base_url=fake.url, request_timeout=2, not_ready_delays=(0.01, 0.01)
    ) as client:
        yield client


@pytest.fixture
def transport(api: MaxApi) -> MaxTransport:
    return MaxTransport(api)


@pytest.fixture
def alice(fake: FakeMax) -> MaxUser:
    user = fake.user(1001, "Alice")
    fake.start_bot(user)
    fake.rate_limit(None, None)  # the tests send bursts; pacing is the sender's job
    return user


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes another element"


def assert_well_formed(html: str) -> None:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.open == [], f"left open: {parser.open} in {html[-80:]!r}"


def long_text() -> str:
    paragraphs = []
    for number in range(1, 31):
        lines = [f"<b>Раздел {number}</b>"]
        lines += [
            f"{number}.{i} <i>задача</i> «план» &amp; отчёт " + " ".join(["текст"] * 12)
            for i in range(4)
        ]
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- sending text


async def test_long_text_arrives_in_order_with_the_keyboard_on_the_last_part(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    text = long_text()
    assert len(text) > 3 * 4000
    mid = await transport.send(Outgoing(text, buttons=((DONE, PLAN),)), user_id=alice.user_id)

    sent = fake.messages_to(fake.dialog_id(alice))
    assert len(sent) == 4
    assert sent[-1].mid == mid
    for part in sent:
        assert part.source_text is not None
        assert len(part.source_text) <= 4000
        assert part.format == "html"
        assert_well_formed(part.source_text)
        assert part.source_text.startswith("<b>Раздел")  # cut at blank lines
    assert [m.keyboard != [] for m in sent] == [False, False, False, True]
    assert sent[-1].callback_payload("Готово") == "t:done:7"
    # Nothing lost, nothing reordered: the parts are the paragraphs, in order.
    assert "\n\n".join(m.source_text or "" for m in sent) == text


async def test_short_text_by_chat_id_is_one_message(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    dialog = fake.dialog_id(alice)
    mid = await transport.send(Outgoing("<b>Привет</b>"), chat_id=dialog, notify=False)
    (sent,) = fake.messages_to(dialog)
    assert (sent.mid, sent.text, sent.source_text) == (mid, "Привет", "<b>Привет</b>")
    assert sent.notify is False
    assert sent.attachments == []
    with pytest.raises(ValueError, match="exactly one"):
        await transport.send(Outgoing("x"), chat_id=dialog, user_id=alice.user_id)
    with pytest.raises(ValueError, match="exactly one"):
        await transport.send(Outgoing("x"))


def test_split_closes_and_reopens_an_element_cut_through() -> None:
    text = "<pre>" + "\n".join(f"строка {i:02} " + "x" * 20 for i in range(40)) + "</pre>"
    parts = split_html(text, 300)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 300
        assert part.startswith("<pre>")
        assert part.endswith("</pre>")
        assert_well_formed(part)
    inner = [p.removeprefix("<pre>").removesuffix("</pre>") for p in parts]
    assert "\n".join(inner) == text.removeprefix("<pre>").removesuffix("</pre>")


def test_split_prefers_places_where_nothing_is_open() -> None:
    text = "<b>" + "а\n" * 30 + "</b>\n" + "б" * 50 + "\n\n<i>в</i>"
    assert split_html(text, 80) == ["<b>" + "а\n" * 30 + "</b>", "б" * 50 + "\n\n<i>в</i>"]
    # ... but not at the cost of a part less than half full.
    text = "<b>Итоги</b>\n<pre>" + "\n".join(f"{i:02} " + "ж" * 16 for i in range(30)) + "</pre>"
    parts = split_html(text, 200)
    assert parts[0].startswith("<b>Итоги</b>\n<pre>00 ")
    assert all(100 <= len(p) <= 200 for p in parts[:-1])


def test_split_never_cuts_a_tag_or_an_entity() -> None:
    link = '<a href="https://example.org/a?b=1&amp;c=2">ссылка</a>'
    text = " ".join([link, "&lt;слово&gt;"] * 40)
    for limit in (60, 77, 101, 150):
        parts = split_html(text, limit)
        for part in parts:
            assert len(part) <= limit
            assert_well_formed(part)
            assert part.count("<") == part.count(">")
            assert "&" not in part.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
        assert " ".join(parts) == text


def test_split_a_line_without_spaces_and_counts_utf16() -> None:
    word = "😀" * 30  # 60 UTF-16 units
    parts = split_html(word, 25)
    assert "".join(parts) == word
    assert [len(p) for p in parts] == [12, 12, 6]
    assert split_html("short", 4000) == ["short"]
    with pytest.raises(ValueError, match="no room"):
        split_html('<a href="https://example.org/' + "x" * 100 + '">a b c d</a>', 50)


# --------------------------------------------------------------------------- buttons


async def test_a_row_of_nine_arrives_as_rows_of_at_most_seven(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    pages = tuple(Button(str(n), data=f"tp:{n}") for n in range(1, 10))
    links = tuple(Button(f"Сайт {n}", url=f"https://example.org/{n}") for n in range(1, 5))
    await transport.send(Outgoing("Страницы", buttons=(pages, links)), user_id=alice.user_id)
    sent = fake.last_message(fake.dialog_id(alice))
    assert [[b["text"] for b in row] for row in sent.keyboard] == [
        ["1", "2", "3", "4", "5"],
        ["6", "7", "8", "9"],
        ["Сайт 1", "Сайт 2"],
        ["Сайт 3", "Сайт 4"],
    ]
    assert sent.callback_payload("9") == "tp:9"


def test_reflow_truncates_beyond_thirty_rows_and_210_buttons(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = tuple((Button(f"{n}", data=f"r:{n}"),) for n in range(40))
    with caplog.at_level(logging.WARNING):
        cut = reflow(rows)
    assert cut is not None
    assert len(cut.rows) == 30
    assert "40 buttons in 40 rows is cut to 30 in 30 rows" in caplog.text

    wide = tuple(tuple(Button(f"{r}.{c}", data=f"{r}.{c}") for c in range(8)) for r in range(15))
    cut = reflow(wide)  # 15 rows of 8 → 30 rows of 4 + 4 = 120 buttons: all kept
    assert cut is not None
    assert [len(row) for row in cut.rows] == [4] * 30

    many = tuple(tuple(Button(f"{r}.{c}", data=f"{r}.{c}") for c in range(7)) for r in range(31))
    cut = reflow(many)
    assert cut is not None
    assert sum(len(row) for row in cut.rows) == 210
    assert len(cut.rows) == 30
    assert reflow(()) is None


def test_button_labels_are_cut_at_a_word() -> None:
    label = "Очень длинное название задачи " * 6
    cut = cut_label(label, 128)
    assert len(cut) <= 128
    assert cut.endswith(("задачи…", "Очень…", "название…"))
    assert label.startswith(cut.removesuffix("…"))
    assert cut_label("коротко", 128) == "коротко"
    assert cut_label("ы" * 200, 128) == "ы" * 127 + "…"
    keys = reflow(((Button(label, data="t:1"),),))
    assert keys is not None
    assert keys.rows[0][0].text == cut
    assert MAX_LIMITS.button_text == 128


# --------------------------------------------------------------------------- files


async def test_document_with_caption_and_keyboard_goes_as_the_fake_requires(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    report = Attachment("document", "отчёт.xlsx", b"PK\x03\x04 report")
    dialog = fake.dialog_id(alice)
    mid = await transport.send(
        Outgoing("<b>Отчёт</b> за неделю", buttons=((DONE,),), attachment=report),
        user_id=alice.user_id,
    )
    file_message, words = fake.messages_to(dialog)
    assert words.mid == mid
    assert [a["type"] for a in file_message.attachments] == ["file"]  # alone
    assert file_message.text is None
    assert file_message.files[0].data == b"PK\x03\x04 report"
    assert file_message.attachments[0]["filename"] == "отчёт.xlsx"
    assert words.source_text == "<b>Отчёт</b> за неделю"
    assert words.callback_payload("Готово") == "t:done:7"

    # Without a keyboard the text is the file's caption, in one message.
    alone = await transport.send(Outgoing("Шаблон", attachment=report), chat_id=dialog)
    assert fake.message(alone).text == "Шаблон"
    assert [a["type"] for a in fake.message(alone).attachments] == ["file"]


async def test_document_and_keyboard_in_one_message_where_allowed(
    api: MaxApi, fake: FakeMax, alice: MaxUser
) -> None:
    fake.file_alone = False
    transport = MaxTransport(api, file_takes_keyboard=True)
    report = Attachment("document", "a.pdf", b"%PDF")
    mid = await transport.send(
        Outgoing("Файл", buttons=((DONE,),), attachment=report), user_id=alice.user_id
    )
    (sent,) = fake.messages_to(fake.dialog_id(alice))
    assert sent.mid == mid
    assert [a["type"] for a in sent.attachments] == ["file", "inline_keyboard"]


async def test_photo_with_caption_and_keyboard_is_one_message(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    fake.not_ready_sends = 1  # MaxApi resends until the upload is processed
    chart = Attachment("photo", "chart.png", tiny_png())
    mid = await transport.send(
        Outgoing("<i>График</i>", buttons=((DONE,),), attachment=chart), user_id=alice.user_id
    )
    (sent,) = fake.messages_to(fake.dialog_id(alice))
    assert sent.mid == mid
    assert [a["type"] for a in sent.attachments] == ["image", "inline_keyboard"]
    assert sent.text == "График"
    assert sent.files[0].data == tiny_png()
    assert fake.uploads[-1].filename == "chart.png"


async def test_photo_with_a_long_text_leads_and_the_keyboard_ends(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    chart = Attachment("photo", "chart.png", tiny_png())
    await transport.send(
        Outgoing(long_text(), buttons=((DONE,),), attachment=chart), user_id=alice.user_id
    )
    sent = fake.messages_to(fake.dialog_id(alice))
    kinds = [[a["type"] for a in m.attachments] for m in sent]
    assert kinds == [["image"], [], [], ["inline_keyboard"]]


# --------------------------------------------------------------------------- failures


async def test_stopped_dialog_surfaces_as_gone(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    fake.stop_bot(alice)
    with pytest.raises(Gone) as caught:
        await transport.send(Outgoing("x"), user_id=alice.user_id)
    assert (caught.value.status, caught.value.code) == (403, "chat.denied")


async def test_rate_limit_surfaces_as_retry_later(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    fake.fail("POST /messages", status=429)
    with pytest.raises(RetryLater) as caught:
        await transport.send(Outgoing("x"), user_id=alice.user_id)
    assert caught.value.status == 429
    assert caught.value.seconds > 0
    assert fake.messages_to(fake.dialog_id(alice)) == []


# --------------------------------------------------------------------------- edits, answers


async def test_edit_keeps_the_keyboard_it_is_given_and_drops_one_it_is_not(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser
) -> None:
    buttons = ((DONE, PLAN),)
    mid = await transport.send(Outgoing("v1", buttons=buttons), user_id=alice.user_id)
    await transport.edit(mid, Outgoing("<b>v2</b>", buttons=buttons))
    sent = fake.message(mid)
    assert (sent.text, sent.format) == ("v2", "html")
    assert sent.callback_payload("Готово") == "t:done:7"
    assert sent.button("План")["url"] == "https://example.org/plan"
    (edit,) = fake.calls("PUT /messages")
    assert edit.body["attachments"][0]["type"] == "inline_keyboard"  # sent again

    await transport.edit(mid, Outgoing("v3"))
    assert fake.message(mid).keyboard == []
    assert fake.message(mid).text == "v3"


async def test_edit_cuts_a_text_over_the_limit(
    fake: FakeMax, transport: MaxTransport, alice: MaxUser, caplog: pytest.LogCaptureFixture
) -> None:
    mid = await transport.send(Outgoing("v1"), user_id=alice.user_id)
    with caplog.at_level(logging.WARNING):
        await transport.edit(mid, Outgoing(long_text(), buttons=((DONE,),)))
    sent = fake.message(mid)
    assert sent.source_text is not None
    assert len(sent.source_text) <= 4000
    assert sent.source_text.endswith("\n…")
    assert sent.keyboard != []
    assert "is cut to" in caplog.text
    with pytest.raises(ValueError, match="document and keyboard"):
        await transport.edit(
            mid, Outgoing("x", buttons=((DONE,),), attachment=Attachment("document", "a", b"1"))
        )


async def test_answer_replaces_the_pressed_message(
    fake: FakeMax, api: MaxApi, transport: MaxTransport, alice: MaxUser
) -> None:
    mid = await transport.send(Outgoing("Задача 7", buttons=((DONE,),)), user_id=alice.user_id)
    callback_id = fake.tap(alice, fake.message(mid), "Готово")
    again = Button("Вернуть", data="t:undo:7")
    await transport.answer(
        callback_id, "Принято", replace=Outgoing("<s>Задача 7</s> готова", buttons=((again,),))
    )
    answer = fake.answers[-1]
    assert answer.callback_id == callback_id
    assert answer.notification == "Принято"
    sent = fake.message(mid)
    assert sent.text == "Задача 7 готова"
    assert sent.callback_payload("Вернуть") == "t:undo:7"

    await transport.answer(callback_id, "Уже")
    assert fake.answers[-1].message is None
    assert fake.message(mid).callback_payload("Вернуть") == "t:undo:7"  # untouched

    calls = len(fake.calls("POST /answers"))
    await transport.answer(callback_id)  # MAX takes no empty answer: nothing is sent
    assert len(fake.calls("POST /answers")) == calls


def test_transport_describes_its_channel(transport: MaxTransport) -> None:
    assert transport.channel == "max"
    assert transport.limits is MAX_LIMITS
    assert transport.keyboard(()) is None
    assert transport.keyboard(keyboard([[DONE]])) is not None
