"""How fast the deadline grammar reads a roadmap's "Срок" column.

Run as `python benchmarks/bench_deadlines.py`. Parses a mix of real and typical deadline phrases
(dates, ranges, months, quarters, recurrences, unreadable ones) about 200,000 times and prints the
rate. The target is 20,000 phrases a second on a 2-core machine: a whole region's roadmaps re-read
on import without anyone waiting. No assertion is made on time; the figure is for a person to read.
"""

from __future__ import annotations

import time

from bot.domain.deadlines import parse_deadline

TARGET_PER_SECOND = 20_000
TOTAL_PARSES = 200_000
ROADMAP_YEAR = 2023

PHRASES: tuple[str, ...] = (
    # the Smolensk order 319-ОД, as printed
    "10.04..2023",
    "11.04.2023",
    "12.04.2023",
    "14.04.2023",
    "до 17.04.2023",
    "до 10.04.2023",
    "до 28.04.2023",
    "с 05.04.2023",
    "до 30.04.2023",
    "до 31.05.2023",
    "с 20.04.2023",
    "еженедельно, по пятницам",
    "май 2023 года",
    "по согласованию",
    "с 10.04.2023, в течении 2 суток после получения",
    # the genre
    "10.04.23",
    "10 .04.2023",
    "31 мая 2023 г.",
    "«1» сентября 2023 года",
    "01.09.2023г.",
    "не позднее 01.09.2023",
    "к 01.09.2023",
    "начиная с 01.09.2023",
    "с 10.04.2023 по 20.04.2023",
    "10.04.2023 – 20.04.2023",
    "в мае 2023",
    "до конца мая 2023",
    "Октябрь-ноябрь 2023",
    "Сентябрь 2023 – май 2024",
    "с сентября по декабрь 2023",
    "I квартал 2024",
    "IV кв. 2023",
    "в течение I квартала 2024 года",
    "2 полугодие 2023",
    "первое полугодие 2024",
    "в течение 2023 года",
    "в течение года",
    "2023/2024 учебный год",
    "2023-2024 уч. год",
    "постоянно",
    "в течение всего периода",
    "по понедельникам и средам",
    "каждую пятницу",
    "ежемесячно, до 5 числа",
    "ежеквартально",
    "раз в две недели",
    "еженедельно с 20.04.2023 по 31.05.2023",
    "по мере необходимости (не реже 1 раза в месяц)",
    "за 10 дней до 01.09.2023",
    "31.02.2023",
)


def main() -> None:
    rounds = max(1, TOTAL_PARSES // len(PHRASES))
    parses = rounds * len(PHRASES)
    for phrase in PHRASES:  # warm up: regex caches, first-call costs
        parse_deadline(phrase, year=ROADMAP_YEAR)
    started = time.perf_counter()
    for _ in range(rounds):
        for phrase in PHRASES:
            parse_deadline(phrase, year=ROADMAP_YEAR)
    elapsed = time.perf_counter() - started
    rate = parses / elapsed if elapsed > 0 else float("inf")
    print(f"deadline phrases parsed: {rate:,.0f}/s (target >= {TARGET_PER_SECOND:,}/s)")


if __name__ == "__main__":
    main()
