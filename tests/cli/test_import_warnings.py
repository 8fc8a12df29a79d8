"""`roadmap-bot import` says what the importer had to assume, not only the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from tests.backends import ON_POSTGRESQL
from tests.importers.documents import docx_file


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env; the default database lands here
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def test_import_prints_the_warning_of_a_table_without_responsible(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    path = docx_file(
        workdir / "no-responsible.docx",
        [
            "АДМИНИСТРАЦИЯ ТАМБОВСКОЙ ОБЛАСТИ",
            "РАСПОРЯЖЕНИЕ",
            "от 12.03.2024 N 241-рп",
            "Комплекс мер (дорожная карта) по подготовке к ГИА в 2024 году",
        ],
        [
            ["№", "Мероприятия", "Сроки исполнения", "Результат"],
            ["1.", "Провести совещание", "до 10.04.2024", "Протокол"],
        ],
    )
    code = main(["import", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "«Комплекс мер (дорожная карта) по подготовке к ГИА в 2024 году»" in out
    assert (
        "Внимание: В таблице нет колонки ответственных: ответственным за все мероприятия "
        "указан «Администрация Тамбовской области»."
    ) in out


def test_a_document_with_a_responsible_column_has_no_warning(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    path = docx_file(
        workdir / "plain.docx",
        ["Дорожная карта"],
        [["№", "Мероприятие", "Ответственные", "Срок"], ["1.", "Совещание", "МОУО", "май 2024"]],
    )
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Импортирована дорожная карта" in out
    assert "Внимание" not in out
