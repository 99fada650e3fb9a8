"""German dates as German support desks write them: 3.12.2026, 16:05 (24-hour clock). What is not set here comes
from Django's own German formats (decimal comma, thousands dot, Monday first)."""

DATE_FORMAT = "j.n.Y"
SHORT_DATE_FORMAT = "j.n.Y"
DATETIME_FORMAT = "j.n.Y, H:i"
SHORT_DATETIME_FORMAT = "j.n.Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j. F"
YEAR_MONTH_FORMAT = "F Y"
