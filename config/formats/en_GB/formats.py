"""The product's one way of printing dates and times (GOV.UK style: "2 December 2027"; with a time,
"2 December 2027, 14:05" on the 24-hour clock the pages already used), for every page, email, admin
page and message. Read through ``FORMAT_MODULE_PATH``; templates print dates with the ``london`` and
``london_date`` filters (``moderation.templatetags.workspace``) and Python with ``policy.dates``;
nothing else names a format. Django's own en_GB formats still read what people type
(``DATE_INPUT_FORMATS``)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
