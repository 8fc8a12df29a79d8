"""Organisations by the names people use: short names in lists and buttons, the full name on
cards, a button for each organisation a name fits, /orgs by municipality."""

from __future__ import annotations

from pathlib import Path

from tests.bot.conftest import ADMIN, CITY, COORDINATOR, DEPARTMENT, OTHER_REP, REP, World
from tests.bot.test_reports import define

VELIZH = (
    "Отдел образования Администрации муниципального образования «Велижский район» "
    "Смоленской области"
)


async def test_orgs_lists_a_coordinators_schools_by_short_name_in_natural_order(
    staffed: World,
) -> None:
    (reply,) = await staffed.send(COORDINATOR, "/orgs")
    lines = reply.text.splitlines()
    assert lines[0] == f"<b>{CITY}: подключены 1 из 40.</b>"  # the card: the full name
    assert lines[1] == f"✅ Гимназия № 4 Смоленск — Person {REP}"
    assert "⏳ СШ № 2 Смоленск — никто не подключился" in lines
    assert lines.index("⏳ СШ № 2 Смоленск — никто не подключился") < lines.index(
        "⏳ СШ № 10 Смоленск — никто не подключился"
    )
    assert "МБОУ" not in reply.text


async def test_orgs_for_the_department_groups_schools_under_their_municipality(
    staffed: World,
) -> None:
    text = "\n".join(reply.text for reply in await staffed.send(ADMIN, "/orgs"))
    assert "ответ сокращён" not in text
    headers = [line for line in text.splitlines() if line.startswith("<b>")]
    assert headers[:6] == [
        "<b>Департамент Смоленской области по образованию и науке: подключены 2 из 376.</b>",
        "<b>Велижский район: подключены 1 из 5.</b>",
        "<b>Вяземский район: подключены 0 из 32.</b>",
        "<b>Гагаринский район: подключены 0 из 23.</b>",
        "<b>Глинковский район: подключены 0 из 4.</b>",
        "<b>город Десногорск: подключены 0 из 4.</b>",
    ]
    assert headers[-1] == "<b>Ярцевский район: подключены 0 из 22.</b>"
    velizh = text[text.index("Велижский район:") : text.index("Вяземский район:")]
    assert f"✅ Велижская СШ № 1 — Person {OTHER_REP}" in velizh
    assert "⏳ никто не подключился: Беляевская СШ, Велижская СШ № 2, Крутовская ОШ" in velizh
    assert "⏳ Велижский многопрофильный техникум — никто не подключился" in text
    for legal in ("Комитет", "Отдел образования", "Управление", "МБОУ", "ОГБПОУ"):
        assert legal not in text


async def test_a_name_several_organisations_share_is_answered_with_buttons(
    staffed: World,
) -> None:
    (asked,) = await staffed.send(COORDINATOR, "/orgs Гимназия")
    assert asked.text == "Под «Гимназия» подходят несколько организаций (2) — выберите:"
    assert [label for label, _ in asked.buttons()] == [
        "Гимназия № 4 Смоленск",
        "Гимназия № 32 Смоленск",
    ]
    (chosen,) = await staffed.press(COORDINATOR, asked, "Гимназия № 32")
    assert chosen.text.startswith("<b>МБОУ «Гимназия № 32» г. Смоленска: подключены 0 из 0.</b>")


async def test_status_velizhsky_as_in_the_readme_asks_which_and_drills_down(
    staffed: World,
) -> None:
    await define(staffed)
    (asked,) = await staffed.send(ADMIN, "/status Велижский")
    assert asked.text == "Под «Велижский» подходят несколько организаций (2) — выберите:"
    assert [label for label, _ in asked.buttons()] == [
        "Велижский многопрофильный техникум",
        "Велижский район",
    ]
    (drilled,) = await staffed.press(ADMIN, asked, "Велижский район")
    assert drilled.text.startswith(f"📊 Показатели — неделя с 17.04.2023, {VELIZH}")
    assert "Велижская СШ № 1" in drilled.text
    assert any(label.startswith("📈") for label, _ in drilled.buttons())
    # Out of a coordinator's reach: neither a list nor a button.
    (nothing,) = await staffed.send(COORDINATOR, "/status Велижский")
    assert nothing.text == "Не нашёл «Велижский» среди доступных вам организаций."
    assert nothing.buttons() == []


async def test_short_names_find_organisations(staffed: World) -> None:
    await define(staffed)
    (district,) = await staffed.send(ADMIN, "/status сычевский район")
    assert "Сычёвский район» Смоленской области" in district.text.splitlines()[0]
    (school,) = await staffed.send(ADMIN, "/status СШ № 1 Вязьма")
    assert school.text.startswith(
        "📊 Показатели — неделя с 17.04.2023, МБОУ «Средняя школа № 1» г. Вязьмы"
    )
    (roster,) = await staffed.send(ADMIN, "/orgs СШ № 1 Вязьма")
    assert roster.text.startswith("<b>МБОУ «Средняя школа № 1» г. Вязьмы: подключены")
    (refused,) = await staffed.send(REP, "/status СШ № 1 Вязьма")
    assert refused.text == "Это действие вам недоступно."


async def test_a_registry_short_name_is_shown_and_found(staffed: World, tmp_path: Path) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "name,short_name,kind,parent\n"
        f"{DEPARTMENT},,authority,\n"
        f"{CITY},Смоленск (город),authority,{DEPARTMENT}\n"
        "МБОУ «Гимназия № 4» г. Смоленска,Гимназия Пржевальского,school,"
        f"{CITY}\n",
        encoding="utf-8",
    )
    await staffed.app.organisations.import_file(registry)
    (roster,) = await staffed.send(COORDINATOR, "/orgs")
    assert f"✅ Гимназия Пржевальского — Person {REP}" in roster.text
    (found,) = await staffed.send(COORDINATOR, "/orgs пржевальского")
    assert found.text.startswith("<b>МБОУ «Гимназия № 4» г. Смоленска: подключены")
    text = "\n".join(reply.text for reply in await staffed.send(ADMIN, "/orgs"))
    assert "<b>Смоленск (город): подключены 1 из 40.</b>" in text
