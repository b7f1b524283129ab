"""Calendar events as an iCalendar document (RFC 5545) with the time zones they use."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.calendar import CalEvent


def to_ics(events: list[CalEvent], name: str, now: datetime) -> bytes:
    """VCALENDAR with one VEVENT per event and a VTIMEZONE for every zone used."""
    from icalendar import Calendar, Event  # loaded when a calendar is first asked for

    calendar = Calendar()
    calendar.add("prodid", "-//Kurator//Plan calendar//RU")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.start is not None:
            event.add("dtstart", item.start)  # aware: TZID and a VTIMEZONE below
        elif item.day is not None:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("sequence", item.sequence)
        if item.cancelled:
            event["summary"] = f"Отменено: {item.summary}"
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
